import SluiceCore

/// `type: metrics`: derives Prometheus metrics from events.
///
/// With no `rules`, the default: `sluice_log_events_total{service,level}` and
/// `sluice_log_errors_total{service}` (see ``ServiceAndLevel`` for where `service` and
/// `level` come from). With `rules`, the counters, histograms and sums they describe.
/// Labels pass the cardinality guard twice: here, where label fields that are unbounded or
/// personal are refused (``LabelGuard``), and at run time, where each metric keeps at most
/// `max_series` label sets and values are capped and checked by the redaction detectors.
public struct MetricsSettings: TransformSettings, Equatable {
  public static let typeName = "metrics"

  public var rules: [MetricRule]
  /// Per metric, the most label sets kept; more go to one `__overflow__` series.
  public var maxSeries: Int
  /// Label values are cut to this many bytes (at a UTF-8 boundary).
  public var maxLabelBytes: Int

  enum CodingKeys: String, CodingKey, CaseIterable {
    case rules
    case maxSeries = "max_series", maxLabelBytes = "max_label_bytes"
  }

  public init(rules: [MetricRule] = [], maxSeries: Int = 1000, maxLabelBytes: Int = 128) {
    self.rules = rules
    self.maxSeries = maxSeries
    self.maxLabelBytes = maxLabelBytes
  }

  public init(from decoder: any Decoder) throws {
    try decoder.rejectUnknownTransformKeys(CodingKeys.self)
    let c = try decoder.container(keyedBy: CodingKeys.self)
    rules = try c.decodeIfPresent([MetricRule].self, forKey: .rules) ?? []
    maxSeries = try c.decodeIfPresent(Int.self, forKey: .maxSeries) ?? 1000
    maxLabelBytes = try c.decodeIfPresent(Int.self, forKey: .maxLabelBytes) ?? 128
  }

  /// The rules that run: the configured ones, or the two defaults.
  var effectiveRules: [MetricRule] {
    rules.isEmpty ? Self.defaultRules : rules
  }

  static let defaultRules = [
    MetricRule(
      name: "sluice_log_events_total", help: "Events by service and normalised level (the metrics step).",
      labels: [("service", "@service"), ("level", "@level")]),
    MetricRule(
      name: "sluice_log_errors_total", help: "Error-level events by service (the metrics step).",
      match: "@error", labels: [("service", "@service")]),
  ]

  public func validate(at path: String, in pipeline: PipelineContext, into issues: inout ConfigIssues) {
    issues.collect { () throws(ConfigError) in try pipeline.requireStructuredEvents(at: path) }
    if !(1...100_000).contains(maxSeries) { issues.add("\(path).max_series", "must be 1 to 100000") }
    if !(8...4096).contains(maxLabelBytes) { issues.add("\(path).max_label_bytes", "must be 8 to 4096") }
    // Metric names are global: no two steps may define the same one (the default rules
    // included: two default steps would count every event twice).
    var seen = Set<String>()
    for (k, step) in pipeline.steps.enumerated() where k < pipeline.index {
      guard let other = step.settings(as: MetricsSettings.self) else { continue }
      for r in other.effectiveRules { seen.insert(r.name) }
    }
    if rules.isEmpty && seen.contains(Self.defaultRules[0].name) {
      issues.add(path, "a second metrics step with the default rules would count every event twice; give it rules")
    }
    let guardrail = LabelGuard(protectedFields: pipeline.protectedFields)
    for (k, rule) in rules.enumerated() {
      let at = "\(path).rules[\(k)]"
      if !seen.insert(rule.name).inserted { issues.add("\(at).name", "metric '\(rule.name)' is defined twice") }
      guardrail.check(rule, at: at, into: &issues)
    }
  }

  public func makeTransform(_ context: TransformBuildContext) throws(ConfigError) -> any EventTransform {
    rules.isEmpty
      ? DefaultMetricsTransform(settings: self, context: context)
      : try MetricsTransform(settings: self, context: context)
  }
}
