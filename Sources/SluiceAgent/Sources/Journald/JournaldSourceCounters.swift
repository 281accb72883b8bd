import CoreMetrics

/// The metrics of one `type: journald` source, looked up once when the source is built.
/// `sluice_source_bytes_total` is shared by every kind; the rest are journal-shaped.
public struct JournaldSourceCounters: Sendable {
  /// Bytes of the records the source made (the JSON lines handed to the pipeline).
  public let bytes: CoreMetrics.Counter
  /// Entries read from the journal, and of those the ones the filters dropped.
  public let entriesRead: CoreMetrics.Counter
  public let entriesSkipped: CoreMetrics.Counter
  /// Field values cut at `max_field_bytes`, and values that were not UTF-8 (repaired).
  public let fieldsTooLong: CoreMetrics.Counter
  public let fieldsBinary: CoreMetrics.Counter
  /// Saved cursors that could not be used (garbage, or their entry is gone).
  public let cursorInvalid: CoreMetrics.Counter
  /// Failed sd-journal calls (opening, reading, waiting).
  public let readErrors: CoreMetrics.Counter
  /// How far behind the journal the reader is, in seconds (0 when caught up).
  public let lagSeconds: CoreMetrics.Gauge

  public init(_ metrics: AgentMetrics, source name: String) {
    let s = [("source", name)]
    bytes = metrics.counter("sluice_source_bytes_total", s)
    entriesRead = metrics.counter("sluice_journald_entries_read_total", s)
    entriesSkipped = metrics.counter("sluice_journald_entries_skipped_total", s)
    fieldsTooLong = metrics.counter("sluice_journald_fields_truncated_total", s + [("reason", "too_long")])
    fieldsBinary = metrics.counter("sluice_journald_fields_truncated_total", s + [("reason", "binary")])
    cursorInvalid = metrics.counter("sluice_source_cursor_invalid_total", s)
    readErrors = metrics.counter("sluice_source_read_errors_total", s)
    lagSeconds = metrics.sourceLagSeconds(source: name)
  }
}
