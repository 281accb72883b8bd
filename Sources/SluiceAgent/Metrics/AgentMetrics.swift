import CoreMetrics
import Prometheus
import SluiceCore

/// The agent's own metrics, created once and registered in one Prometheus registry.
///
/// Labels of the agent's own metrics come from bounded sets only: configured source, sink,
/// step and rule names, and fixed reason words. The derived metrics of `metrics` steps take
/// label values from events, behind the cardinality guard (``MetricsTransform``).
public final class AgentMetrics: Sendable {
  public let registry: PrometheusCollectorRegistry
  let factory: PrometheusMetricsFactory

  public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
    self.registry = registry
    var factory = PrometheusMetricsFactory(registry: registry)
    factory.durationHistogramBuckets[Self.requestDuration] = Self.requestDurationBuckets
    self.factory = factory
  }

  /// The name of the sink request latency histogram, and its buckets: 5 ms to a minute, so
  /// the slowest answers a sink's `timeout` (default 30 s) allows are still resolved.
  static let requestDuration = "sluice_sink_request_duration_seconds"
  static let requestDurationBuckets: [Duration] = [
    .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
    .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10),
    .seconds(30), .seconds(60),
  ]

  func counter(_ name: String, _ dimensions: [(String, String)] = []) -> CoreMetrics.Counter {
    CoreMetrics.Counter(label: name, dimensions: dimensions, factory: factory)
  }

  func gauge(_ name: String, _ dimensions: [(String, String)] = []) -> CoreMetrics.Gauge {
    CoreMetrics.Gauge(label: name, dimensions: dimensions, factory: factory)
  }

  /// Per-source event accounting done by the processor (steps count their own).
  public struct PipelineCounters: Sendable {
    /// Records any source handed to the pipeline (file lines, journal entries).
    public let sourceEvents: CoreMetrics.Counter
    public let utf8Repaired: CoreMetrics.Counter
  }

  public func pipeline(source: String) -> PipelineCounters {
    PipelineCounters(
      sourceEvents: counter("sluice_source_events_total", [("source", source)]),
      utf8Repaired: counter("sluice_invalid_utf8_repaired_total", [("source", source)]))
  }

  public func redactions(rule: String) -> CoreMetrics.Counter {
    counter("sluice_redactions_total", [("rule", rule)])
  }

  /// Per-sink delivery accounting.
  public struct SinkCounters: Sendable {
    public let eventsSent: CoreMetrics.Counter
    public let batchesSent: CoreMetrics.Counter
    public let bytesSent: CoreMetrics.Counter
    public let payloadBytes: CoreMetrics.Counter
    public let retries: CoreMetrics.Counter
    public let deadLettered: CoreMetrics.Counter
    public let sendErrors: CoreMetrics.Counter
    public let unsentAtShutdown: CoreMetrics.Counter
    /// Batch sizes as sent: events and uncompressed payload bytes (histograms).
    public let batchEvents: CoreMetrics.Recorder
    public let batchBytes: CoreMetrics.Recorder
    /// Requests waiting for a response.
    public let inFlight: CoreMetrics.Meter
    /// How long each attempt took, from the request to its answer or failure (histogram).
    public let requestDuration: CoreMetrics.Timer
  }

  public func sink(_ name: String) -> SinkCounters {
    SinkCounters(
      eventsSent: counter("sluice_sink_events_total", [("sink", name)]),
      batchesSent: counter("sluice_sink_batches_total", [("sink", name)]),
      bytesSent: counter("sluice_sink_bytes_total", [("sink", name)]),
      payloadBytes: counter("sluice_sink_payload_bytes_total", [("sink", name)]),
      retries: counter("sluice_sink_retries_total", [("sink", name)]),
      deadLettered: counter("sluice_events_dead_lettered_total", [("sink", name)]),
      sendErrors: counter("sluice_sink_send_errors_total", [("sink", name)]),
      unsentAtShutdown: counter("sluice_sink_unsent_at_shutdown_total", [("sink", name)]),
      batchEvents: CoreMetrics.Recorder(
        label: "sluice_sink_batch_events", dimensions: [("sink", name)], aggregate: true, factory: factory),
      batchBytes: CoreMetrics.Recorder(
        label: "sluice_sink_batch_bytes", dimensions: [("sink", name)], aggregate: true, factory: factory),
      inFlight: CoreMetrics.Meter(
        label: "sluice_sink_requests_in_flight", dimensions: [("sink", name)], factory: factory),
      requestDuration: CoreMetrics.Timer(label: Self.requestDuration, dimensions: [("sink", name)], factory: factory))
  }

  /// Per-sink buffer accounting (memory or disk).
  public struct BufferCounters: Sendable {
    /// Events dropped because the buffer was full (`drop_oldest` / `drop_newest`).
    public let droppedOldest: CoreMetrics.Counter
    public let droppedNewest: CoreMetrics.Counter
    /// Events and bytes waiting in the buffer.
    public let events: CoreMetrics.Gauge
    public let bytes: CoreMetrics.Gauge
    /// How full the buffer is, 0 to 1: the fuller of events against `maxEvents` and bytes
    /// against `maxBytes` (what readiness reports above 80 %).
    public let usage: CoreMetrics.Gauge
    /// Disk buffer recovery at start-up: torn tails and corrupt records cut off, and their bytes.
    public let recoveredTornTails: CoreMetrics.Counter
    public let recoveredCorruptRecords: CoreMetrics.Counter
    public let recoveredBytesDiscarded: CoreMetrics.Counter
    /// The buffer's caps: events (nil when only bytes are capped, as for a disk buffer) and bytes.
    public let maxEvents: Int?
    public let maxBytes: Int

    /// The buffer now holds `events` events in `bytes` bytes.
    func record(events: Int, bytes: Int) {
      self.events.record(events)
      self.bytes.record(bytes)
      var fill = maxBytes > 0 ? Double(bytes) / Double(maxBytes) : 0
      if let maxEvents, maxEvents > 0 { fill = Swift.max(fill, Double(events) / Double(maxEvents)) }
      usage.record(fill)
    }
  }

  /// Buffer accounting for sink `name`, whose buffer holds at most `maxEvents` events (nil:
  /// not capped in events) and `maxBytes` bytes.
  public func buffer(sink name: String, maxEvents: Int?, maxBytes: Int) -> BufferCounters {
    BufferCounters(
      droppedOldest: counter(
        "sluice_sink_events_dropped_total", [("sink", name), ("reason", "buffer_full_drop_oldest")]),
      droppedNewest: counter(
        "sluice_sink_events_dropped_total", [("sink", name), ("reason", "buffer_full_drop_newest")]),
      events: gauge("sluice_buffer_events", [("sink", name)]),
      bytes: gauge("sluice_buffer_bytes", [("sink", name)]),
      usage: gauge("sluice_buffer_usage_ratio", [("sink", name)]),
      recoveredTornTails: counter("sluice_buffer_torn_tails_total", [("sink", name)]),
      recoveredCorruptRecords: counter("sluice_buffer_corrupt_records_total", [("sink", name)]),
      recoveredBytesDiscarded: counter("sluice_buffer_discarded_bytes_total", [("sink", name)]),
      maxEvents: maxEvents, maxBytes: maxBytes)
  }

  /// The Prometheus text exposition of every metric.
  public func exposition() -> [UInt8] {
    var out: [UInt8] = []
    registry.emit(into: &out)
    return out
  }
}
