import SluiceCore

/// The configuration half of the cardinality guard: checks a metric rule's name, label
/// names and label fields before anything runs.
///
/// A label field is refused when its values are unbounded (request, trace and span ids,
/// any `*_id` or uuid) or personal (user names and ids, e-mail, IP addresses, sessions,
/// phone numbers), or when a `redact` step protects it: a label is exported to Prometheus
/// as written, outside the reach of redaction, and each distinct value is a series kept in
/// the agent's memory and in the metrics store.
struct LabelGuard {
  /// Why a field is refused, and the sentence that says so.
  enum Reason {
    case unbounded, personal, protected

    var explanation: String {
      switch self {
      case .unbounded:
        "its values are unbounded (one series per request, trace or object), which exhausts the agent's and "
          + "Prometheus's memory"
      case .personal:
        "its values are personal data, and a label is exported to Prometheus unredacted and kept for its retention"
      case .protected:
        "a `redact` step treats it as sensitive, and a label is exported to Prometheus unredacted"
      }
    }
  }

  static let unboundedNames = SecretKeys([
    "id", "uuid", "guid", "request_id", "requestid", "req_id", "trace_id", "traceid", "span_id", "spanid",
    "correlation_id", "correlationid", "x_request_id", "traceparent", "uid", "pid", "offset", "cursor",
    "timestamp", "time", "ts", "message", "msg", "url", "uri", "query", "path_params",
  ])
  static let personalNames = SecretKeys([
    "user", "username", "user_name", "userid", "user_id", "login", "email", "mail", "e_mail", "ip", "ip_address",
    "ipaddress", "client_ip", "remote_ip", "remote_addr", "remote_address", "x_forwarded_for", "forwarded_for",
    "session", "phone", "mobile", "first_name", "last_name", "full_name", "address", "iban", "ssn",
  ])

  let protected: SecretKeys

  init(protectedFields: [String]) {
    protected = SecretKeys(protectedFields.filter { !$0.contains("*") && !$0.isEmpty })
  }

  /// The reason `field` must not be a label, or nil if it may.
  func refusal(of field: String) -> Reason? {
    if field == "@service" || field == "@level" { return nil }
    if Self.personalNames.matches(field) { return .personal }
    if Self.unboundedNames.matches(field) { return .unbounded }
    if protected.matches(field) { return .protected }
    return nil
  }

  /// Checks one rule at `path` (e.g. `pipeline[1].rules[0]`), adding every problem found —
  /// with its name, match, type-specific keys and each label — to `issues`.
  func check(_ rule: MetricRule, at path: String, into issues: inout ConfigIssues) {
    checkName(rule, at: path, into: &issues)
    if let match = rule.match, match != "@error" {
      do {
        _ = try Query(match)
      } catch {
        issues.add("\(path).match", "\(error) in '\(match)'")
      }
    }
    switch rule.type {
    case .counter:
      if rule.field != nil { issues.add("\(path).field", "only for histogram and sum") }
      if rule.scale != nil { issues.add("\(path).scale", "only for histogram and sum") }
      if rule.buckets != nil { issues.add("\(path).buckets", "only for histogram") }
    case .sum:
      if (rule.field ?? "").isEmpty { issues.add("\(path).field", "a sum needs a numeric field") }
      if rule.buckets != nil { issues.add("\(path).buckets", "only for histogram") }
    case .histogram:
      if (rule.field ?? "").isEmpty { issues.add("\(path).field", "a histogram needs a numeric field") }
      if let buckets = rule.buckets, !buckets.isEmpty {
        if !buckets.allSatisfy(\.isFinite) || zip(buckets, buckets.dropFirst()).contains(where: { $0 >= $1 }) {
          issues.add("\(path).buckets", "must be finite and strictly ascending")
        }
      } else {
        issues.add(
          "\(path).buckets",
          "a histogram needs buckets, e.g. [5, 10, 25, 50, 100, 250, 500, 1000] for a field in milliseconds")
      }
    }
    // A counter's scale is refused above whatever its value.
    if rule.type != .counter, let scale = rule.scale, !(scale.isFinite && scale > 0) {
      issues.add("\(path).scale", "must be a positive number")
    }
    if let n = rule.maxSeries, !(1...100_000).contains(n) {
      issues.add("\(path).max_series", "must be 1 to 100000")
    }
    var names = Set<String>()
    for (label, field) in rule.labels {
      let at = "\(path).labels.\(label)"
      // The label's name, then where its value comes from: two independent checks.
      if !Self.isLabelName(label) || label.hasPrefix("__") {
        issues.add(at, "'\(label)' is not a label name ([a-zA-Z_][a-zA-Z0-9_]*, no leading __)")
      } else if rule.type == .histogram && label == "le" {
        issues.add(at, "'le' is the histogram's bucket label")
      } else if !names.insert(label).inserted {
        issues.add(at, "label given twice")
      }
      if field.isEmpty {
        issues.add(at, "needs a field (a dotted path), @service or @level")
      } else if field.hasPrefix("@") && field != "@service" && field != "@level" {
        issues.add(at, "'\(field)' is not a derived value (known: @service, @level)")
      } else if let reason = refusal(of: field) {
        issues.add(
          at,
          "field '\(field)' cannot be a label: \(reason.explanation); count by a bounded field such as service, "
            + "route, status or level, and look single values up in the logs (sluice grep)")
      }
    }
  }

  /// The rule's name: its syntax, the agent's prefixes, and the suffix its type requires.
  private func checkName(_ rule: MetricRule, at path: String, into issues: inout ConfigIssues) {
    guard Self.isMetricName(rule.name) else {
      issues.add("\(path).name", "'\(rule.name)' is not a metric name ([a-zA-Z_:][a-zA-Z0-9_:]*)")
      return
    }
    for prefix in ["sluice_", "process_"] where rule.name.hasPrefix(prefix) {
      issues.add("\(path).name", "names starting with '\(prefix)' are the agent's own")
    }
    switch rule.type {
    case .counter, .sum:
      if !rule.name.hasSuffix("_total") {
        issues.add("\(path).name", "a \(rule.type.rawValue) is a Prometheus counter: its name ends in _total")
      }
    case .histogram:
      for suffix in ["_total", "_bucket", "_count", "_sum"] where rule.name.hasSuffix(suffix) {
        issues.add("\(path).name", "a histogram's name must not end in \(suffix)")
      }
    }
  }

  static func isMetricName(_ s: String) -> Bool {
    guard let first = s.utf8.first, first.isLetterOrUnderscore || first == UInt8(ascii: ":") else { return false }
    return s.utf8.allSatisfy { $0.isLetterOrUnderscore || $0.isDigit || $0 == UInt8(ascii: ":") }
  }

  static func isLabelName(_ s: String) -> Bool {
    guard let first = s.utf8.first, first.isLetterOrUnderscore else { return false }
    return s.utf8.allSatisfy { $0.isLetterOrUnderscore || $0.isDigit }
  }
}

extension UInt8 {
  fileprivate var isLetterOrUnderscore: Bool {
    (self | 0x20) &- UInt8(ascii: "a") < 26 || self == UInt8(ascii: "_")
  }
  fileprivate var isDigit: Bool { self &- UInt8(ascii: "0") < 10 }
}
