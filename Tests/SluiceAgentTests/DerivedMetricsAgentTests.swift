import AsyncHTTPClient
import Foundation
import Testing

/// The `metrics`, `filter` and `set` steps in the running agent: counts on a live scrape are
/// exact for every event that passed the step, restart from zero with the process (as
/// Prometheus expects of counters) without counting checkpointed lines again, and no label
/// value on the scrape carries personal or unbounded data.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct DerivedMetricsAgentTests {
  static let services = ["checkout", "billing", "search"]

  /// Line `n`: a service by turn, every 5th an error, every 11th a health check (filtered
  /// out before the metrics step), every 4th with an e-mail as its service, every 6th
  /// carrying request and user ids, an IP and a UUID.
  static func line(_ n: Int) -> String {
    let service = n % 4 == 0 ? "user\(n)@example.com" : services[n % services.count]
    let level = n % 5 == 0 ? "error" : "info"
    let path = n % 11 == 0 ? "/healthz" : "/api/orders"
    let ids =
      n % 6 == 0
      ? #","request_id":"req-\#(n)","user_id":\#(100_000 + n),"client_ip":"10.0.\#(n % 250).7","trace_id":"4bf92f3577b34da6a3ce929d0e0e\#(String(format: "%04x", n))""#
      : ""
    return
      #"{"seq":\#(n),"service":"\#(service)","level":"\#(level)","path":"\#(path)","status":\#(n % 5 == 0 ? 503 : 200),"duration_ms":\#(n % 300)\#(ids)}"#
  }

  /// What the default rules must count for lines `range`.
  static func expected(_ range: Range<Int>) -> (errors: [String: Int], filtered: Int, passed: Int) {
    var errors: [String: Int] = [:]
    var filtered = 0
    for n in range {
      if n % 11 == 0 {
        filtered += 1
        continue
      }
      // The redact step, before the metrics step, already masked the e-mail.
      let service = n % 4 == 0 ? "[REDACTED:email]" : services[n % services.count]
      if n % 5 == 0 { errors[service, default: 0] += 1 }
    }
    return (errors, filtered, range.count - filtered)
  }

  static func config(_ dir: TempDirectory) throws -> URL {
    let yaml = """
      data_dir: \(dir.path)/data
      sources:
        - {name: app, type: file, include: ["\(dir.path)/logs/*.log"], read_from: beginning, poll_interval: 50ms}
      pipeline:
        - {type: parse}
        - {type: filter, name: no_health, drop: 'path=/healthz'}
        - {type: set, fields: {cluster: prod}}
        - {type: redact}
        - {type: metrics}
        - type: metrics
          name: http
          rules:
            - {name: http_errors_total, match: 'status>=500', labels: {service: "@service", cluster: cluster}}
            - {name: http_duration_ms, type: histogram, field: duration_ms, buckets: [10, 100, 250], labels: {level: "@level"}}
      sinks:
        - {name: out, type: file, path: "\(dir.path)/out.ndjson", batch: {max_events: 100, max_age: 50ms}}
      admin: {address: "127.0.0.1:0"}
      """
    let url = dir.file("agent.yaml")
    try yaml.write(to: url, atomically: true, encoding: .utf8)
    return url
  }

  static func scrape(_ port: Int) async throws -> String {
    let response = try await HTTPClient.shared.get(url: "http://127.0.0.1:\(port)/metrics").get()
    return response.body.map { String(buffer: $0) } ?? ""
  }

  /// The value of the series written exactly as `series` (`name{labels}`), or nil.
  static func value(_ series: String, in scrape: String) -> Double? {
    for line in scrape.split(separator: "\n") where line.hasPrefix(series + " ") {
      return Double(line.dropFirst(series.count + 1))
    }
    return nil
  }

  func writeLines(_ range: Range<Int>, to dir: TempDirectory) throws {
    let url = dir.file("logs/app.log")
    let text = range.map(Self.line).joined(separator: "\n") + "\n"
    if let handle = try? FileHandle(forWritingTo: url) {
      try handle.seekToEnd()
      try handle.write(contentsOf: Data(text.utf8))
      try handle.close()
    } else {
      try text.write(to: url, atomically: false, encoding: .utf8)
    }
  }

  /// Runs the agent until it delivered `events`, then checks the scrape against `range`.
  func runAndCheck(_ dir: TempDirectory, config: URL, range: Range<Int>) async throws {
    let agent = try AgentProcess(config: config)
    let port = try #require(await agent.adminPort())
    let want = Self.expected(range)
    let sent = try await DeliveryGuaranteeTests.waitForMetric("sluice_sink_events_total", port: port) {
      $0 >= Double(want.passed)
    }
    #expect(sent == Double(want.passed))
    let scrape = try await Self.scrape(port)
    for (service, n) in want.errors {
      #expect(Self.value(#"sluice_log_errors_total{service="\#(service)"}"#, in: scrape) == Double(n), "\(service)")
      #expect(
        Self.value(#"sluice_log_events_total{service="\#(service)",level="error"}"#, in: scrape) == Double(n),
        "\(service)")
      #expect(
        Self.value(#"http_errors_total{service="\#(service)",cluster="prod"}"#, in: scrape) == Double(n), "\(service)")
    }
    #expect(Self.value(#"sluice_events_filtered_total{step="no_health"}"#, in: scrape) == Double(want.filtered))
    #expect(Self.value(#"http_duration_ms_count{level="info"}"#, in: scrape) != nil)
    Self.assertNoPersonalOrUnboundedLabels(scrape)
    #expect(await agent.terminate() == 0)
  }

  @Test func countsAreExactAndRestartFromZeroAcrossARestart() async throws {
    let dir = try TempDirectory()
    try FileManager.default.createDirectory(at: dir.file("logs"), withIntermediateDirectories: true)
    let config = try Self.config(dir)
    try writeLines(1..<3001, to: dir)
    try await runAndCheck(dir, config: config, range: 1..<3001)
    // The second run counts only the new lines: its counters start at zero and the first
    // 3,000 lines are behind the checkpoint.
    try writeLines(3001..<4001, to: dir)
    try await runAndCheck(dir, config: config, range: 3001..<4001)
  }

  static let forbiddenLabelNames: Set<String> = [
    "request_id", "trace_id", "span_id", "user_id", "user", "email", "ip", "client_ip", "session", "session_id",
  ]

  /// The anti-cardinality rule over a whole scrape: no label name from the forbidden list,
  /// and no label value that looks like a UUID, an e-mail address, an IP address, a long
  /// hex string or a long run of digits.
  static func assertNoPersonalOrUnboundedLabels(_ scrape: String) {
    let patterns = [
      ("uuid", #"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"#),
      ("email", #"[^\s@"]+@[^\s@"]+\.[a-zA-Z]{2,}"#), ("ipv4", #"\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b"#),
      ("ipv6", #"\b[0-9a-fA-F]{1,4}(:[0-9a-fA-F]{0,4}){3,7}\b"#), ("long hex", #"\b[0-9a-fA-F]{16,}\b"#),
      ("long digits", #"\d{8,}"#),
    ].map { ($0.0, try! NSRegularExpression(pattern: $0.1)) }
    let labelPair = try! NSRegularExpression(pattern: #"([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)""#)
    var checked = 0
    for line in scrape.split(separator: "\n") where !line.hasPrefix("#") {
      guard let open = line.firstIndex(of: "{"), let close = line.lastIndex(of: "}") else { continue }
      let labels = String(line[line.index(after: open)..<close])
      let ns = labels as NSString
      for m in labelPair.matches(in: labels, range: NSRange(location: 0, length: ns.length)) {
        let name = ns.substring(with: m.range(at: 1))
        let value = ns.substring(with: m.range(at: 2))
        checked += 1
        #expect(!forbiddenLabelNames.contains(name), "label name \(name) in \(line)")
        if name == "le" || name == "version" { continue }  // bucket bounds, the build version
        for (what, re) in patterns
        where re.firstMatch(in: value, range: NSRange(location: 0, length: (value as NSString).length)) != nil {
          Issue.record("label \(name)=\"\(value)\" looks like a \(what): \(line)")
        }
      }
    }
    #expect(checked > 20, "the scrape had labels to check")
  }
}
