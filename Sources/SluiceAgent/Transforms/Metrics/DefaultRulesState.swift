import CoreMetrics
import Prometheus
import SluiceCore

/// The default rules of a `metrics` step without `rules`, specialised: per event one
/// service lookup, one level resolution, one hash of the service's bytes and one tally.
/// `sluice_log_events_total{service,level}` and `sluice_log_errors_total{service}` are
/// both made from the same tallies at the end of each chunk, where series are registered
/// the first time they have a count.
///
/// The guard is the same as for configured rules: at most `max_series` services are
/// remembered (more go to the `__overflow__` series of both metrics), at most `max_series`
/// `events_total` series are registered, service values are capped at `max_label_bytes`
/// and screened by the redaction detectors.
final class DefaultMetricsTransform: EventTransform {
  // Only the processor task touches it (see EventTransform): no run-time exclusivity check.
  @exclusivity(unchecked)
  private var state: DefaultRulesState

  init(settings: MetricsSettings, context: TransformBuildContext) {
    state = DefaultRulesState(settings: settings, context: context)
  }

  func apply(_ event: inout Event, _ line: LineContext) -> Bool {
    state.apply(event, line)
    return true
  }

  func endChunk(sourceIndex: Int) { state.flush() }
}

struct DefaultRulesState {
  /// Level indices per service slot: the seven levels and `unknown` (a literal, so reading it
  /// per event is not a lazy global's check; `init` asserts it).
  static let levels = 8

  private var services: SeriesTable
  /// Per service slot: its exported name (screened); the last slot is the overflow one.
  private var names: [String] = []
  /// Per service slot × level: this chunk's count (in a buffer the state owns, so a tally
  /// is one add with no uniqueness check), and the registered series.
  private let counts = Tallies()
  private var eventSeries: [Prometheus.Counter?] = []
  private var errorSeries: [Prometheus.Counter?] = []
  private var registeredEventSeries = 0
  private var overflowEvents: Prometheus.Counter?
  private var overflowErrors: Prometheus.Counter?
  private var overflowedEvents = 0
  private var overflowedErrors = 0
  private var screen = LabelValueScreen()
  private let keyScanner = ServiceLevelScanner()
  private var decoded: [UInt8] = []
  private let sourceNames: [[UInt8]]
  private let maxSeries: Int
  private let maxLabelBytes: Int
  private let registry: PrometheusCollectorRegistry
  private let overflowEventsCounter: CoreMetrics.Counter
  private let overflowErrorsCounter: CoreMetrics.Counter
  private let events = MetricsSettings.defaultRules[0]
  private let errors = MetricsSettings.defaultRules[1]

  init(settings: MetricsSettings, context: TransformBuildContext) {
    precondition(Self.levels == ServiceAndLevel.levelNames.count)
    services = SeriesTable(capacity: settings.maxSeries)
    sourceNames = context.sourceNames.map { Array($0.utf8) }
    maxSeries = settings.maxSeries
    maxLabelBytes = settings.maxLabelBytes
    registry = context.metrics.registry
    overflowEventsCounter = context.metrics.seriesOverflow(metric: events.name)
    overflowErrorsCounter = context.metrics.seriesOverflow(metric: errors.name)
  }

  mutating func apply(_ event: Event, _ line: LineContext) {
    guard event.isStructured else { return }
    let (service, level) = keyScanner.scan(event)
    let slot: Int
    if let i = service {
      let t = event.tape[i]
      if t.hasEscapes {
        decoded.removeAll(keepingCapacity: true)
        event.bytes.withUnsafeBytes { JSONTape.unescape(UnsafeRawBufferPointer(rebasing: $0[t.range]), into: &decoded) }
        let copy = decoded
        slot = copy.withUnsafeBytes { serviceSlot($0) }
      } else {
        slot = event.bytes.withUnsafeBytes { serviceSlot(UnsafeRawBufferPointer(rebasing: $0[t.range])) }
      }
    } else {
      slot = sourceNames[line.sourceIndex].withUnsafeBytes { serviceSlot($0) }
    }
    counts.base[slot &* Self.levels &+ level] &+= 1
  }

  /// The slot of a service value (capped first), registering a new one or, beyond
  /// `max_series` services, the overflow slot.
  private mutating func serviceSlot(_ raw: UnsafeRawBufferPointer) -> Int {
    var n = min(raw.count, maxLabelBytes)
    if n < raw.count {
      while n > 0 && raw[n] & 0xC0 == 0x80 { n -= 1 }
    }
    let value = UnsafeRawBufferPointer(rebasing: raw[0..<n])
    let h = SeriesTable.hash(value)
    if let s = services.slot(for: value, hash: h) { return s }
    if services.isFull { return overflowSlot() }
    let slot = addSlot(name: screen.screen(String(decoding: value, as: UTF8.self)))
    services.insert(value, hash: h, slot: slot)
    return slot
  }

  private var overflow: Int?

  private mutating func overflowSlot() -> Int {
    if let overflow { return overflow }
    let s = addSlot(name: LabelValueScreen.overflow)
    overflow = s
    return s
  }

  private mutating func addSlot(name: String) -> Int {
    names.append(name)
    counts.grow(to: names.count * Self.levels)
    eventSeries.append(contentsOf: repeatElement(nil, count: Self.levels))
    errorSeries.append(nil)
    return names.count - 1
  }

  /// Adds the chunk's counts to both metrics, registering series on first use.
  mutating func flush() {
    for s in names.indices {
      var errorCount = 0
      for level in 0..<Self.levels {
        let k = s * Self.levels + level
        let n = counts.base[k]
        guard n > 0 else { continue }
        counts.base[k] = 0
        if ServiceAndLevel.isError(levelIndex: level) { errorCount += n }
        if s == overflow {
          overflowedEvents += n
          overflowEventsSeries().increment(by: Int64(n))
        } else if let c = eventSeries[k] {
          c.increment(by: Int64(n))
        } else if registeredEventSeries < maxSeries {
          registeredEventSeries += 1
          let c = counter(events, [("service", names[s]), ("level", levelName(level))])
          eventSeries[k] = c
          c.increment(by: Int64(n))
        } else {
          overflowedEvents += n
          overflowEventsSeries().increment(by: Int64(n))
        }
      }
      guard errorCount > 0 else { continue }
      if s == overflow {
        overflowedErrors += errorCount
        overflowErrorsSeries().increment(by: Int64(errorCount))
      } else {
        if errorSeries[s] == nil { errorSeries[s] = counter(errors, [("service", names[s])]) }
        errorSeries[s]!.increment(by: Int64(errorCount))
      }
    }
    if overflowedEvents > 0 {
      overflowEventsCounter.increment(by: overflowedEvents)
      overflowedEvents = 0
    }
    if overflowedErrors > 0 {
      overflowErrorsCounter.increment(by: overflowedErrors)
      overflowedErrors = 0
    }
  }

  private func levelName(_ level: Int) -> String { String(decoding: ServiceAndLevel.levelNames[level], as: UTF8.self) }

  private func counter(_ rule: MetricRule, _ labels: [(String, String)]) -> Prometheus.Counter {
    registry.makeCounter(
      descriptor: MetricNameDescriptor(metricName: rule.name, unitName: "", helpText: rule.help ?? ""), labels: labels)
  }

  private mutating func overflowEventsSeries() -> Prometheus.Counter {
    if let overflowEvents { return overflowEvents }
    let c = counter(events, [("service", LabelValueScreen.overflow), ("level", LabelValueScreen.overflow)])
    overflowEvents = c
    return c
  }

  private mutating func overflowErrorsSeries() -> Prometheus.Counter {
    if let overflowErrors { return overflowErrors }
    let c = counter(errors, [("service", LabelValueScreen.overflow)])
    overflowErrors = c
    return c
  }
}

/// Zeroed counts in one owned buffer that only grows.
final class Tallies {
  private(set) var base: UnsafeMutablePointer<Int>
  private var capacity = 64

  init() {
    base = .allocate(capacity: capacity)
    base.initialize(repeating: 0, count: capacity)
  }

  /// Makes room for `count` counts, keeping those there and zeroing the new ones.
  func grow(to count: Int) {
    guard count > capacity else { return }
    var size = capacity
    while size < count { size *= 2 }
    let bigger = UnsafeMutablePointer<Int>.allocate(capacity: size)
    bigger.moveInitialize(from: base, count: capacity)
    (bigger + capacity).initialize(repeating: 0, count: size - capacity)
    base.deallocate()
    base = bigger
    capacity = size
  }

  deinit { base.deallocate() }
}
