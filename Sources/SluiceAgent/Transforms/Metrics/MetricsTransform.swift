import CoreMetrics
import Prometheus
import SluiceCore

/// The running `metrics` step.
///
/// Per event and rule: the match is checked, the label values are appended to one reused
/// key buffer and looked up in the rule's ``SeriesTable``; counts and sums are tallied per
/// slot and added to the Prometheus series once per chunk (histograms record each value).
/// Nothing allocates per event once every label set has been seen. A new label set is
/// capped, screened (``LabelValueScreen``) and registered; beyond `max_series` it goes to
/// the rule's `__overflow__` series and is counted in
/// `sluice_metric_series_overflow_total{metric}`.
final class MetricsTransform: EventTransform {
  /// Every mutable part in one value: the per-event path makes one exclusive access to it,
  /// not one per field (class properties are checked at run time, struct fields are not).
  // Only the processor task touches it (see EventTransform): no run-time exclusivity check.
  @exclusivity(unchecked)
  private var state: MetricsState

  init(settings: MetricsSettings, context: TransformBuildContext) throws(ConfigError) {
    state = try MetricsState(settings: settings, context: context)
  }

  func apply(_ event: inout Event, _ line: LineContext) -> Bool {
    state.apply(event, line)
    return true
  }

  func endChunk(sourceIndex: Int) { state.flush() }
}

struct MetricsState {
  private var rules: [RuleState]
  private let sourceNames: [[UInt8]]
  private let maxLabelBytes: Int
  private let registry: PrometheusCollectorRegistry
  private var screen = LabelValueScreen()
  private var key: [UInt8] = []
  private var decoded: [UInt8] = []
  private let needsService: Bool
  private let needsLevel: Bool

  init(settings: MetricsSettings, context: TransformBuildContext) throws(ConfigError) {
    sourceNames = context.sourceNames.map { Array($0.utf8) }
    maxLabelBytes = settings.maxLabelBytes
    registry = context.metrics.registry
    var rules: [RuleState] = []
    for (k, rule) in settings.effectiveRules.enumerated() {
      rules.append(
        try RuleState(
          rule, maxSeries: rule.maxSeries ?? settings.maxSeries, metrics: context.metrics,
          at: "\(context.path).rules[\(k)]"))
    }
    self.rules = rules
    needsService = rules.contains { $0.labels.contains(.service) }
    needsLevel = rules.contains { $0.labels.contains(.level) || $0.matcher == .errors }
    key.reserveCapacity(256)
  }

  mutating func apply(_ event: Event, _ line: LineContext) {
    guard event.isStructured else { return }
    let service = needsService ? ServiceAndLevel.serviceIndex(in: event) : nil
    let level = needsLevel ? ServiceAndLevel.levelIndex(of: event) : ServiceAndLevel.unknownLevel
    for r in rules.indices {
      switch rules[r].matcher {
      case .all: break
      case .errors: if !ServiceAndLevel.isError(levelIndex: level) { continue }
      case .query(let q): if !q.matches(event) { continue }
      }
      var value = 0.0
      if let field = rules[r].field {
        guard let i = event.valueIndex(at: field), let v = NumericField.value(at: i, in: event) else {
          rules[r].notNumeric += 1
          continue
        }
        value = v * rules[r].scale
      }
      key.removeAll(keepingCapacity: true)
      for l in rules[r].labels.indices {
        appendLabel(rules[r].labels[l], event: event, service: service, level: level, source: line.sourceIndex)
        key.append(0xFF)
      }
      let h = SeriesTable.hash(key)
      let slot = rules[r].table.slot(for: key, hash: h) ?? newSeries(r, hash: h)
      rules[r].record(slot: slot, value: value)
    }
  }

  mutating func flush() {
    for r in rules.indices { rules[r].flush() }
  }

  /// Appends one label's value to ``key``, capped at ``maxLabelBytes``.
  private mutating func appendLabel(_ label: RuleState.Label, event: Event, service: Int?, level: Int, source: Int) {
    switch label {
    case .level:
      key.append(contentsOf: ServiceAndLevel.levelNames[level])
    case .service:
      if let service {
        appendValue(at: service, of: event)
      } else {
        sourceNames[source].withUnsafeBytes { appendCapped($0) }
      }
    case .field(let path):
      if let i = event.valueIndex(at: path) { appendValue(at: i, of: event) }
    }
  }

  /// Strings by content (decoded if escaped), numbers and booleans as written; null,
  /// objects and arrays as empty (an absent label).
  private mutating func appendValue(at i: Int, of event: Event) {
    let t = event.tape[i]
    switch t.kind {
    case .string:
      if !t.hasEscapes {
        event.bytes.withUnsafeBytes { appendCapped(UnsafeRawBufferPointer(rebasing: $0[t.range])) }
      } else {
        decoded.removeAll(keepingCapacity: true)
        event.bytes.withUnsafeBytes { JSONTape.unescape(UnsafeRawBufferPointer(rebasing: $0[t.range]), into: &decoded) }
        let copy = decoded
        copy.withUnsafeBytes { appendCapped($0) }
      }
    case .number, .true, .false:
      event.bytes.withUnsafeBytes { appendCapped(UnsafeRawBufferPointer(rebasing: $0[t.range])) }
    default:
      break
    }
  }

  /// Appends at most ``maxLabelBytes`` bytes, cut at a UTF-8 boundary; 0xFF (never in UTF-8,
  /// but possible in a raw value) becomes 0xEF so it cannot fake a separator.
  private mutating func appendCapped(_ bytes: UnsafeRawBufferPointer) {
    var n = min(bytes.count, maxLabelBytes)
    if n < bytes.count {
      while n > 0 && bytes[n] & 0xC0 == 0x80 { n -= 1 }
    }
    let part = UnsafeRawBufferPointer(rebasing: bytes[0..<n])
    if part.contains(0xFF) {
      for b in part { key.append(b == 0xFF ? 0xEF : b) }
    } else {
      key.append(contentsOf: part)
    }
  }

  /// The slot for ``key``, which rule `r` has not seen: a new series, or the overflow one.
  private mutating func newSeries(_ r: Int, hash h: UInt64) -> Int {
    if rules[r].table.isFull {
      rules[r].overflowed += 1
      return rules[r].overflowSlot(registry: registry)
    }
    var values: [String] = []
    var start = 0
    for (k, b) in key.enumerated() where b == 0xFF {
      values.append(screen.screen(String(decoding: key[start..<k], as: UTF8.self)))
      start = k + 1
    }
    let slot = rules[r].addSeries(values: values, registry: registry)
    rules[r].table.insert(key, hash: h, slot: slot)
    return slot
  }
}

/// One rule's compiled form and state.
struct RuleState {
  enum Matcher: Equatable {
    case all, errors
    case query(Query)
  }

  enum Label: Equatable {
    case service, level
    case field(String)
  }

  let name: String
  let help: String
  let kind: MetricRule.Kind
  let matcher: Matcher
  let labelNames: [String]
  let labels: [Label]
  let field: String?
  let scale: Double
  let buckets: [Double]
  var table: SeriesTable
  /// Per slot: the exported series, and what this chunk added to it.
  private var counters: [Prometheus.Counter] = []
  private var histograms: [ValueHistogram] = []
  private var counts: [Int] = []
  private var sums: [Double] = []
  private var overflow: Int?
  var overflowed = 0
  var notNumeric = 0
  private let overflowCounter: CoreMetrics.Counter
  private let notNumericCounter: CoreMetrics.Counter

  init(_ rule: MetricRule, maxSeries: Int, metrics: AgentMetrics, at path: String) throws(ConfigError) {
    name = rule.name
    help = rule.help ?? "Derived from events by the metrics step."
    kind = rule.type
    switch rule.match {
    case nil: matcher = .all
    case "@error": matcher = .errors
    case let text?:
      do {
        matcher = .query(try Query(text))
      } catch {
        throw ConfigError(path: "\(path).match", message: "\(error) in '\(text)'")
      }
    }
    labelNames = rule.labels.map(\.0)
    labels = rule.labels.map { _, source in
      switch source {
      case "@service": .service
      case "@level": .level
      default: .field(source)
      }
    }
    field = rule.field
    scale = rule.scale ?? 1
    buckets = rule.buckets ?? []
    // An unlabelled metric has exactly one series.
    table = SeriesTable(capacity: rule.labels.isEmpty ? 1 : maxSeries)
    overflowCounter = metrics.seriesOverflow(metric: rule.name)
    notNumericCounter = metrics.metricValuesSkipped(metric: rule.name)
  }

  mutating func record(slot: Int, value: Double) {
    switch kind {
    case .counter: counts[slot] += 1
    case .sum: sums[slot] += value
    case .histogram: histograms[slot].record(value)
    }
  }

  /// Adds this chunk's tallies to the series and clears them.
  mutating func flush() {
    switch kind {
    case .counter:
      for s in counts.indices where counts[s] > 0 {
        counters[s].increment(by: Int64(counts[s]))
        counts[s] = 0
      }
    case .sum:
      for s in sums.indices where sums[s] != 0 {
        counters[s].increment(by: sums[s])
        sums[s] = 0
      }
    case .histogram:
      break
    }
    if overflowed > 0 {
      overflowCounter.increment(by: overflowed)
      overflowed = 0
    }
    if notNumeric > 0 {
      notNumericCounter.increment(by: notNumeric)
      notNumeric = 0
    }
  }

  /// Registers the series for `values` (one per label, screened) and returns its slot.
  mutating func addSeries(values: [String], registry: PrometheusCollectorRegistry) -> Int {
    let labels = Array(zip(labelNames, values))
    let descriptor = MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
    switch kind {
    case .counter, .sum:
      counters.append(
        labels.isEmpty
          ? registry.makeCounter(descriptor: descriptor) : registry.makeCounter(descriptor: descriptor, labels: labels))
      counts.append(0)
      sums.append(0)
      return counters.count - 1
    case .histogram:
      histograms.append(
        labels.isEmpty
          ? registry.makeValueHistogram(descriptor: descriptor, buckets: buckets)
          : registry.makeValueHistogram(descriptor: descriptor, labels: labels, buckets: buckets))
      return histograms.count - 1
    }
  }

  /// The slot of the `__overflow__` series (every label `__overflow__`), made on first use.
  mutating func overflowSlot(registry: PrometheusCollectorRegistry) -> Int {
    if let overflow { return overflow }
    let slot = addSeries(
      values: [String](repeating: LabelValueScreen.overflow, count: labelNames.count), registry: registry)
    overflow = slot
    return slot
  }
}
