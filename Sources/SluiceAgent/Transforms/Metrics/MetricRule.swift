/// One derived metric of a `type: metrics` step (docs/metrics.md, "Derived metrics").
public struct MetricRule: Sendable, Codable, Equatable {
  public enum Kind: String, Sendable, Codable, CaseIterable {
    /// Counts matching events.
    case counter
    /// Observes a numeric field of matching events in buckets.
    case histogram
    /// Adds up a numeric field of matching events (a counter of the field's unit).
    case sum
  }

  /// The Prometheus metric name.
  public var name: String
  public var type: Kind
  public var help: String?
  /// Only events matching this query (in `sluice grep`'s language) are counted.
  public var match: String?
  /// Label name → where the value comes from: a field (dotted path), `@service` or `@level`
  /// (the derived service and normalised level of the default rules).
  public var labels: [(String, String)]
  /// For `histogram` and `sum`: the numeric field (a JSON number, or a string holding one).
  public var field: String?
  /// For `histogram` and `sum`: multiplies the field's value before it is recorded (0.001
  /// turns a `duration_ms` field into seconds, Prometheus's base unit). Default 1.
  public var scale: Double?
  /// For `histogram`: the upper bounds, ascending, in the scaled unit.
  public var buckets: [Double]?
  /// Label sets beyond this many go to one `__overflow__` series (default: the step's).
  public var maxSeries: Int?

  enum CodingKeys: String, CodingKey, CaseIterable {
    case name, type, help, match, labels, field, scale, buckets
    case maxSeries = "max_series"
  }

  public init(
    name: String, type: Kind = .counter, help: String? = nil, match: String? = nil, labels: [(String, String)] = [],
    field: String? = nil, scale: Double? = nil, buckets: [Double]? = nil, maxSeries: Int? = nil
  ) {
    self.scale = scale
    self.name = name
    self.type = type
    self.help = help
    self.match = match
    self.labels = labels
    self.field = field
    self.buckets = buckets
    self.maxSeries = maxSeries
  }

  public init(from decoder: any Decoder) throws {
    try decoder.rejectUnknownKeys(CodingKeys.self)
    let c = try decoder.container(keyedBy: CodingKeys.self)
    name = try c.decode(String.self, forKey: .name)
    type = try c.decodeIfPresent(Kind.self, forKey: .type) ?? .counter
    help = try c.decodeIfPresent(String.self, forKey: .help)
    match = try c.decodeIfPresent(String.self, forKey: .match)
    if c.contains(.labels) {
      let map = try c.nestedContainer(keyedBy: AnyCodingKey.self, forKey: .labels)
      labels = try map.allKeys.map { ($0.stringValue, try map.decode(String.self, forKey: $0)) }
    } else {
      labels = []
    }
    field = try c.decodeIfPresent(String.self, forKey: .field)
    scale = try c.decodeIfPresent(Double.self, forKey: .scale)
    buckets = try c.decodeIfPresent([Double].self, forKey: .buckets)
    maxSeries = try c.decodeIfPresent(Int.self, forKey: .maxSeries)
  }

  public static func == (a: MetricRule, b: MetricRule) -> Bool {
    a.name == b.name && a.type == b.type && a.help == b.help && a.match == b.match
      && a.labels.elementsEqual(b.labels, by: ==) && a.field == b.field && a.scale == b.scale && a.buckets == b.buckets
      && a.maxSeries == b.maxSeries
  }
}
