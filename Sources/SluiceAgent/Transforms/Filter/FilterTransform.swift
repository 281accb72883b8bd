import CoreMetrics
import SluiceCore

/// `type: filter`: keeps or drops events by a query in `sluice grep`'s language
/// (docs/query.md). Exactly one of `keep:` (drop what does not match) and `drop:` (drop
/// what matches) is set. Dropped events are counted in
/// `sluice_events_filtered_total{step}`; their chunks are acknowledged like any other.
public struct FilterSettings: TransformSettings, Equatable {
  public static let typeName = "filter"

  /// Events that match are kept; the others dropped.
  public var keep: String?
  /// Events that match are dropped.
  public var drop: String?

  enum CodingKeys: String, CodingKey, CaseIterable { case keep, drop }

  public init(keep: String? = nil, drop: String? = nil) {
    self.keep = keep
    self.drop = drop
  }

  public init(from decoder: any Decoder) throws {
    try decoder.rejectUnknownTransformKeys(CodingKeys.self)
    let c = try decoder.container(keyedBy: CodingKeys.self)
    keep = try c.decodeIfPresent(String.self, forKey: .keep)
    drop = try c.decodeIfPresent(String.self, forKey: .drop)
  }

  public func validate(at path: String, in pipeline: PipelineContext, into issues: inout ConfigIssues) {
    issues.collect { () throws(ConfigError) in _ = try query(at: path) }
    issues.collect { () throws(ConfigError) in try pipeline.requireStructuredEvents(at: path) }
  }

  /// The parsed query and whether matching events are kept.
  func query(at path: String) throws(ConfigError) -> (Query, keepMatching: Bool) {
    let (text, key, keepMatching): (String, String, Bool)
    switch (keep, drop) {
    case (let k?, nil): (text, key, keepMatching) = (k, "keep", true)
    case (nil, let d?): (text, key, keepMatching) = (d, "drop", false)
    case (nil, nil): throw ConfigError(path: path, message: "needs `keep: QUERY` or `drop: QUERY`")
    case (.some, .some): throw ConfigError(path: path, message: "`keep` and `drop` exclude each other; use one")
    }
    do {
      return (try Query(text), keepMatching)
    } catch {
      throw ConfigError(path: "\(path).\(key)", message: "\(error) in '\(text)'")
    }
  }

  public func makeTransform(_ context: TransformBuildContext) throws(ConfigError) -> any EventTransform {
    let (query, keepMatching) = try query(at: context.path)
    return FilterTransform(
      query: query, keepMatching: keepMatching, counter: context.metrics.filtered(step: context.name))
  }
}

final class FilterTransform: EventTransform {
  private let query: Query
  private let keepMatching: Bool
  private let counter: CoreMetrics.Counter
  private var dropped = 0

  init(query: Query, keepMatching: Bool, counter: CoreMetrics.Counter) {
    self.query = query
    self.keepMatching = keepMatching
    self.counter = counter
  }

  func apply(_ event: inout Event, _ line: LineContext) -> Bool {
    if query.matches(event) == keepMatching { return true }
    dropped += 1
    return false
  }

  func endChunk(sourceIndex: Int) {
    if dropped > 0 {
      counter.increment(by: dropped)
      dropped = 0
    }
  }
}
