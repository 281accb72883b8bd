import CoreMetrics

/// The metrics of one `type: file` source, looked up once when the source is built.
/// `sluice_source_bytes_total` is shared by every kind; the rest are file-shaped.
public struct FileSourceCounters: Sendable {
  public let linesRead: CoreMetrics.Counter
  public let bytesRead: CoreMetrics.Counter
  public let truncated: CoreMetrics.Counter
  public let droppedEmpty: CoreMetrics.Counter
  public let filesWatched: CoreMetrics.Gauge
  public let readErrors: CoreMetrics.Counter
  /// Lines of a container log that were not in the runtime's format.
  public let malformedLines: CoreMetrics.Counter
  /// Files found truncated (copytruncate), lines then read from the rotated copy, and
  /// bytes known to be lost (seen but unread, with no copy to read them from).
  public let truncations: CoreMetrics.Counter
  public let truncationRecoveredLines: CoreMetrics.Counter
  public let truncationLostBytes: CoreMetrics.Counter
  /// Bytes written between a copytruncate's copy and its truncation, read in time by the
  /// watcher's thread.
  public let truncationCapturedBytes: CoreMetrics.Counter
  /// Files at start-up whose checkpointed inode now holds a different file.
  public let inodeReused: CoreMetrics.Counter
  /// Bytes between the read offset and the end of every open file, summed.
  public let lagBytes: CoreMetrics.Gauge

  public init(_ metrics: AgentMetrics, source name: String) {
    let s = [("source", name)]
    linesRead = metrics.counter("sluice_source_lines_total", s)
    bytesRead = metrics.counter("sluice_source_bytes_total", s)
    truncated = metrics.counter("sluice_source_lines_truncated_total", s)
    droppedEmpty = metrics.counter("sluice_events_dropped_total", s + [("reason", "empty_line")])
    filesWatched = metrics.gauge("sluice_source_files_watched", s)
    readErrors = metrics.counter("sluice_source_read_errors_total", s)
    malformedLines = metrics.counter("sluice_source_malformed_lines_total", s)
    truncations = metrics.counter("sluice_source_truncations_total", s)
    truncationRecoveredLines = metrics.counter("sluice_source_truncation_recovered_lines_total", s)
    truncationLostBytes = metrics.counter("sluice_source_truncation_lost_bytes_total", s)
    truncationCapturedBytes = metrics.counter("sluice_source_truncation_captured_bytes_total", s)
    inodeReused = metrics.counter("sluice_source_inode_reused_total", s)
    lagBytes = metrics.sourceLagBytes(source: name)
  }
}
