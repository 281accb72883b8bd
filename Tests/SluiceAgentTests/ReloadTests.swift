import AsyncHTTPClient
import Foundation
import NIOCore
import Synchronization
import Testing

@testable import SluiceAgent

#if canImport(Glibc)
  import Glibc
#endif

/// Reloading the configuration of a running agent (SIGHUP, `POST /-/reload`): checked first,
/// a bad one leaves the running pipeline alone, a good one takes effect with nothing lost.
@Suite("Reload", .serialized)
struct ReloadTests {
  /// Appends `{"seq":N,"src":…,"secret":"s3cr3t"}` lines at a steady rate from its own
  /// thread, until told to stop.
  final class Writer: Sendable {
    let written = Mutex(0)
    let done = Mutex(false)
    let stop = Mutex(false)

    func run(path: String, source: String, rate: Int) {
      let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
      defer { close(fd) }
      let start = ContinuousClock.now
      var n = 0
      while true {
        let elapsed = ContinuousClock.now - start
        let secs = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        if stop.withLock({ $0 }) { break }
        let due = Int(secs * Double(rate))
        if n >= due {
          usleep(500)
          continue
        }
        var chunk = ""
        while n < due {
          chunk += #"{"seq":\#(n),"src":"\#(source)","secret":"s3cr3t"}"# + "\n"
          n += 1
        }
        _ = chunk.withCString { write(fd, $0, strlen($0)) }
        written.withLock { $0 = n }
      }
      done.withLock { $0 = true }
    }
  }

  static func config(
    dir: TempDirectory, includeB: Bool, redact: Bool, maxEvents: Int, maxAge: String, poll: String
  )
    -> String
  {
    let include =
      includeB ? #"["\#(dir.path)/logs/a.log", "\#(dir.path)/logs/b.log"]"# : #"["\#(dir.path)/logs/a.log"]"#
    let steps = redact ? "[{type: parse}, {type: redact, deny_fields: [secret]}]" : "[{type: parse}]"
    return """
      data_dir: \(dir.path)/data
      sources:
        - {name: app, type: file, include: \(include), read_from: beginning, poll_interval: \(poll)}
      pipeline: \(steps)
      sinks:
        - {name: out, type: file, path: \(dir.path)/out.ndjson, batch: {max_events: \(maxEvents), max_age: \(maxAge)}}
      admin: {address: "127.0.0.1:0"}
      shutdown_grace: 20s
      """
  }

  static func postReload(port: Int) async throws -> (Int, String) {
    var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/-/reload")
    request.method = .POST
    let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
    let body = try await response.body.collect(upTo: 1 << 20)
    return (Int(response.status.code), String(buffer: body))
  }

  /// Whether `series` reaches `value` within 6 s (a signal is handled asynchronously).
  static func metric(_ series: String, reaches value: Double, port: Int) async throws -> Bool {
    for _ in 0..<300 {
      if try await EndToEndTests.metric(series, port: port) == value { return true }
      try await Task.sleep(for: .milliseconds(20))
    }
    return false
  }

  /// Every output line as (src, seq, secret).
  static func shipped(_ path: String) -> [(String, Int, String)] {
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
    return text.split(separator: "\n").compactMap { line in
      guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
        let src = object["src"] as? String, let seq = object["seq"] as? Int
      else { return nil }
      return (src, seq, object["secret"] as? String ?? "")
    }
  }

  @Test func tenReloadsUnderLoadLoseNothingAndTakeEffect() async throws {
    let dir = try TempDirectory()
    try FileManager.default.createDirectory(atPath: dir.file("logs").path, withIntermediateDirectories: true)
    let configFile = dir.file("agent.yaml")
    var settings = (includeB: false, redact: false, maxEvents: 200, maxAge: "50ms", poll: "20ms")
    func write(_ text: String) throws { try text.write(to: configFile, atomically: true, encoding: .utf8) }
    func writeSettings() throws {
      try write(
        Self.config(
          dir: dir, includeB: settings.includeB, redact: settings.redact, maxEvents: settings.maxEvents,
          maxAge: settings.maxAge, poll: settings.poll))
    }
    try writeSettings()
    let agent = try AgentProcess(config: configFile)
    let port = try #require(await agent.adminPort())

    // a.log at 10,000 lines/s; b.log at 200 lines/s, not read until a reload adds it.
    let a = Writer()
    let b = Writer()
    // Both write until the last reload is done (and a second longer), however long the
    // reloads take on a loaded machine.
    Thread { a.run(path: dir.file("logs/a.log").path, source: "a", rate: 10_000) }.start()
    Thread { b.run(path: dir.file("logs/b.log").path, source: "b", rate: 200) }.start()

    // Ten reloads, a valid change or a broken file in turn.
    var applied = 0
    var rejected = 0
    var unchanged = 0
    var redactedFrom = Int.max  // the first a.log line written after redaction took effect
    let steps: [(String, () throws -> Void, String)] = [
      (
        "add an include glob",
        {
          settings.includeB = true; try writeSettings()
        }, "applied"
      ),
      (
        "an unknown key",
        {
          try write(
            Self.config(dir: dir, includeB: true, redact: false, maxEvents: 200, maxAge: "50ms", poll: "20ms")
              + "\nbogus: 1\n")
        }, "rejected"
      ),
      (
        "add a redaction rule",
        {
          settings.redact = true; try writeSettings()
        }, "applied"
      ),
      (
        "a batch size of 0",
        { try write(Self.config(dir: dir, includeB: true, redact: true, maxEvents: 0, maxAge: "50ms", poll: "20ms")) },
        "rejected"
      ),
      (
        "a larger batch",
        {
          settings.maxEvents = 1000; try writeSettings()
        }, "applied"
      ),
      ("a YAML syntax error", { try write("sources: [ {name: app\n") }, "rejected"),
      (
        "a longer batch age",
        {
          settings.maxAge = "100ms"; try writeSettings()
        }, "applied"
      ),
      (
        "an unset variable",
        {
          try write(
            Self.config(
              dir: dir, includeB: true, redact: true, maxEvents: 1000, maxAge: "${SLUICE_RELOAD_UNSET}", poll: "20ms"))
        }, "rejected"
      ),
      ("the same configuration", { try writeSettings() }, "unchanged"),
      (
        "a slower poll",
        {
          settings.poll = "30ms"; try writeSettings()
        }, "applied"
      ),
    ]
    for (name, change, expected) in steps {
      try await Task.sleep(for: .milliseconds(400))
      try change()
      let (status, body) = try await Self.postReload(port: port)
      #expect(body.contains("\"outcome\":\"\(expected)\""), "\(name): \(status) \(body)")
      #expect(status == (expected == "rejected" ? 422 : 200), "\(name): \(body)")
      switch expected {
      case "applied": applied += 1
      case "rejected": rejected += 1
      default: unchanged += 1
      }
      // Lines written from now on are read by the generation that redacts.
      if name == "add a redaction rule" { redactedFrom = a.written.withLock { $0 } }
    }
    try await Task.sleep(for: .seconds(1))
    a.stop.withLock { $0 = true }
    b.stop.withLock { $0 = true }
    while !(a.done.withLock { $0 } && b.done.withLock { $0 }) { try await Task.sleep(for: .milliseconds(50)) }
    let totalA = a.written.withLock { $0 }
    let totalB = b.written.withLock { $0 }

    // Wait (bounded) until every line is out, or the output stops growing.
    let out = dir.file("out.ndjson").path
    let deadline = ContinuousClock.now + .seconds(90)
    var lines: [(String, Int, String)] = []
    var last = -1
    var stableSince = ContinuousClock.now
    while ContinuousClock.now < deadline {
      lines = Self.shipped(out)
      let seenA = Set(lines.filter { $0.0 == "a" }.map(\.1)).count
      let seenB = Set(lines.filter { $0.0 == "b" }.map(\.1)).count
      if seenA >= totalA && seenB >= totalB { break }
      if lines.count != last {
        last = lines.count
        stableSince = .now
      } else if ContinuousClock.now - stableSince > .seconds(10) {
        break
      }
      try await Task.sleep(for: .milliseconds(100))
    }
    let reloads = try await EndToEndTests.metric("sluice_config_reloads_total", port: port)
    // Every applied reload changed only components (a source, the steps, a sink): each was
    // applied in place, and no reload moved to a new generation.
    let inPlace = agent.logLines.filter { $0.contains("reload: applied in place") }
    let sourceRestarts = agent.logLines.filter { $0.contains("reload: source started") }.count
    let restarted = agent.logLines.filter { $0.contains("moving to the reloaded configuration") }.count
    let scrape = try await HTTPClient.shared.get(url: "http://127.0.0.1:\(port)/metrics").get()
    let metrics = scrape.body.map { String(buffer: $0) } ?? ""
    #expect(await agent.terminate() == 0)

    // Nothing lost, from either file.
    let seqA = Set(lines.filter { $0.0 == "a" }.map(\.1))
    let seqB = Set(lines.filter { $0.0 == "b" }.map(\.1))
    #expect(totalA >= 40_000)
    #expect(redactedFrom < totalA - 5_000, "lines were written after the redaction reload")
    #expect(seqA == Set(0..<totalA), "a.log: \(totalA - seqA.count) of \(totalA) lines missing")
    #expect(seqB == Set(0..<totalB), "b.log (included by a reload): \(totalB - seqB.count) of \(totalB) missing")
    // The redaction rule took effect: every copy of a line written after it is redacted.
    let leaked = lines.filter { $0.0 == "a" && $0.1 >= redactedFrom && $0.2 == "s3cr3t" }
    #expect(leaked.isEmpty, "\(leaked.count) lines after the redaction reload still carry the secret")
    #expect(lines.contains { $0.2 != "s3cr3t" })
    // Each reload counted by outcome.
    #expect(reloads == Double(steps.count))
    #expect(inPlace.count == applied, "\(inPlace)")
    #expect(restarted == 0)
    #expect(sourceRestarts == 2)  // the include glob and the poll interval
    #expect(inPlace.contains { $0.contains("restarts sink out") })
    #expect(inPlace.contains { $0.contains("swaps the pipeline steps") })
    #expect(metrics.contains("sluice_config_reloads_total{outcome=\"applied\"} \(applied)"), "\(metrics)")
    #expect(metrics.contains("sluice_config_reloads_total{outcome=\"rejected\"} \(rejected)"))
    #expect(metrics.contains("sluice_config_reloads_total{outcome=\"unchanged\"} \(unchanged)"))
    // A changed source resumes where its predecessor's acknowledged chunks end, and a
    // replaced sink delivers all it holds first: nothing is read or sent twice.
    let duplicates = lines.count - seqA.count - seqB.count
    #expect(duplicates == 0)
    print(
      "reload under load: \(totalA) + \(totalB) lines, \(applied) applied, \(rejected) rejected, \(unchanged) unchanged "
        + "reloads, all in place: 0 lost, \(duplicates) repeated"
    )
  }

  @Test func sighupReloadsAndABadFileKeepsTheRunningConfiguration() async throws {
    let dir = try TempDirectory()
    try FileManager.default.createDirectory(atPath: dir.file("logs").path, withIntermediateDirectories: true)
    let configFile = dir.file("agent.yaml")
    let good = Self.config(dir: dir, includeB: false, redact: false, maxEvents: 10, maxAge: "20ms", poll: "20ms")
    try good.write(to: configFile, atomically: true, encoding: .utf8)
    let agent = try AgentProcess(config: configFile)
    let port = try #require(await agent.adminPort())
    let log = dir.file("logs/a.log").path
    func append(_ seq: Int) throws {
      let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
      handle.seekToEndOfFile()
      handle.write(Data((#"{"seq":\#(seq),"src":"a","secret":"s3cr3t"}"# + "\n").utf8))
      try handle.close()
    }
    FileManager.default.createFile(atPath: log, contents: nil)
    try append(0)
    func waitFor(_ seq: Int) async throws -> [(String, Int, String)] {
      var lines: [(String, Int, String)] = []
      let found = try await eventually(timeout: .seconds(30)) {
        lines = Self.shipped(dir.file("out.ndjson").path)
        return lines.contains(where: { $0.1 == seq })
      }
      return found ? lines : []
    }
    #expect(try await waitFor(0).first?.2 == "s3cr3t")

    // A broken file and SIGHUP: rejected, counted, the pipeline goes on unchanged.
    try "sources: [".write(to: configFile, atomically: true, encoding: .utf8)
    kill(agent.pid, SIGHUP)
    #expect(try await Self.metric("sluice_config_reloads_total{outcome=\"rejected\"}", reaches: 1, port: port))
    #expect(try await EndToEndTests.metric("sluice_config_last_reload_successful", port: port) == 0)
    try append(1)
    #expect(try await waitFor(1).last?.2 == "s3cr3t")

    // A good file and SIGHUP: applied; the next line is redacted.
    try Self.config(dir: dir, includeB: false, redact: true, maxEvents: 10, maxAge: "20ms", poll: "20ms")
      .write(to: configFile, atomically: true, encoding: .utf8)
    kill(agent.pid, SIGHUP)
    #expect(try await Self.metric("sluice_config_reloads_total{outcome=\"applied\"}", reaches: 1, port: port))
    #expect(try await EndToEndTests.metric("sluice_config_last_reload_successful", port: port) == 1)
    try append(2)
    let lines = try await waitFor(2)
    #expect(lines.first { $0.1 == 2 }?.2 == "[REDACTED:field]", "\(lines)")
    #expect(Set(lines.map(\.1)) == [0, 1, 2])
    #expect(await agent.terminate() == 0)
  }

  @Test func reloadEndpointAnswersOnlyPostAndNotOnARemoteAddressByDefault() {
    var admin = AdminConfig()
    #expect(admin.servesReload)
    admin.address = "0.0.0.0:9464"
    #expect(!admin.servesReload)
    admin.allowRemoteReload = true
    #expect(admin.servesReload)
    #expect(AdminServer.reloadAnswer(method: .get, reloader: nil).status == 404)
  }

  @Test func dataDirAndAdminCannotChangeOnReload() throws {
    let base = "sources: [{name: a, type: file, include: [x]}]\nsinks: [{name: o, type: console}]\n"
    let old = try ConfigLoader.parse(yaml: base + "data_dir: /tmp/a\n", environment: [:])
    let moved = try ConfigLoader.parse(yaml: base + "data_dir: /tmp/b\n", environment: [:])
    #expect(ConfigReloader.unreloadable(from: old, to: moved)?.path == "data_dir")
    let admin = try ConfigLoader.parse(
      yaml: base + "data_dir: /tmp/a\nadmin: {address: \"127.0.0.1:1\"}\n", environment: [:])
    #expect(ConfigReloader.unreloadable(from: old, to: admin)?.path == "admin")
    #expect(ConfigReloader.unreloadable(from: old, to: old) == nil)
  }
}
