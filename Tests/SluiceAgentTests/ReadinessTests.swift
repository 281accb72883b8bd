import Foundation
import Testing

/// `/readyz` of the built `sluice agent` through real transitions: a sink whose backend goes
/// away (degraded, then unhealthy after `unhealthy_after`, healthy once it is back), a full
/// buffer, a matched file that cannot be opened, a journal that cannot be opened.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct ReadinessTests {
  static func write(_ yaml: String, in dir: TempDirectory) throws -> URL {
    let url = dir.file("agent.yaml")
    try yaml.write(to: url, atomically: true, encoding: .utf8)
    return url
  }

  static func lines(_ prefix: String, _ count: Int) -> String {
    (0..<count).map { #"{"level":"info","msg":"\#(prefix) \#($0)"}"# + "\n" }.joined()
  }

  /// NDJSON lines accepted by `receiver` (the sink sends them uncompressed).
  static func acceptedLines(_ requests: [FlakyReceiver.Request]) -> Int {
    requests.reduce(0) { $0 + $1.body.split(separator: UInt8(ascii: "\n")).count }
  }

  @Test func aSinkIsDegradedThenUnhealthyWhileItsBackendIsGoneAndHealthyWhenItReturns() async throws {
    let dir = try TempDirectory()
    let first = try FlakyReceiver.start { _, _ in .respond(status: 200) }
    let backendPort = first.port
    let config = try Self.write(
      """
      data_dir: \(dir.path)/data
      sources:
        - {name: app, type: file, include: ["\(dir.path)/logs/*.log"], read_from: beginning, poll_interval: 20ms}
      sinks:
        - name: backend
          type: http
          url: "\(first.url)"
          compression: none
          timeout: 1s
          connect_timeout: 200ms
          retry: {initial_backoff: 50ms, max_backoff: 200ms}
          unhealthy_after: 2s
          batch: {max_events: 10, max_age: 50ms}
      admin: {address: "127.0.0.1:0"}
      shutdown_grace: 5s
      """, in: dir)
    try dir.append(Self.lines("before", 10), to: "logs/app.log")
    let agent = try AgentProcess(config: config)
    let port = try #require(await agent.adminPort(), "agent did not start: \(agent.logLines)")
    #expect(await first.waitUntil(timeout: .seconds(30)) { Self.acceptedLines($0) >= 10 })
    let recorder = ReadinessRecorder.start(port: port)
    defer { recorder.stop() }
    let healthy = await recorder.waitFor { $0.components["backend"]?.status == "healthy" }
    #expect(healthy?.answer.httpStatus == 200, "\(recorder.history)")
    #expect(healthy?.answer.status == "healthy")

    // The backend goes away; the next batch fails and is retried.
    first.stop()
    try dir.append(Self.lines("during", 10), to: "logs/app.log")
    let degraded = await recorder.waitFor(after: healthy?.index ?? -1) {
      $0.components["backend"]?.status == "degraded"
    }
    #expect(degraded != nil, "never degraded: \(recorder.history)")
    #expect(degraded?.answer.httpStatus == 200, "degraded is still ready")
    #expect(degraded?.answer.status == "degraded")
    #expect(degraded?.answer.components["backend"]?.reason?.hasPrefix("failing for ") == true)

    let unhealthy = await recorder.waitFor(after: degraded?.index ?? -1) {
      $0.components["backend"]?.status == "unhealthy"
    }
    #expect(unhealthy != nil, "never unhealthy: \(recorder.history)")
    #expect(unhealthy?.answer.httpStatus == 503)
    #expect(unhealthy?.answer.status == "unhealthy")
    // Only once it had been failing for unhealthy_after.
    #expect(unhealthy?.answer.components["backend"]?.reason?.contains("(unhealthy_after 2s)") == true)
    #expect(unhealthy?.answer.components["app"]?.status == "healthy")

    // A backend returns on the same port: the retried batch goes through.
    let second = try FlakyReceiver.start(port: backendPort) { _, _ in .respond(status: 200) }
    defer { second.stop() }
    let recovered = await recorder.waitFor(after: unhealthy?.index ?? -1) {
      $0.components["backend"]?.status == "healthy"
    }
    #expect(recovered != nil, "never recovered: \(recorder.history)")
    #expect(recovered?.answer.httpStatus == 200)
    #expect(recovered?.answer.components["backend"]?.reason == nil)
    #expect(await second.waitUntil(timeout: .seconds(30)) { Self.acceptedLines($0) >= 10 })
    recorder.stop()
    #expect(await agent.terminate() == 0, "agent log: \(agent.logLines.suffix(5))")
  }

  @Test func aBufferAboveEightyPercentOfItsCapIsDegraded() async throws {
    let dir = try TempDirectory()
    // A backend that takes every request and never answers while the test runs.
    let stalled = try FlakyReceiver.start { _, _ in .respond(status: 200, delay: .seconds(120)) }
    defer { stalled.stop() }
    let config = try Self.write(
      """
      data_dir: \(dir.path)/data
      sources:
        - {name: app, type: file, include: ["\(dir.path)/logs/*.log"], read_from: beginning, poll_interval: 20ms}
      sinks:
        - name: backend
          type: http
          url: "\(stalled.url)"
          timeout: 60s
          connect_timeout: 200ms
          batch: {max_events: 1, max_age: 20ms}
          buffer: {max_events: 10}
      admin: {address: "127.0.0.1:0"}
      shutdown_grace: 1s
      """, in: dir)
    try dir.append(Self.lines("queued", 30), to: "logs/app.log")
    let agent = try AgentProcess(config: config)
    let port = try #require(await agent.adminPort(), "agent did not start: \(agent.logLines)")
    var last: AdminRequests.Readiness?
    // One batch is in flight; ten wait, and the queue holds no more (policy block).
    let full = try await AdminRequests.waitForReadiness(port: port, last: &last) {
      // Under load the stalled backend may not even accept in time; the reason then goes on
      // with "; failing for …", which does not change what this test is about.
      $0.components["backend"]?.reason?.hasPrefix("buffer 100% full") == true
    }
    #expect(full != nil, "buffer never reported full: \(String(describing: last))")
    #expect(full?.httpStatus == 200)
    #expect(full?.components["backend"]?.status == "degraded")
    #expect(full?.status == "degraded")
    stalled.stop()
    #expect(await agent.terminate() == 0, "agent log: \(agent.logLines.suffix(5))")
  }

  /// Root opens any file, so the agent runs as `nobody` here, to whom a mode-000 file is
  /// closed: `open(2)` fails with EACCES, as it does for an agent without read access.
  @Test(
    .enabled(
      if: getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv"),
      "needs root and setpriv, to run the agent as nobody"))
  func aMatchedFileThatCannotBeOpenedDegradesItsSource() async throws {
    let dir = try TempDirectory()
    try dir.append(Self.lines("open", 3), to: "logs/a.log")
    try dir.append(Self.lines("closed", 3), to: "logs/b.log")
    let closed = dir.file("logs/b.log").path
    chmod(closed, 0o000)
    let out = dir.file("out.ndjson").path
    let config = try Self.write(
      """
      data_dir: \(dir.path)/data
      sources:
        - {name: app, type: file, include: ["\(dir.path)/logs/*.log"], read_from: beginning, poll_interval: 20ms}
      sinks:
        - {name: out, type: file, path: \(out), batch: {max_age: 20ms}}
      admin: {address: "127.0.0.1:0"}
      """, in: dir)
    chmod(dir.path, 0o777)
    chown(dir.path, 65534, 65534)
    let agent = try AgentProcess(config: config, asNobody: true)
    let port = try #require(await agent.adminPort(), "agent did not start: \(agent.logLines)")
    var last: AdminRequests.Readiness?
    let degraded = try await AdminRequests.waitForReadiness(port: port, last: &last) {
      $0.components["app"]?.status == "degraded"
    }
    #expect(degraded != nil, "never degraded: \(String(describing: last))")
    #expect(degraded?.httpStatus == 200)
    #expect(degraded?.components["app"]?.kind == "source")
    #expect(degraded?.components["app"]?.reason == "cannot open \(closed): Permission denied")

    chmod(closed, 0o644)
    let recovered = try await AdminRequests.waitForReadiness(port: port, last: &last) {
      $0.components["app"]?.status == "healthy"
    }
    #expect(recovered != nil, "never recovered: \(String(describing: last))")
    #expect(recovered?.components["app"]?.reason == nil)
    #expect(await agent.terminate() == 0, "agent log: \(agent.logLines.suffix(5))")
    let shipped = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
    #expect(shipped.contains("closed 2"), "the file was read once it could be opened")
  }

  @Test func aJournalThatCannotBeOpenedIsUnhealthyUntilItCan() async throws {
    let dir = try TempDirectory()
    let journal = dir.file("journal").path
    let config = try Self.write(
      """
      data_dir: \(dir.path)/data
      sources:
        - {name: journal, type: journald, path: \(journal), read_from: beginning}
      sinks:
        - {name: out, type: file, path: \(dir.path)/out.ndjson, batch: {max_age: 20ms}}
      admin: {address: "127.0.0.1:0"}
      """, in: dir)
    let agent = try AgentProcess(config: config)
    let port = try #require(await agent.adminPort(), "agent did not start: \(agent.logLines)")
    var last: AdminRequests.Readiness?
    let unhealthy = try await AdminRequests.waitForReadiness(port: port, last: &last) {
      $0.components["journal"]?.status == "unhealthy"
    }
    #expect(unhealthy != nil, "never unhealthy: \(String(describing: last))")
    #expect(unhealthy?.httpStatus == 503)
    #expect(
      unhealthy?.components["journal"]?.reason
        == "cannot open the journal \(journal): sd_journal_open: No such file or directory")

    // The journal appears (written aside, then moved into place whole); the reader retries every second.
    let aside = dir.file("aside").path
    try FileManager.default.createDirectory(atPath: aside, withIntermediateDirectories: true)
    try JournalFiles.write([JournalEntry(seq: 1, time: 1_764_000_000_000_000)], to: aside + "/a.journal")
    try FileManager.default.moveItem(atPath: aside, toPath: journal)
    let healthy = try await AdminRequests.waitForReadiness(port: port, last: &last) {
      $0.components["journal"]?.status == "healthy"
    }
    #expect(healthy != nil, "never healthy: \(String(describing: last))")
    #expect(healthy?.httpStatus == 200)
    #expect(await agent.terminate() == 0, "agent log: \(agent.logLines.suffix(5))")
  }
}
