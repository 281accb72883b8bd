import Foundation
import SluiceCore
import Testing

/// The agent fails fast and says why, rather than hanging or spinning.
@Suite(.timeLimit(.minutes(2)))
struct FailureModeTests {
  @Test func adminPortInUseExitsNonZeroWithAReason() async throws {
    let dir = try TempDirectory()
    let busy = try await TestReceiver.start()  // holds a loopback port
    defer { busy.stop() }
    let yaml = """
      data_dir: \(dir.path)/data
      sources: [{name: app, type: file, include: ["\(dir.path)/logs/*.log"]}]
      sinks: [{name: out, type: console}]
      admin: {address: "127.0.0.1:\(busy.port)"}
      """
    try yaml.write(to: dir.file("agent.yaml"), atomically: true, encoding: .utf8)
    let agent = try AgentProcess(config: dir.file("agent.yaml"))
    let status = await agent.waitForExit()
    #expect(status != 0)
    let failure = agent.logLines.compactMap { try? JSONValue.parse($0) }.first { $0["level"] == "critical" }
    let reason = try #require(failure?["error"]?.stringValue, "no critical log line: \(agent.logLines)")
    #expect(reason.lowercased().contains("address already in use") || reason.contains("EADDRINUSE"), "\(reason)")
  }

  @Test func unreadableCheckpointsStopTheAgentWithAReason() async throws {
    let dir = try TempDirectory()
    try FileManager.default.createDirectory(at: dir.file("data"), withIntermediateDirectories: true)
    try "{torn".write(to: dir.file("data/checkpoints.json"), atomically: true, encoding: .utf8)
    let yaml = """
      data_dir: \(dir.path)/data
      sources: [{name: app, type: file, include: ["\(dir.path)/logs/*.log"]}]
      sinks: [{name: out, type: console}]
      admin: {address: "127.0.0.1:0"}
      """
    try yaml.write(to: dir.file("agent.yaml"), atomically: true, encoding: .utf8)
    let agent = try AgentProcess(config: dir.file("agent.yaml"))
    #expect(await agent.waitForExit() != 0)
    #expect(agent.logLines.contains { $0.contains("critical") && $0.contains("checkpoints") }, "\(agent.logLines)")
  }

  /// A checkpoint that cannot be written is logged, counted in
  /// `sluice_checkpoint_write_errors_total` (what the `SluiceCheckpointWritesFailing` alert
  /// watches) and retried; delivery goes on.
  @Test func checkpointWriteFailuresAreCountedAndDeliveryGoesOn() async throws {
    let dir = try TempDirectory()
    try FileManager.default.createDirectory(at: dir.file("data"), withIntermediateDirectories: true)
    try FileManager.default.createDirectory(at: dir.file("logs"), withIntermediateDirectories: true)
    // The store writes checkpoints.json.tmp and renames it: a directory in its place makes
    // every write fail, whatever the user running the test may bypass.
    try FileManager.default.createDirectory(
      at: dir.file("data/checkpoints.json.tmp"), withIntermediateDirectories: true)
    let lines = (1...50).map { "{\"level\":\"info\",\"n\":\($0)}\n" }.joined()
    try lines.write(to: dir.file("logs/app.log"), atomically: true, encoding: .utf8)
    let yaml = """
      data_dir: \(dir.path)/data
      sources: [{name: app, type: file, include: ["\(dir.path)/logs/*.log"], read_from: beginning}]
      sinks: [{name: out, type: file, path: "\(dir.path)/out.ndjson", batch: {max_age: 10ms}}]
      checkpoint_interval: 50ms
      admin: {address: "127.0.0.1:0"}
      """
    try yaml.write(to: dir.file("agent.yaml"), atomically: true, encoding: .utf8)
    let agent = try AgentProcess(config: dir.file("agent.yaml"))
    let port = try #require(await agent.adminPort())
    let counted = try await eventually(timeout: .seconds(30), interval: .milliseconds(50)) {
      let delivered = try await EndToEndTests.metric("sluice_sink_events_total", port: port) ?? 0
      let failures = try await EndToEndTests.metric("sluice_checkpoint_write_errors_total", port: port) ?? 0
      return delivered == 50 && failures >= 2
    }
    #expect(counted)
    #expect(await agent.terminate() == 0)
    #expect(agent.logLines.contains { $0.contains("cannot write checkpoints") }, "\(agent.logLines.suffix(5))")
    #expect(!FileManager.default.fileExists(atPath: dir.file("data/checkpoints.json").path))
  }
}
