import Foundation
import Testing
import Yams

/// Every metric name the alerts (k8s/base/prometheusrule.yaml) and the Grafana dashboard
/// (k8s/base/dashboards/sluice.json) use exists in a live scrape of an agent running the
/// node's shape of pipeline: no dangling names. Names that come from elsewhere are listed
/// with where they come from.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct MetricNameTests {
  /// Series Prometheus or kube-state-metrics make, not the agent.
  static let external = [
    "up": "Prometheus's own scrape health",
    "kube_node_info": "kube-state-metrics (kube-prometheus-stack installs it)",
  ]

  /// The metric names a PromQL expression reads: identifiers that are not functions,
  /// keywords, label names (inside `{…}` or a grouping list) or durations.
  static func metricNames(in expr: String) -> Set<String> {
    var text = expr
    for pattern in [
      #""(\\.|[^"\\])*""#, #"'(\\.|[^'\\])*'"#, #"\{[^}]*\}"#, #"\[[^\]]*\]"#,
      #"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)"#,
    ] {
      text = text.replacingOccurrences(of: pattern, with: " ", options: .regularExpression)
    }
    let keywords: Set<String> = [
      "and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring", "group_left", "group_right", "inf",
      "nan", "le",
    ]
    var names: Set<String> = []
    let chars = Array(text.utf8)
    var i = 0
    func isStart(_ c: UInt8) -> Bool { c == 0x5F || c == 0x3A || (c | 0x20 >= 0x61 && c | 0x20 <= 0x7A) }
    func isPart(_ c: UInt8) -> Bool { isStart(c) || (c >= 0x30 && c <= 0x39) }
    while i < chars.count {
      let c = chars[i]
      if c >= 0x30 && c <= 0x39 || c == 0x2E {  // a number: skip it whole (1e3, 0.999)
        while i < chars.count && (isPart(chars[i]) || chars[i] == 0x2E) { i += 1 }
        continue
      }
      guard isStart(c) else {
        i += 1
        continue
      }
      let start = i
      while i < chars.count && isPart(chars[i]) { i += 1 }
      let word = String(decoding: chars[start..<i], as: UTF8.self)
      var j = i
      while j < chars.count && chars[j] == 0x20 { j += 1 }
      let isCall = j < chars.count && chars[j] == 0x28
      if !isCall && !keywords.contains(word.lowercased()) { names.insert(word) }
    }
    return names
  }

  @Test func theExtractorFindsMetricsAndNothingElse() {
    #expect(
      Self.metricNames(
        in:
          #"sum by (node, sink) (rate(a_total{node=~"$node",x="y z"}[$__rate_interval])) / on (node) b > 0.8 * scalar(rec:x:y) unless c"#
      ) == ["a_total", "b", "rec:x:y", "c"])
    #expect(Self.metricNames(in: "histogram_quantile(0.99, sum by (le) (rate(h_bucket[5m])))") == ["h_bucket"])
    #expect(Self.metricNames(in: "vector(0.999)").isEmpty)
  }

  /// Every expression of the alerts and recording rules, and every dashboard target.
  static func expressions() throws -> (rules: [String], records: Set<String>, dashboard: [String]) {
    let rule = try Manifests.render("k8s").object("PrometheusRule", named: "sluice")
    let groups = try #require(rule[path: "spec.groups"] as? [[String: Any]])
    let rules = groups.flatMap { ($0["rules"] as? [[String: Any]]) ?? [] }
    let records = Set(rules.compactMap { $0["record"] as? String })
    let data = try Data(contentsOf: Manifests.root.appendingPathComponent("k8s/base/dashboards/sluice.json"))
    let dashboard = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    var targets: [String] = []
    for panel in (dashboard["panels"] as? [[String: Any]]) ?? [] {
      for target in (panel["targets"] as? [[String: Any]]) ?? [] {
        if let expr = target["expr"] as? String { targets.append(expr) }
      }
    }
    for variable in (dashboard[path: "templating.list"] as? [[String: Any]]) ?? [] {
      if let query = variable["definition"] as? String { targets.append(query) }
    }
    return (rules.compactMap { $0["expr"] as? String }, records, targets)
  }

  @Test func everyNameTheAlertsAndTheDashboardUseIsInALiveScrape() async throws {
    let (rules, records, dashboard) = try Self.expressions()
    #expect(dashboard.count >= 20, "dashboard targets: \(dashboard.count)")
    let scrape = try await Self.liveScrape()
    let families = Set(
      scrape.split(separator: "\n").filter { $0.hasPrefix("# TYPE ") }.map { String($0.split(separator: " ")[2]) })
    let histograms = Set(
      scrape.split(separator: "\n").filter { $0.hasPrefix("# TYPE ") && $0.hasSuffix(" histogram") }
        .map { String($0.split(separator: " ")[2]) })
    var checked = 0
    for (source, exprs) in [("alerts", rules), ("dashboard", dashboard)] {
      for expr in exprs {
        // A variable's `label_values(metric, label)`: the metric is the first argument.
        let query = expr.replacingOccurrences(
          of: #"label_values\(([^,)]*)(,[^)]*)?\)"#, with: "$1", options: .regularExpression)
        for name in Self.metricNames(in: query) {
          if name.contains(":") {
            #expect(records.contains(name), "\(source): \(name) is no recording rule")
            continue
          }
          if let origin = Self.external[name] {
            print("\(source): \(name) is not the agent's; it comes from \(origin)")
            continue
          }
          var family = name
          for suffix in ["_bucket", "_count", "_sum"] where name.hasSuffix(suffix) {
            let base = String(name.dropLast(suffix.count))
            if histograms.contains(base) { family = base }
          }
          #expect(families.contains(family), "\(source) uses \(name), which the agent does not export")
          checked += 1
        }
      }
    }
    #expect(checked > 40)
  }

  /// A scrape of an agent that read container logs in the kubelet's layout and a journal,
  /// ran parse → filter → redact → metrics, and shipped to an http sink through a disk buffer.
  static func liveScrape() async throws -> String {
    let dir = try TempDirectory()
    let receiver = try await TestReceiver.start()
    defer { receiver.stop() }
    let journal = dir.path + "/journal"
    try FileManager.default.createDirectory(atPath: journal, withIntermediateDirectories: true)
    try JournalFiles.write(
      (0..<5).map {
        JournalEntry(seq: $0, time: JournaldSourceTests.t0 + UInt64($0) * 1000, priority: $0 == 0 ? 3 : 6)
      },
      to: journal + "/a.journal")
    var lines = ""
    for n in 0..<20 {
      let level = n % 4 == 0 ? "error" : "info"
      lines +=
        #"2026-12-04T10:00:00.\#(100 + n)Z stdout F {"level":"\#(level)","msg":"order \#(n) by a\#(n)@example.com","service":"checkout"}"#
      lines += "\n"
    }
    lines += "2026-12-04T10:00:01.000Z stdout F {\"level\":\"debug\",\"msg\":\"drop me\"}\n"
    try dir.append(lines, to: "logs/pods/shop_checkout-7d9_0a1b/checkout/0.log")
    let config = dir.file("agent.yaml")
    try """
    data_dir: \(dir.path)/data
    sources:
      - {name: pods, type: file, include: ["\(dir.path)/logs/pods/*/*/*.log"], read_from: beginning, poll_interval: 20ms}
      - {name: journal, type: journald, path: \(journal), read_from: beginning}
    pipeline:
      - {type: parse}
      - {type: filter, drop: 'msg="drop me"'}
      - {type: redact}
      - {type: metrics}
    sinks:
      - name: backend
        type: http
        url: "\(receiver.url)"
        batch: {max_events: 10, max_age: 20ms}
        buffer: {type: disk, max_bytes: 64MiB}
    admin: {address: "127.0.0.1:0"}
    shutdown_grace: 5s
    """.write(to: config, atomically: true, encoding: .utf8)
    let agent = try AgentProcess(config: config)
    let port = try #require(await agent.adminPort(), "agent did not start: \(agent.logLines)")
    #expect(await receiver.waitForEvents(25, timeout: .seconds(60)), "only \(receiver.lines.count)")
    let delivered = try await eventually(timeout: .seconds(30)) {
      try await EndToEndTests.metric("sluice_sink_events_total", port: port) == 25
    }
    #expect(delivered)
    let scrape = try await AdminRequests.send("/metrics", port: port)
    _ = await agent.terminate()
    return scrape.body
  }
}
