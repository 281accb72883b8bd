import SluiceCore
import Testing

@testable import SluiceAgent

/// The `metrics` step: the default rules, configured counters, histograms and sums, and
/// both halves of the cardinality guard.
struct DerivedMetricsTests {
  @Test func defaultRulesCountByServiceAndNormalisedLevel() throws {
    let h = try StepHarness(pipeline: "[{type: parse}, {type: metrics}]", sources: ["app", "node"])
    _ = h.run([
      #"{"service":"checkout","level":"error"}"#,
      #"{"service":"checkout","level":"ERR"}"#,
      #"{"service":"checkout","level":"panic"}"#,
      #"{"service":"checkout","level":"info"}"#,
      #"{"service.name":"billing","severity_text":"FATAL"}"#,
      #"{"service":{"name":"billing"},"level":"warn"}"#,
      #"{"k8s.container.name":"web","level":"alert"}"#,
      #"{"journald.unit":"nginx.service","priority":3}"#,
      #"{"journald.unit":"nginx.service","priority":6}"#,
      #"{"msg":"no service, no level"}"#,
      "plain text line",
    ])
    #expect(h.value("sluice_log_events_total", #"service="checkout",level="error""#) == 2)
    #expect(h.value("sluice_log_events_total", #"service="checkout",level="critical""#) == 1)
    #expect(h.value("sluice_log_events_total", #"service="checkout",level="info""#) == 1)
    #expect(h.value("sluice_log_errors_total", #"service="checkout""#) == 3)
    #expect(h.value("sluice_log_errors_total", #"service="billing""#) == 1)
    #expect(h.value("sluice_log_events_total", #"service="billing",level="warning""#) == 1)
    #expect(h.value("sluice_log_errors_total", #"service="web""#) == 1)
    #expect(h.value("sluice_log_events_total", #"service="nginx.service",level="error""#) == 1)
    #expect(h.value("sluice_log_events_total", #"service="nginx.service",level="info""#) == 1)
    #expect(h.value("sluice_log_errors_total", #"service="nginx.service""#) == 1)
    // Neither a service nor a level: the source's name and `unknown`.
    #expect(h.value("sluice_log_events_total", #"service="app",level="unknown""#) == 2)
    #expect(h.value("sluice_log_errors_total", #"service="app""#) == nil)
  }

  @Test func countsAreExactOverManyChunks() throws {
    let h = try StepHarness(pipeline: "[{type: parse}, {type: metrics}]")
    var errors = 0
    for chunk in 0..<50 {
      var lines: [String] = []
      for k in 0..<200 {
        let isError = (chunk * 200 + k) % 7 == 0
        if isError { errors += 1 }
        lines.append(#"{"service":"api","level":"\#(isError ? "error" : "info")","n":\#(k)}"#)
      }
      _ = h.run(lines)
    }
    #expect(h.value("sluice_log_errors_total", #"service="api""#) == Double(errors))
    #expect(h.value("sluice_log_events_total", #"service="api",level="info""#) == Double(10_000 - errors))
  }

  @Test func configuredCounterWithQueryAndFieldLabels() throws {
    let h = try StepHarness(
      pipeline: """
        [{type: parse}, {type: metrics, rules: [
          {name: http_server_errors_total, match: 'status>=500', labels: {service: "@service", route: http.route, status: status}},
          {name: http_requests_total, labels: {method: method}}]}]
        """)
    _ = h.run([
      #"{"service":"api","http":{"route":"/pay"},"status":502,"method":"POST"}"#,
      #"{"service":"api","http":{"route":"/pay"},"status":503,"method":"POST"}"#,
      #"{"service":"api","http":{"route":"/pay"},"status":503,"method":"POST"}"#,
      #"{"service":"api","http":{"route":"/pay"},"status":200,"method":"GET"}"#,
      #"{"service":"api","status":500}"#,
    ])
    #expect(h.value("http_server_errors_total", #"service="api",route="/pay",status="503""#) == 2)
    #expect(h.value("http_server_errors_total", #"service="api",route="/pay",status="502""#) == 1)
    // A missing field is an empty label value.
    #expect(h.value("http_server_errors_total", #"service="api",route="",status="500""#) == 1)
    #expect(h.value("http_requests_total", #"method="POST""#) == 3)
    #expect(h.value("http_requests_total", #"method="GET""#) == 1)
    // The default rules do not run when rules are given.
    #expect(h.series("sluice_log_events_total").isEmpty)
  }

  @Test func histogramBucketsAndSum() throws {
    let h = try StepHarness(
      pipeline: """
        [{type: parse}, {type: metrics, rules: [
          {name: request_duration_ms, type: histogram, field: duration_ms, buckets: [10, 100, 1000], labels: {service: "@service"}},
          {name: response_bytes_total, type: sum, field: bytes}]}]
        """)
    _ = h.run([
      #"{"service":"api","duration_ms":5,"bytes":100}"#,
      #"{"service":"api","duration_ms":10,"bytes":"250"}"#,
      #"{"service":"api","duration_ms":99.5,"bytes":1.5}"#,
      #"{"service":"api","duration_ms":"2500"}"#,
      #"{"service":"api","duration_ms":"slow","bytes":true}"#,
      #"{"service":"api"}"#,
    ])
    #expect(h.value("request_duration_ms_bucket", #"service="api",le="10.0""#) == 2)
    #expect(h.value("request_duration_ms_bucket", #"service="api",le="100.0""#) == 3)
    #expect(h.value("request_duration_ms_bucket", #"service="api",le="1000.0""#) == 3)
    #expect(h.value("request_duration_ms_bucket", #"service="api",le="+Inf""#) == 4)
    #expect(h.value("request_duration_ms_count", #"service="api""#) == 4)
    #expect(h.value("request_duration_ms_sum", #"service="api""#) == 2614.5)
    #expect(h.value("response_bytes_total") == 351.5)
    // Values that are not numbers are skipped, and counted.
    #expect(h.value("sluice_metric_values_skipped_total", #"metric="request_duration_ms""#) == 2)
    #expect(h.value("sluice_metric_values_skipped_total", #"metric="response_bytes_total""#) == 3)
  }

  @Test func scaleTurnsMillisecondsIntoSeconds() throws {
    let h = try StepHarness(
      pipeline: """
        [{type: parse}, {type: metrics, rules: [
          {name: request_duration_seconds, type: histogram, field: duration_ms, scale: 0.001, buckets: [0.01, 0.1]},
          {name: request_seconds_total, type: sum, field: duration_ms, scale: 0.001}]}]
        """)
    _ = h.run([#"{"duration_ms":5}"#, #"{"duration_ms":50}"#, #"{"duration_ms":500}"#])
    #expect(h.value("request_duration_seconds_bucket", #"le="0.01""#) == 1)
    #expect(h.value("request_duration_seconds_bucket", #"le="0.1""#) == 2)
    #expect(h.value("request_duration_seconds_count") == 3)
    #expect(abs((h.value("request_seconds_total") ?? 0) - 0.555) < 1e-9)
    #expect(throws: ConfigError.self) {
      try StepHarness(pipeline: "[{type: parse}, {type: metrics, rules: [{name: c_total, scale: 2}]}]")
    }
  }

  @Test func labelSetsBeyondMaxSeriesGoToOneOverflowSeries() throws {
    let h = try StepHarness(pipeline: "[{type: parse}, {type: metrics, max_series: 3}]")
    let lines = (0..<10).map { #"{"service":"svc\#($0)","level":"error"}"# }
    _ = h.run(lines)
    _ = h.run(lines)
    // events_total keeps 3 label sets (service × level); the other 7 services overflow.
    #expect(h.series("sluice_log_events_total").count == 4)
    #expect(h.value("sluice_log_events_total", #"service="__overflow__",level="__overflow__""#) == 14)
    #expect(h.value("sluice_log_errors_total", #"service="__overflow__""#) == 14)
    #expect(h.value("sluice_metric_series_overflow_total", #"metric="sluice_log_events_total""#) == 14)
    #expect(h.value("sluice_metric_series_overflow_total", #"metric="sluice_log_errors_total""#) == 14)
    #expect(h.value("sluice_log_errors_total", #"service="svc0""#) == 2)
  }

  @Test func labelValuesAreCappedAtAUTF8Boundary() throws {
    let h = try StepHarness(pipeline: "[{type: parse}, {type: metrics, max_label_bytes: 10}]")
    _ = h.run([#"{"service":"abcdefghijklmnop"}"#, #"{"service":"abcdefghijXYZ"}"#, #"{"service":"ääääää"}"#])
    #expect(h.value("sluice_log_events_total", #"service="abcdefghij",level="unknown""#) == 2)
    // Six two-byte letters cut at 10 bytes: five letters, never half of one.
    #expect(h.value("sluice_log_events_total", #"service="äääää",level="unknown""#) == 1)
  }

  @Test func aLabelValueADetectorWouldRedactIsNeverExported() throws {
    let h = try StepHarness(
      pipeline:
        "[{type: parse}, {type: metrics, rules: [{name: logins_total, labels: {service: service, region: region}}]}]"
    )
    _ = h.run([
      #"{"service":"jane.doe@example.com","level":"error","region":"eu"}"#,
      #"{"service":"10.1.2.3","region":"eu"}"#,
      #"{"service":"api","region":"4111 1111 1111 1111"}"#,
      #"{"service":"api","region":"eu"}"#,
    ])
    let scrape = h.scrape
    #expect(!scrape.contains("jane.doe"))
    #expect(!scrape.contains("example.com"))
    #expect(!scrape.contains("10.1.2.3"))
    #expect(!scrape.contains("4111"))
    #expect(h.value("logins_total", #"service="__redacted__",region="eu""#) == 2)
    #expect(h.value("logins_total", #"service="api",region="__redacted__""#) == 1)
    #expect(h.value("logins_total", #"service="api",region="eu""#) == 1)
  }

  /// The configuration half of the guard: unbounded and personal fields, and fields a
  /// `redact` step protects, are refused with the reason and an alternative.
  @Test(arguments: [
    ("request_id", "unbounded"), ("trace_id", "unbounded"), ("span_id", "unbounded"), ("order_id", "unbounded"),
    ("user_id", "personal"), ("user.email", "personal"), ("client_ip", "personal"), ("session", "personal"),
    ("customer_ref", "`redact` step"),
  ])
  func guardRefusesUnboundedOrPersonalLabelFields(field: String, reason: String) {
    let pipeline = """
      [{type: parse}, {type: redact, deny_fields: [customer_ref]},
       {type: metrics, rules: [{name: hits_total, labels: {who: \(field)}}]}]
      """
    do {
      _ = try StepHarness(pipeline: pipeline)
      Issue.record("accepted label field \(field)")
    } catch let error as ConfigError {
      #expect(error.path == "pipeline[2].rules[0].labels.who")
      #expect(error.message.contains("field '\(field)' cannot be a label"), "\(error)")
      #expect(error.message.contains(reason), "\(error)")
      #expect(error.message.contains("count by a bounded field"), "\(error)")
    } catch {
      Issue.record("unexpected \(error)")
    }
  }

  @Test(arguments: [
    ("{name: Bad-Name_total}", "rules[0].name", "not a metric name"),
    ("{name: sluice_mine_total}", "rules[0].name", "the agent's own"),
    ("{name: hits}", "rules[0].name", "ends in _total"),
    ("{name: lat_ms, type: histogram, field: ms}", "rules[0].buckets", "needs buckets"),
    ("{name: lat_ms, type: histogram, field: ms, buckets: [10, 5]}", "rules[0].buckets", "ascending"),
    ("{name: lat_ms, type: histogram, buckets: [1]}", "rules[0].field", "needs a numeric field"),
    ("{name: lat_ms, type: histogram, field: ms, buckets: [1], labels: {le: x}}", "rules[0].labels.le", "bucket label"),
    ("{name: b_total, type: sum}", "rules[0].field", "needs a numeric field"),
    ("{name: c_total, field: x}", "rules[0].field", "only for histogram and sum"),
    ("{name: c_total, match: 'a =='}", "rules[0].match", "query error"),
    ("{name: c_total, labels: {__x: service}}", "rules[0].labels.__x", "not a label name"),
    ("{name: c_total, labels: {s: '@svc'}}", "rules[0].labels.s", "not a derived value"),
    ("{name: c_total}, {name: c_total}", "rules[1].name", "defined twice"),
  ])
  func brokenRules(rules: String, path: String, message: String) {
    do {
      _ = try StepHarness(pipeline: "[{type: parse}, {type: metrics, rules: [\(rules)]}]")
      Issue.record("accepted: \(rules)")
    } catch let error as ConfigError {
      #expect(error.path == "pipeline[1].\(path)", "\(error)")
      #expect(error.message.contains(message), "\(error)")
    } catch {
      Issue.record("unexpected \(error)")
    }
  }

  /// The one-pass scanner of the default rules gives the same service and level as the
  /// lookups it stands in for, on every shape: flat and nested keys, escapes, numbers,
  /// missing and repeated keys, odd values.
  @Test func oneScanAgreesWithTheLookups() {
    let services = [
      #""service":"api""#, #""service.name":"flat""#, #""service":{"name":"nested"}"#, #""service":"""#,
      #""service":7"#, #""k8s.container.name":"web""#, #""journald.unit":"x.service""#, #""serv\u0069ce":"esc""#,
      #""service":null"#, #""k8s":{"container":{"name":"deep"}}"#, "",
    ]
    let levels = [
      #""level":"error""#, #""level":"bogus""#, #""level":50"#, #""level":3"#, #""log.level":"warn""#,
      #""log":{"level":"fatal"}"#, #""severity_text":"ERROR""#, #""severity_number":17"#, #""priority":2"#,
      #""syslog.severity":6"#, #""lvl":"dbg""#, #""level":"e\u0072ror""#, #""level":"bogus","severity":"info""#, "",
    ]
    let others = [
      "", #""msg":"x""#, #""a":{"b":[1,{"c":2}]}"#, #""level":"info""#, #""log":"x""#, #""k8s":1"#,
      #""syslog":{"priority":1}"#, #""service.namex":"no""#, #""k8s.container.nam":"no""#,
    ]
    let scanner = ServiceLevelScanner()
    var checked = 0
    for s in services {
      for l in levels {
        for o in others {
          for order in 0..<2 {
            let parts = (order == 0 ? [s, l, o] : [o, l, s]).filter { !$0.isEmpty }
            let event = Event("{" + parts.joined(separator: ",") + "}")
            let (service, level) = scanner.scan(event)
            #expect(service == ServiceAndLevel.serviceIndex(in: event), "\(event.text)")
            #expect(level == ServiceAndLevel.levelIndex(of: event), "\(event.text)")
            checked += 1
          }
        }
      }
    }
    #expect(checked == services.count * levels.count * others.count * 2)
  }

  @Test func twoDefaultMetricsStepsAreRefused() {
    #expect(throws: ConfigError.self) {
      try StepHarness(pipeline: "[{type: parse}, {type: metrics}, {type: metrics}]")
    }
  }
}
