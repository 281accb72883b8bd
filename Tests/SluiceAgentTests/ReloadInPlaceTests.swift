import Foundation
import Synchronization
import Testing

@testable import SluiceAgent

/// A reload that changes only components applies in place: what changed stops and starts,
/// the rest keeps running; when a replaced sink cannot hand over cleanly, the pipeline
/// restarts from its checkpoints instead, and still nothing is lost.
@Suite("Reload in place", .serialized)
struct ReloadInPlaceTests {
  static let base = """
    sources:
      - {name: app, type: file, include: ["/logs/app/*.log"]}
      - {name: web, type: file, include: ["/logs/web/*.log"]}
    pipeline: [{type: parse}]
    sinks:
      - {name: central, type: http, url: "http://127.0.0.1:9/ingest"}
      - {name: local, type: file, path: /tmp/out.ndjson}

    """

  static func diff(_ old: String, _ new: String) throws -> ConfigDiff {
    ConfigDiff(
      from: try ConfigLoader.parse(yaml: old, environment: [:]), to: try ConfigLoader.parse(yaml: new, environment: [:])
    )
  }

  @Test func diffNamesWhatStopsAndStartsByComponent() throws {
    #expect(try Self.diff(Self.base, Self.base).isEmpty)

    // One source changed, one sink added: the other source and sink are untouched.
    let changed = try Self.diff(
      Self.base,
      Self.base.replacingOccurrences(of: "/logs/web/*.log", with: "/logs/web/*.txt")
        + "  - {name: debug, type: console}\n")
    #expect(changed.stoppedSources == ["web"])
    #expect(changed.startedSources.map(\.name) == ["web"])
    #expect(changed.retiredSinks.isEmpty)
    #expect(changed.launchedSinks.map(\.name) == ["debug"])
    #expect(!changed.stepsChanged && !changed.needsRestart)
    #expect(changed.summary == "restarts source web; starts sink debug")

    // A sink removed and a source added; steps changed.
    let removed = try Self.diff(
      Self.base,
      Self.base.replacingOccurrences(of: "  - {name: local, type: file, path: /tmp/out.ndjson}\n", with: "")
        .replacingOccurrences(
          of: "pipeline: [{type: parse}]", with: "pipeline: [{type: parse}, {type: set, fields: {a: b}}]"
        )
        .replacingOccurrences(
          of: "sources:\n", with: "sources:\n  - {name: db, type: file, include: [\"/logs/db/*.log\"]}\n"))
    #expect(removed.retiredSinks == ["local"] && removed.launchedSinks.isEmpty)
    #expect(removed.stoppedSources.isEmpty && removed.startedSources.map(\.name) == ["db"])
    #expect(removed.stepsChanged)
    #expect(removed.summary == "swaps the pipeline steps; starts source db; stops sink local")

    // A sink changed in one setting only is replaced (retired, then launched).
    let batch = try Self.diff(
      Self.base,
      Self.base.replacingOccurrences(
        of: "url: \"http://127.0.0.1:9/ingest\"}", with: "url: \"http://127.0.0.1:9/ingest\", batch: {max_events: 7}}"))
    #expect(batch.retiredSinks == ["central"] && batch.launchedSinks.map(\.name) == ["central"])
    #expect(batch.summary == "restarts sink central")

    // Anything outside sources, pipeline and sinks needs a new generation.
    #expect(try Self.diff(Self.base, Self.base + "shutdown_grace: 3s\n").needsRestart)
    #expect(try Self.diff(Self.base, Self.base + "checkpoint_interval: 9s\n").needsRestart)
  }

  /// The HTTP sink's receiver is down when a reload replaces the sink: the old sink cannot
  /// deliver what it holds within the grace period, so the agent restarts the pipeline from
  /// its checkpoints (the events it held were never acknowledged) and, once the receiver is
  /// back, every line arrives.
  @Test func aReplacedSinkThatCannotDeliverRestartsThePipelineAndLosesNothing() async throws {
    let down = Mutex(false)
    let receiver = try await TestReceiver.start { _, _ in (down.withLock { $0 } ? 503 : 200, []) }
    defer { receiver.stop() }
    let dir = try TempDirectory()
    try FileManager.default.createDirectory(atPath: dir.file("logs").path, withIntermediateDirectories: true)
    let log = dir.file("logs/a.log").path
    FileManager.default.createFile(atPath: log, contents: nil)
    let configFile = dir.file("agent.yaml")
    func config(maxEvents: Int) -> String {
      """
      data_dir: \(dir.path)/data
      sources:
        - {name: app, type: file, include: ["\(log)"], read_from: beginning, poll_interval: 20ms}
      pipeline: [{type: parse}]
      sinks:
        - name: central
          type: http
          url: "\(receiver.url)"
          batch: {max_events: \(maxEvents), max_age: 20ms}
          retry: {initial_backoff: 20ms, max_backoff: 100ms}
      admin: {address: "127.0.0.1:0"}
      shutdown_grace: 1s
      """
    }
    try config(maxEvents: 10).write(to: configFile, atomically: true, encoding: .utf8)
    let agent = try AgentProcess(config: configFile)
    let port = try #require(await agent.adminPort())
    func append(_ range: Range<Int>) throws {
      let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
      handle.seekToEndOfFile()
      handle.write(Data(range.map { #"{"seq":\#($0)}"# + "\n" }.joined().utf8))
      try handle.close()
    }

    try append(0..<100)
    #expect(await receiver.waitForEvents(100, timeout: .seconds(30)))
    down.withLock { $0 = true }
    let attemptsBefore = receiver.attempts
    try append(100..<200)
    // The sink is failing (retrying) before the reload.
    let failing = ContinuousClock.now + .seconds(30)
    while receiver.attempts < attemptsBefore + 3 && ContinuousClock.now < failing {
      try await Task.sleep(for: .milliseconds(20))
    }

    try config(maxEvents: 20).write(to: configFile, atomically: true, encoding: .utf8)
    let (status, body) = try await ReloadTests.postReload(port: port)
    #expect(status == 200 && body.contains("\"outcome\":\"applied\""), "\(body)")
    let restarting = ContinuousClock.now + .seconds(30)
    while !agent.logLines.contains(where: { $0.contains("moving to the reloaded configuration") })
      && ContinuousClock.now < restarting
    {
      try await Task.sleep(for: .milliseconds(20))
    }
    #expect(agent.logLines.contains { $0.contains("restarting the pipeline from its checkpoints") })
    #expect(agent.logLines.contains { $0.contains("moving to the reloaded configuration") })

    down.withLock { $0 = false }
    try append(200..<250)
    let deadline = ContinuousClock.now + .seconds(60)
    var seen = Set<Int>()
    while seen.count < 250 && ContinuousClock.now < deadline {
      seen = Set(receiver.lines.compactMap { Self.seq($0) })
      try await Task.sleep(for: .milliseconds(50))
    }
    #expect(await agent.terminate() == 0)
    #expect(seen == Set(0..<250), "missing: \(Set(0..<250).subtracting(seen).sorted().prefix(20))")
    // The new batch size took effect after the restart.
    #expect(receiver.requests.suffix(3).allSatisfy { $0.lines.count <= 20 })
  }

  /// A reload removes a source and a sink: they leave `/readyz`, `/healthz` stays alive (the
  /// stopped source's loop finishing is not a dead loop), and the remaining source and sink
  /// go on shipping without a restart.
  @Test func removedComponentsLeaveReadinessAndTheRestKeepsShipping() async throws {
    let receiver = try await TestReceiver.start()
    defer { receiver.stop() }
    let dir = try TempDirectory()
    try FileManager.default.createDirectory(atPath: dir.file("logs").path, withIntermediateDirectories: true)
    for name in ["a", "b"] { FileManager.default.createFile(atPath: dir.file("logs/\(name).log").path, contents: nil) }
    let configFile = dir.file("agent.yaml")
    func config(withB: Bool) -> String {
      let b = withB ? "  - {name: b, type: file, include: [\"\(dir.path)/logs/b.log\"], read_from: beginning}\n" : ""
      let local = withB ? "  - {name: local, type: file, path: \(dir.path)/out.ndjson}\n" : ""
      return """
        data_dir: \(dir.path)/data
        sources:
          - {name: a, type: file, include: ["\(dir.path)/logs/a.log"], read_from: beginning, poll_interval: 20ms}
        \(b)pipeline: [{type: parse}]
        sinks:
          - {name: central, type: http, url: "\(receiver.url)", batch: {max_events: 10, max_age: 20ms}}
        \(local)admin: {address: "127.0.0.1:0"}
        """
    }
    try config(withB: true).write(to: configFile, atomically: true, encoding: .utf8)
    let agent = try AgentProcess(config: configFile)
    let port = try #require(await agent.adminPort())
    func append(_ file: String, _ range: Range<Int>) throws {
      let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: dir.file("logs/\(file).log").path))
      handle.seekToEndOfFile()
      handle.write(Data(range.map { #"{"seq":\#($0)}"# + "\n" }.joined().utf8))
      try handle.close()
    }
    try append("a", 0..<50)
    try append("b", 1000..<1050)
    #expect(await receiver.waitForEvents(100, timeout: .seconds(30)))
    var last: AdminRequests.Readiness?
    let before = try await AdminRequests.waitForReadiness(port: port, last: &last) {
      Set($0.components.keys).isSuperset(of: ["a", "b", "central", "local"])
    }
    #expect(before != nil, "\(String(describing: last?.components.keys))")

    try config(withB: false).write(to: configFile, atomically: true, encoding: .utf8)
    let (status, body) = try await ReloadTests.postReload(port: port)
    #expect(status == 200 && body.contains("\"outcome\":\"applied\""), "\(body)")
    let after = try await AdminRequests.waitForReadiness(port: port, last: &last) {
      $0.components["b"] == nil && $0.components["local"] == nil
    }
    #expect(after != nil, "\(String(describing: last?.components.keys))")
    #expect(after?.components["a"] != nil && after?.components["central"] != nil)
    #expect(try await AdminRequests.send("/healthz", port: port).status == 200)

    try append("a", 50..<100)
    #expect(await receiver.waitForEvents(150, timeout: .seconds(30)))
    #expect(try await AdminRequests.send("/healthz", port: port).status == 200)
    let log = agent.logLines
    #expect(await agent.terminate() == 0)
    #expect(log.contains { $0.contains("reload: applied in place") && $0.contains("stops source b; stops sink local") })
    #expect(!log.contains { $0.contains("moving to the reloaded configuration") })
    #expect(!log.contains { $0.contains("reload: source started") })
    #expect(Set(receiver.lines.compactMap { Self.seq($0) }) == Set(0..<100).union(1000..<1050))
  }

  static func seq(_ line: String) -> Int? {
    guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { return nil }
    return object["seq"] as? Int
  }
}
