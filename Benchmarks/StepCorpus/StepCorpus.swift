// The events both step benchmarks (TransformBenchmarks, sluice-step-cost) measure on.

/// 1,024 lines in the shape services write: 12 services, mixed levels, routes, statuses,
/// durations, a nested object, and an e-mail address in every tenth.
public let stepCorpus: [[UInt8]] = {
  let services = [
    "checkout", "billing", "search", "auth", "cart", "inventory", "shipping", "gateway", "users", "reports", "mailer",
    "pricing",
  ]
  let routes = ["/api/orders", "/api/cart", "/login", "/search", "/healthz", "/api/users/:id"]
  let levels = ["info", "info", "info", "info", "debug", "info", "warn", "info", "error", "info", "info", "info"]
  return (0..<1024).map { k in
    let service = services[k % services.count]
    let level = levels[(k * 7) % levels.count]
    let status = k % 37 == 0 ? 503 : (k % 11 == 0 ? 404 : 200)
    let pii = k % 10 == 0 ? #","user":"user\#(k)@example.com""# : ""
    let line =
      #"{"timestamp":"2026-12-03T10:00:00.\#(100_000 + k)Z","level":"\#(level)","service":"\#(service)","#
      + #""msg":"request served","http":{"route":"\#(routes[k % routes.count])","method":"GET"},"status":\#(status),"#
      + #""duration_ms":\#(Double(k % 500) / 3),"bytes":\#(k * 13 % 9000),"debug_payload":{"a":[1,2,3]}\#(pii)}"#
    return Array(line.utf8)
  }
}()

/// Three derived-metric rules: a counter with two labels, a histogram, a sum.
public let threeMetricRules = """
  [{type: parse}, {type: metrics, rules: [
    {name: http_server_errors_total, match: 'status>=500', labels: {service: "@service", route: http.route}},
    {name: request_duration_ms, type: histogram, field: duration_ms, buckets: [5, 10, 25, 50, 100, 250, 500, 1000],
     labels: {service: "@service"}},
    {name: response_bytes_total, type: sum, field: bytes, labels: {service: "@service"}}]}]
  """

/// An agent configuration around `pipeline` (a YAML flow list of steps), with one file source
/// and a console sink, for building steps in a benchmark.
public func stepBenchConfig(pipeline: String) -> String {
  """
  sources:
    - {name: app, type: file, include: ["/nonexistent/*.log"]}
  pipeline: \(pipeline)
  sinks:
    - {name: out, type: console}
  """
}
