import Foundation
import SluiceCore
import Synchronization
import Testing

@testable import SluiceAgent

/// At-least-once, end to end: every line carries a sequence number, and the checks count
/// them at a real HTTP receiver on loopback that fails the way backends do.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct DeliveryGuaranteeTests {
  static func config(
    _ dir: TempDirectory, url: String, sink extra: String = "", batch: String = "{max_events: 100, max_age: 50ms}"
  ) throws -> URL {
    let url_ = dir.file("agent.yaml")
    try """
    data_dir: \(dir.path)/data
    sources: [{name: app, type: file, include: ["\(dir.path)/logs/*.log"], read_from: beginning, poll_interval: 20ms}]
    pipeline: [{type: parse}]
    sinks:
      - name: out
        type: http
        url: "\(url)"
        timeout: 1s
        connect_timeout: 500ms
        batch: \(batch)
        retry: {initial_backoff: 10ms, max_backoff: 200ms, max_retry_after: 1s}
    \(extra.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n"))
    admin: {address: "127.0.0.1:0"}
    shutdown_grace: 5s
    """.write(to: url_, atomically: true, encoding: .utf8)
    return url_
  }

  /// Appends lines `{"seq":n,...}` for n in `range`.
  static func write(_ range: Range<Int>, to dir: TempDirectory, pad: Int = 40) throws {
    var text = ""
    text.reserveCapacity(range.count * (pad + 40))
    let padding = String(repeating: "p", count: pad)
    for n in range { text += "{\"seq\":\(n),\"level\":\"info\",\"pad\":\"\(padding)\"}\n" }
    try dir.append(text, to: "logs/app.log")
  }

  /// The `seq` of every event in the accepted requests (gzip bodies inflated by zlib).
  static func seqs(_ requests: [FlakyReceiver.Request]) throws -> [Int] {
    var out: [Int] = []
    for r in requests { out += try seqs(r) }
    return out
  }

  static func seqs(_ r: FlakyReceiver.Request) throws -> [Int] {
    let body = r.header("Content-Encoding") == "gzip" ? try Gunzip.decompress(r.body) : r.body
    var out: [Int] = []
    for line in body.split(separator: 0x0A) {
      if case .int(let n) = try JSONValue.parse(Array(line))["seq"] { out.append(Int(n)) }
    }
    return out
  }

  /// Distinct sequence numbers received so far, decoding each request once (the receiver's
  /// wait predicate runs after every accepted request).
  final class Tally: Sendable {
    private let state = Mutex<(decoded: Int, seen: Set<Int>)>((0, []))

    func distinct(_ requests: [FlakyReceiver.Request]) -> Int {
      state.withLock { s in
        for r in requests[s.decoded...] { s.seen.formUnion((try? DeliveryGuaranteeTests.seqs(r)) ?? []) }
        s.decoded = requests.count
        return s.seen.count
      }
    }
  }

  /// A loopback port with nothing listening (a sink that is down: connection refused), which
  /// a receiver can later start on.
  static func closedPort() throws -> Int {
    let probe = try FlakyReceiver.start { _, _ in .respond(status: 200) }
    defer { probe.stop() }
    return probe.port
  }

  static func rssKiB(_ pid: Int32) -> Int? {
    guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
    let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") }
    return line.flatMap { Int($0.split(separator: " ", omittingEmptySubsequences: true)[1]) }
  }

  static func waitForMetric(
    _ name: String, port: Int, timeout: Duration = .seconds(60), until: (Double) -> Bool
  ) async throws -> Double {
    var v = 0.0
    _ = try await eventually(timeout: timeout) {
      v = try await EndToEndTests.metric(name, port: port) ?? 0
      return until(v)
    }
    return v
  }

  @Test func aFlakySinkGetsEverySequenceNumberAtLeastOnce() async throws {
    let dir = try TempDirectory()
    let total = 20_000
    // Answers drawn at random: errors, throttling with both Retry-After forms, slow
    // answers, answers slower than the client's timeout (processed, but the client cannot
    // know: the source of duplicates), and connections reset mid-request and after it.
    let lateAccepts = Mutex(0)
    let receiver = try FlakyReceiver.start { attempt, _ in
      var rng = SystemRandomNumberGenerator()
      switch Int.random(in: 0..<100, using: &rng) {
      case 0..<12: return .respond(status: 500)
      case 12..<20: return .respond(status: 503, body: "busy")
      case 20..<26: return .respond(status: 429, headers: [("Retry-After", "0")])
      case 26..<30:
        let date = Date().addingTimeInterval(1)
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "GMT")
        f.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        return .respond(status: 429, headers: [("Retry-After", f.string(from: date))])
      case 30..<36: return .resetMidRequest
      case 36..<40: return .resetAfterRequest
      case 40..<43:
        lateAccepts.withLock { $0 += 1 }
        return .respond(status: 200, delay: .milliseconds(1500))
      case 43..<50: return .respond(status: 200, delay: .milliseconds(100))
      default: return .respond(status: attempt % 2 == 0 ? 200 : 204)
      }
    }
    defer { receiver.stop() }
    let config = try Self.config(dir, url: receiver.url, sink: "concurrency: 4")
    try Self.write(0..<total / 2, to: dir)
    let agent = try AgentProcess(config: config)
    let port = try #require(await agent.adminPort())
    try Self.write(total / 2..<total, to: dir)
    let tally = Tally()
    let all = await receiver.waitUntil(timeout: .seconds(240)) { tally.distinct($0) == total }
    let retries = try await EndToEndTests.metric("sluice_sink_retries_total", port: port) ?? 0
    #expect(await agent.terminate() == 0)
    let seqs = try Self.seqs(receiver.accepted)
    let missing = Set(0..<total).subtracting(seqs)
    #expect(all && missing.isEmpty, "missing \(missing.count), e.g. \(missing.sorted().prefix(5))")
    // A duplicate comes only from a request the receiver took but the agent never heard
    // back from: at most one batch (100 events) per late answer.
    let duplicates = seqs.count - Set(seqs).count
    #expect(duplicates <= lateAccepts.withLock { $0 } * 100, "\(duplicates) duplicates")
    #expect(retries > 0)
    print(
      "flaky sink: \(total) events, \(receiver.attempts) requests, \(Int(retries)) retries, "
        + "\(duplicates) duplicates (bound \(lateAccepts.withLock { $0 } * 100))")
  }

  /// The sink is down (connection refused) while 300,000 lines are written. Memory buffer:
  /// the queue fills, then the sources stop reading. Disk buffer: everything is read into the
  /// buffer, and a SIGTERM during the outage leaves it there for the next run. Either way the
  /// agent's RSS stays flat, and once the sink is back every event arrives.
  @Test(arguments: ["memory", "disk"])
  func sinkDownThenBackKeepsRSSFlatAndDeliversAll(_ buffer: String) async throws {
    let dir = try TempDirectory()
    let total = 300_000
    let port = try Self.closedPort()
    let settings =
      buffer == "memory" ? "buffer: {type: memory, max_events: 2000, max_bytes: 1MiB}" : "buffer: {type: disk}"
    let config = try Self.config(
      dir, url: "http://127.0.0.1:\(port)/ingest", sink: settings, batch: "{max_events: 500, max_age: 50ms}")
    try Self.write(0..<10_000, to: dir)
    var agent = try AgentProcess(config: config)
    var admin = try #require(await agent.adminPort())
    _ = try await Self.waitForMetric("sluice_sink_send_errors_total", port: admin) { $0 >= 5 }
    let early = try #require(Self.rssKiB(agent.pid))
    for k in stride(from: 10_000, to: total, by: 10_000) { try Self.write(k..<k + 10_000, to: dir) }
    if buffer == "memory" {
      try await Task.sleep(for: .seconds(2))  // let the agent try (and fail) for a while
    } else {
      _ = try await Self.waitForMetric("sluice_buffer_events", port: admin) { $0 >= Double(total) }
    }
    let late = try #require(Self.rssKiB(agent.pid))
    let read = try await EndToEndTests.metric("sluice_source_lines_total", port: admin) ?? 0
    #expect(late - early < 30 * 1024, "RSS grew from \(early) KiB to \(late) KiB while the sink was down")
    if buffer == "memory" {
      #expect(read < Double(total), "backpressure: the source stopped reading")
      // The lag gauge follows the files growing while the source is held back: it is measured
      // again every second during a blocked send, not only after polls (which stopped).
      let before = try await EndToEndTests.metric("sluice_source_lag_bytes", port: admin) ?? 0
      try Self.write(total..<total + 10_000, to: dir)  // about 790 kB more
      let after = try await Self.waitForMetric("sluice_source_lag_bytes", port: admin, timeout: .seconds(10)) {
        $0 >= before + 700_000
      }
      #expect(after >= before + 700_000, "lag while held back: \(before) → \(after) bytes")
    } else {
      #expect(read == Double(total), "the disk buffer took everything")
      // Stopped during the outage: the grace period runs out, the buffer keeps the events.
      #expect(await agent.terminate() == 0)
      let unsent = agent.logLines.contains { $0.contains("unacknowledged") }
      #expect(!unsent, "with a disk buffer every chunk was acknowledged to the source")
      agent = try AgentProcess(config: config)
      admin = try #require(await agent.adminPort())
      let kept = try await Self.waitForMetric("sluice_buffer_events", port: admin, timeout: .seconds(20)) { $0 > 0 }
      #expect(kept == Double(total), "the restarted agent found every event in its buffer")
    }

    let receiver = try FlakyReceiver.start(port: port) { _, _ in .respond(status: 200) }
    defer { receiver.stop() }
    let tally = Tally()
    let expected = buffer == "memory" ? total + 10_000 : total
    let all = await receiver.waitUntil(timeout: .seconds(240)) { tally.distinct($0) == expected }
    #expect(await agent.terminate() == 0)
    #expect(all)
    print(
      "sink down, \(buffer) buffer: RSS \(early / 1024) MiB → \(late / 1024) MiB; \(Int(read)) of \(total) read during the outage"
    )
  }

  @Test(arguments: ["drop_oldest", "drop_newest"])
  func aFullDiskBufferDropsByItsPolicyAndCountsExactlyWhatIsMissing(_ policy: String) async throws {
    let dir = try TempDirectory()
    let total = 40_000
    let port = try Self.closedPort()
    let config = try Self.config(
      dir, url: "http://127.0.0.1:\(port)/ingest",
      sink: "buffer: {type: disk, max_bytes: 512KiB, segment_bytes: 64KiB, policy: \(policy)}",
      batch: "{max_events: 200, max_age: 50ms}")
    try Self.write(0..<total, to: dir)
    let agent = try AgentProcess(config: config)
    let admin = try #require(await agent.adminPort())
    // Everything is read (the buffer takes it or drops it), nothing is sent.
    _ = try await Self.waitForMetric("sluice_source_lines_total", port: admin) { $0 >= Double(total) }
    _ = try await Self.waitForMetric("sluice_sink_events_dropped_total", port: admin) { $0 > 0 }

    let receiver = try FlakyReceiver.start(port: port) { _, _ in .respond(status: 200) }
    defer { receiver.stop() }
    // Each event is now either delivered or counted as dropped.
    var dropped = 0.0
    _ = try await eventually(timeout: .seconds(120)) {
      let sent = try await EndToEndTests.metric("sluice_sink_events_total", port: admin) ?? 0
      dropped = try await EndToEndTests.metric("sluice_sink_events_dropped_total", port: admin) ?? 0
      return sent + dropped >= Double(total)
    }
    #expect(dropped > 0 && dropped < Double(total))
    let buffered = try await Self.waitForMetric("sluice_buffer_events", port: admin) { $0 == 0 }
    #expect(buffered == 0)
    #expect(await agent.terminate() == 0)
    let seqs = Set(try Self.seqs(receiver.accepted))
    let missing = Set(0..<total).subtracting(seqs)
    #expect(Double(missing.count) == dropped, "\(missing.count) missing, \(dropped) counted as dropped")
    if policy == "drop_newest" {
      #expect(seqs.contains(0), "the oldest events were kept")
    } else {
      #expect(seqs.contains(total - 1), "the newest events were kept")
    }
    print("disk buffer \(policy): \(Int(dropped)) dropped and counted, \(seqs.count) delivered")
  }

  /// SIGKILL four times at random moments while lines keep coming and the sink fails one
  /// request in ten, then a clean stop: no sequence number is missing. With the disk buffer,
  /// a torn record is also planted at the end of its newest segment once.
  @Test(arguments: ["memory", "disk"])
  func killedAgainAndAgainUnderLoadLosesNothing(_ buffer: String) async throws {
    let dir = try TempDirectory()
    let total = 30_000
    let receiver = try FlakyReceiver.start { _, _ in
      Int.random(in: 0..<10) == 0 ? .respond(status: 503) : .respond(status: 200)
    }
    defer { receiver.stop() }
    let config = try Self.config(dir, url: receiver.url, sink: "concurrency: 2\nbuffer: {type: \(buffer)}")
    // Checkpoints every 100ms: what a restart reads again (and sends twice) is what was read
    // since the last save; the rounds here are shorter than the default 1s.
    try String(contentsOf: config, encoding: .utf8).replacingOccurrences(
      of: "shutdown_grace: 5s", with: "shutdown_grace: 5s\ncheckpoint_interval: 100ms"
    ).write(to: config, atomically: true, encoding: .utf8)
    // A writer appends 10,000 lines a second through every round, restarts included.
    let writer = Task {
      var n = 0
      while n < total {
        try Self.write(n..<n + 100, to: dir)
        n += 100
        try await Task.sleep(for: .milliseconds(10))
      }
    }
    var tornTails = 0.0
    var kills = 0
    for round in 0..<5 {
      let agent = try AgentProcess(config: config)
      let admin = try #require(await agent.adminPort())
      if buffer == "disk" && round == 2 {
        // The run after the planted torn record: recovery cuts it off and counts it.
        tornTails = try await Self.waitForMetric("sluice_buffer_torn_tails_total", port: admin, timeout: .seconds(20)) {
          $0 >= 1
        }
      }
      if round < 4 {
        // Killed at a random moment while lines keep coming.
        try await Task.sleep(for: .milliseconds(Int.random(in: 150...700)))
        _ = await agent.kill9()
        kills += 1
        // Simulate a torn last write once: half a record header at the end of the newest segment.
        if buffer == "disk" && round == 1, let seg = try Self.newestSegment(dir) {
          let fd = open(seg, O_WRONLY | O_APPEND)
          _ = [UInt8](repeating: 0x5A, count: 7).withUnsafeBytes { Glibc.write(fd, $0.baseAddress, 7) }
          close(fd)
        }
      } else {
        try await writer.value
        let tally = Tally()
        #expect(await receiver.waitUntil(timeout: .seconds(120)) { tally.distinct($0) == total })
        #expect(await agent.terminate() == 0)
      }
    }
    #expect(kills == 4)
    let seqs = try Self.seqs(receiver.accepted)
    let missing = Set(0..<total).subtracting(seqs)
    #expect(missing.isEmpty, "missing \(missing.count), e.g. \(missing.sorted().prefix(5))")
    if buffer == "disk" { #expect(tornTails >= 1, "the torn tail was found and counted") }
    print(
      "4 SIGKILLs under load, \(buffer) buffer: \(total) events, \(seqs.count - Set(seqs).count) duplicates, "
        + "\(missing.count) missing")
  }

  static func newestSegment(_ dir: TempDirectory) throws -> String? {
    let d = dir.file("data/buffer/out").path
    let names = try FileManager.default.contentsOfDirectory(atPath: d).filter { $0.hasSuffix(".seg") }.sorted()
    return names.last.map { d + "/" + $0 }
  }

  @Test func anOversizedEventIsSplitOutAndDeadLetteredAloneAnd400sAreDeadLettered() async throws {
    let dir = try TempDirectory()
    // Like a backend with a request size limit: 413 for any body holding the huge event,
    // 400 for a body holding the malformed one.
    let receiver = try FlakyReceiver.start { _, request in
      let text = String(decoding: (try? Gunzip.decompress(request.body)) ?? [], as: UTF8.self)
      if text.contains("HUGE") { return .respond(status: 413, body: "request entity too large") }
      if text.contains("POISON") { return .respond(status: 400, body: "{\"error\":\"mapper_parsing_exception\"}") }
      return .respond(status: 200)
    }
    defer { receiver.stop() }
    let config = try Self.config(dir, url: receiver.url, batch: "{max_events: 64, max_age: 50ms}")
    var text = ""
    for n in 0..<200 {
      let marker = n == 77 ? String(repeating: "HUGE", count: 1000) : n == 150 ? "POISON" : "fine"
      text += "{\"seq\":\(n),\"msg\":\"\(marker)\"}\n"
    }
    try dir.append(text, to: "logs/app.log")
    let agent = try AgentProcess(config: config)
    let admin = try #require(await agent.adminPort())
    var deadLettered = 0.0
    _ = try await eventually(timeout: .seconds(60)) {
      let sent = try await EndToEndTests.metric("sluice_sink_events_total", port: admin) ?? 0
      deadLettered = try await EndToEndTests.metric("sluice_events_dead_lettered_total", port: admin) ?? 0
      return sent + deadLettered >= 200
    }
    #expect(await agent.terminate() == 0)

    let entries = try String(contentsOf: dir.file("data/dead-letter/out.ndjson"), encoding: .utf8)
      .split(separator: "\n").map { try JSONValue.parse(String($0)) }
    let huge = entries.filter { $0["status"] == 413 }
    #expect(huge.count == 1, "only the oversized event, split out of its batch")
    #expect(huge.first?["event"]?["seq"] == 77)
    #expect(huge.first?["response"]?.stringValue == "request entity too large")
    let poisoned = entries.filter { $0["status"] == 400 }
    #expect(poisoned.contains { $0["event"]?["seq"] == 150 })
    #expect(poisoned.allSatisfy { $0["reason"] == "HTTP 400" })
    #expect(Double(entries.count) == deadLettered)
    let delivered = Set(try Self.seqs(receiver.accepted))
    let rejected = Set(
      entries.compactMap { e -> Int? in
        if case .int(let n) = e["event"]?["seq"] { Int(n) } else { nil }
      })
    #expect(delivered.union(rejected) == Set(0..<200), "each event delivered or dead-lettered")
    #expect(delivered.isDisjoint(with: rejected))
    #expect(receiver.connections < receiver.attempts, "keep-alive: connections are reused")
    let size = try FileManager.default.attributesOfItem(atPath: dir.file("logs/app.log").path)[.size] as! Int
    let checkpoints = try JSONValue.parse(Array(Data(contentsOf: dir.file("data/checkpoints.json"))))
    #expect(checkpoints["files"]?.arrayFirst?["offset"] == .int(Int64(size)), "the source moved on")
  }

  @Test func elasticsearchPerEventErrorsAreRetriedOrDeadLetteredOneByOne() async throws {
    let dir = try TempDirectory()
    // A bulk answer with `errors: true`: event 5 is throttled once (429, retried), event 9 is
    // refused for good (400, dead-lettered); the rest are created.
    let throttled = Mutex(false)
    let receiver = try FlakyReceiver.start { _, request in
      let lines = String(decoding: (try? Gunzip.decompress(request.body)) ?? [], as: UTF8.self)
        .split(separator: "\n")
      var items: [String] = []
      var errors = false
      for line in lines where line.hasPrefix("{\"seq\"") {
        let seq = Int(line.dropFirst(7).prefix { $0.isNumber }) ?? -1
        if seq == 5
          && !throttled.withLock({
            let t = $0; $0 = true; return t
          })
        {
          errors = true
          items.append(
            #"{"create":{"_index":"logs","status":429,"error":{"type":"es_rejected_execution_exception","reason":"queue full"}}}"#
          )
        } else if seq == 9 {
          errors = true
          items.append(
            #"{"create":{"_index":"logs","status":400,"error":{"type":"mapper_parsing_exception","reason":"failed to parse field [seq]"}}}"#
          )
        } else {
          items.append(#"{"create":{"_index":"logs","_id":"x","status":201}}"#)
        }
      }
      return .respond(
        status: 200, headers: [("Content-Type", "application/json")],
        body: "{\"took\":3,\"errors\":\(errors),\"items\":[\(items.joined(separator: ","))]}")
    }
    defer { receiver.stop() }
    let config = try Self.config(
      dir, url: receiver.url,
      sink: "encoding: elasticsearch\nelasticsearch: {index: logs}\nheaders: {X-Scope-OrgID: tenant-a}",
      batch: "{max_events: 20, max_age: 50ms}")
    try Self.write(0..<20, to: dir)
    let agent = try AgentProcess(config: config)
    let admin = try #require(await agent.adminPort())
    _ = try await Self.waitForMetric("sluice_events_dead_lettered_total", port: admin) { $0 >= 1 }
    let sent = try await Self.waitForMetric("sluice_sink_events_total", port: admin) { $0 >= 19 }
    // Batch sizes are visible: two requests took 18 and then 1 event.
    let batchEvents = try await EndToEndTests.metric("sluice_sink_batch_events_sum", port: admin)
    let batchCount = try await EndToEndTests.metric("sluice_sink_batch_events_count", port: admin)
    #expect(await agent.terminate() == 0)
    #expect(sent == 19)
    #expect(batchEvents == 19 && batchCount == 2)
    #expect(receiver.accepted.allSatisfy { $0.header("X-Scope-OrgID") == "tenant-a" }, "configured headers are sent")
    #expect(receiver.accepted.allSatisfy { $0.header("Content-Type") == "application/x-ndjson" })
    // The retry carried only event 5.
    let bodies = try receiver.accepted.map { String(decoding: try Gunzip.decompress($0.body), as: UTF8.self) }
    #expect(bodies.count == 2)
    #expect(bodies.last?.split(separator: "\n").count == 2)
    #expect(bodies.last?.contains("\"seq\":5,") == true)
    #expect(bodies.first?.hasPrefix("{\"create\":{\"_index\":\"logs\"}}\n{\"seq\":0,") == true)
    let entries = try String(contentsOf: dir.file("data/dead-letter/out.ndjson"), encoding: .utf8)
      .split(separator: "\n").map { try JSONValue.parse(String($0)) }
    #expect(entries.count == 1)
    #expect(entries.first?["event"]?["seq"] == 9)
    #expect(entries.first?["status"] == 400)
    #expect(entries.first?["reason"]?.stringValue?.contains("mapper_parsing_exception") == true)
  }
}
