import AsyncHTTPClient
import Foundation
import SluiceCore
import Testing

/// The walking skeleton, end to end: the built `sluice agent` tails files, parses, redacts,
/// counts, gzips and POSTs to a loopback receiver; SIGTERM leaves nothing unsent; a restart
/// resumes from the checkpoint without duplicates.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct EndToEndTests {
  /// A JSON log line with a sequence number; every 7th is an error, every 3rd carries an email.
  static func line(_ file: String, _ n: Int) -> (sent: String, expected: String) {
    let level = n % 7 == 0 ? "error" : (n % 5 == 0 ? "warn" : "info")
    let email = "user\(n)@example.com"
    let message = n % 3 == 0 ? "password reset for \(email)" : "request \(n) done \\\"quoted\\\" ünï ✓"
    let sent =
      #"{"ts":"2026-11-23T10:00:00.\#(String(format: "%06d", n))Z","level":"\#(level)","msg":"\#(message)","file":"\#(file)","seq":\#(n),"nested":{"to":["\#(email)"],"ok":true}}"#
    let expected = sent.replacingOccurrences(of: email, with: "[REDACTED:email]")
    return (sent, expected)
  }

  static func lines(_ file: String, _ range: Range<Int>) -> (text: String, expected: [String], errors: Int, emails: Int)
  {
    var text = ""
    var expected: [String] = []
    var errors = 0
    var emails = 0
    for n in range {
      let (s, e) = line(file, n)
      text += s + "\n"
      expected.append(e)
      if n % 7 == 0 { errors += 1 }
      emails += n % 3 == 0 ? 2 : 1
    }
    return (text, expected, errors, emails)
  }

  static func config(_ dir: TempDirectory, receiver: TestReceiver) throws -> URL {
    let yaml = """
      data_dir: \(dir.path)/data
      sources:
        - name: app
          type: file
          include: ["\(dir.path)/logs/*.log"]
          read_from: beginning
          poll_interval: 50ms
      pipeline:
        - {type: parse}
        - {type: redact}
        - {type: metrics}
      sinks:
        - name: backend
          type: http
          url: "\(receiver.url)"
          encoding: ndjson
          compression: gzip
          # One request at a time: the test checks each file's events arrive in order.
          concurrency: 1
          batch: {max_events: 64, max_bytes: 64KiB, max_age: 200ms}
          retry: {initial_backoff: 50ms, max_backoff: 1s}
      admin: {address: "127.0.0.1:0"}
      shutdown_grace: 20s
      """
    let url = dir.file("agent.yaml")
    try yaml.write(to: url, atomically: true, encoding: .utf8)
    return url
  }

  /// The value of metric `name` on the admin endpoint, summed over its label values.
  static func metric(_ name: String, port: Int) async throws -> Double? {
    let response = try await HTTPClient.shared.get(url: "http://127.0.0.1:\(port)/metrics").get()
    guard response.status == .ok, let body = response.body else { return nil }
    let text = String(buffer: body)
    // The sum over every series of the metric (all label values).
    var sum: Double?
    for line in text.split(separator: "\n") where line.hasPrefix(name + " ") || line.hasPrefix(name + "{") {
      if let v = line.split(separator: " ").last.flatMap({ Double($0) }) { sum = (sum ?? 0) + v }
    }
    return sum
  }

  @Test func fileToHTTPWithRedactionMetricsShutdownAndRestart() async throws {
    let dir = try TempDirectory()
    let receiver = try await TestReceiver.start()
    defer { receiver.stop() }
    let configURL = try Self.config(dir, receiver: receiver)

    // Lines present before the agent starts, then more appended while it runs,
    // including a file created while running.
    var expected: [String: [String]] = [:]
    var errorLines = 0
    var emails = 0
    let before = Self.lines("a", 0..<300)
    try dir.append(before.text, to: "logs/a.log")
    expected["a", default: []] += before.expected
    errorLines += before.errors
    emails += before.emails

    let agent = try AgentProcess(config: configURL)
    let port = try #require(await agent.adminPort(), "agent did not start: \(agent.logLines)")

    for round in 0..<5 {
      let a = Self.lines("a", (300 + round * 100)..<(400 + round * 100))
      try dir.append(a.text, to: "logs/a.log")
      expected["a", default: []] += a.expected
      errorLines += a.errors
      emails += a.emails
      let b = Self.lines("b", (round * 50)..<(round * 50 + 50))
      try dir.append(b.text, to: "logs/b.log")
      expected["b", default: []] += b.expected
      errorLines += b.errors
      emails += b.emails
    }
    let total = expected.values.reduce(0) { $0 + $1.count }
    #expect(total == 1050)
    #expect(await receiver.waitForEvents(total, timeout: .seconds(60)), "only \(receiver.lines.count) of \(total)")

    // Every event arrived exactly as sent except the redacted emails, in order per file.
    Self.checkDelivered(receiver.lines, expected)
    for r in receiver.requests {
      #expect(r.contentEncoding == "gzip")
      #expect(r.contentType == "application/x-ndjson")
      #expect(r.rawBody.starts(with: [0x1F, 0x8B]))
    }
    #expect(try await Self.metric("sluice_log_errors_total", port: port) == Double(errorLines))
    #expect(try await Self.metric("sluice_redactions_total", port: port) == Double(emails))

    // Lines written just before SIGTERM are still read, shipped and acknowledged.
    let last = Self.lines("a", 10_000..<10_200)
    try dir.append(last.text, to: "logs/a.log")
    expected["a", default: []] += last.expected
    let status = await agent.terminate()
    #expect(status == 0, "agent log: \(agent.logLines.suffix(5))")
    #expect(receiver.lines.count == total + 200)
    Self.checkDelivered(receiver.lines, expected)
    for line in agent.logLines { #expect((try? JSONValue.parse(line)) != nil, "agent log line is not JSON: \(line)") }

    // The checkpoint covers both files completely.
    let checkpoints = try JSONValue.parse(Array(Data(contentsOf: dir.file("data/checkpoints.json"))))
    guard case .array(let files)? = checkpoints["files"] else {
      Issue.record("no files in checkpoints")
      return
    }
    for name in ["a", "b"] {
      let path = dir.file("logs/\(name).log").path
      let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as! Int
      let entry = files.first { $0["path"]?.stringValue == path }
      #expect(entry?["offset"] == .int(Int64(size)), "checkpoint for \(name)")
    }

    // A restart resumes from the checkpoint: only new lines are sent, none twice.
    let again = try AgentProcess(config: configURL)
    _ = try #require(await again.adminPort())
    let more = Self.lines("b", 5_000..<5_100)
    try dir.append(more.text, to: "logs/b.log")
    expected["b", default: []] += more.expected
    #expect(await receiver.waitForEvents(total + 300, timeout: .seconds(60)))
    #expect(await again.terminate() == 0)
    #expect(receiver.lines.count == total + 300, "duplicates after restart")
    Self.checkDelivered(receiver.lines, expected)
  }

  static func checkDelivered(_ received: [String], _ expected: [String: [String]]) {
    var byFile: [String: [String]] = [:]
    for line in received {
      guard let v = try? JSONValue.parse(line), let file = v["file"]?.stringValue else {
        Issue.record("received a line that is not a test event: \(line)")
        continue
      }
      byFile[file, default: []].append(line)
    }
    for (file, lines) in expected {
      let got = byFile[file] ?? []
      #expect(got.count == lines.count, "file \(file): \(got.count) received, \(lines.count) expected")
      if let k = zip(got, lines).enumerated().first(where: { $0.element.0 != $0.element.1 })?.offset {
        Issue.record("file \(file), event \(k): got \(got[k]) expected \(lines[k])")
      }
    }
  }
}
