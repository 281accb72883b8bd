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
}
