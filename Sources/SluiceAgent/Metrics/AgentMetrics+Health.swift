import CoreMetrics

/// The agent's health metrics: read lag per source, and what every scrape adds to the
/// registry — `sluice_build_info` and the `process_*` families (docs/metrics.md).
extension AgentMetrics {
  /// `sluice_source_lag_bytes{source}`: a file source's bytes between the read offset and
  /// the end of each open file, summed.
  func sourceLagBytes(source: String) -> CoreMetrics.Gauge {
    gauge("sluice_source_lag_bytes", [("source", source)])
  }

  /// `sluice_source_lag_seconds{source}`: how far behind the journal a journald source
  /// reads — now minus the time of the last entry read while behind; 0 when caught up.
  func sourceLagSeconds(source: String) -> CoreMetrics.Gauge {
    gauge("sluice_source_lag_seconds", [("source", source)])
  }

  /// `sluice_checkpoint_write_errors_total`: checkpoint saves that failed — the disk buffer
  /// could not be synced first, or the checkpoint file could not be written. Each is retried
  /// at the next interval; while they fail, a restart reads again from older positions.
  func checkpointWriteErrors() -> CoreMetrics.Counter {
    counter("sluice_checkpoint_write_errors_total")
  }

  /// Everything `/metrics` serves, in the Prometheus text format: the registry (with the
  /// ``MetricHelp`` texts), then `sluice_build_info{version}` and the process metrics, both
  /// computed now.
  public func scrape() -> [UInt8] {
    var out = MetricHelp.annotate(exposition())
    out += Array(
      """
      # HELP sluice_build_info The running agent's version; always 1.
      # TYPE sluice_build_info gauge
      sluice_build_info{version="\(SluiceVersion.string)"} 1

      """.utf8)
    if let process = ProcessStats.current() { out += process.exposition() }
    return out
  }
}
