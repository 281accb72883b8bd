#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The `# HELP` texts of the agent's own metric families.
///
/// They are registered through swift-metrics, whose API carries no help text, so the texts
/// are added to the exposition when it is scraped (Prometheus lints a family without one).
/// A metric added through ``AgentMetrics``'s `counter`/`gauge` helpers gets its line here,
/// and its row in docs/metrics.md; families registered with a help text of their own (the
/// derived metrics of `metrics` steps) keep theirs.
enum MetricHelp {
  static let texts: [String: String] = [
    // Configuration
    "sluice_checkpoint_write_errors_total": "Checkpoint saves that failed (disk buffer sync or checkpoint file write).",
    "sluice_config_reloads_total": "Configuration reloads by outcome (applied, unchanged, rejected).",
    "sluice_config_last_reload_successful": "1 if the last configuration reload succeeded, 0 if it was rejected.",
    "sluice_config_last_reload_success_timestamp_seconds": "When the configuration was last loaded successfully.",
    // Sources
    "sluice_source_events_total": "Records any source handed to the pipeline (file lines, journal entries).",
    "sluice_source_lines_total": "File sources: lines read (blank lines excluded).",
    "sluice_source_bytes_total": "Bytes read from files; for journald sources, bytes of the records made.",
    "sluice_source_lines_truncated_total": "Lines cut at max_line_bytes.",
    "sluice_source_read_errors_total": "Files that could not be opened or read; for journald, failed sd-journal calls.",
    "sluice_source_cursor_invalid_total": "Journald: saved cursors that could not be used.",
    "sluice_journald_entries_read_total": "Journal entries looked at (including those the filters dropped).",
    "sluice_journald_entries_skipped_total": "Journal entries dropped by units, identifiers, priority or matches.",
    "sluice_journald_fields_truncated_total": "Journal field values cut at max_field_bytes or repaired (not UTF-8).",
    "sluice_source_files_watched": "Files currently open (including rotated ones being finished).",
    "sluice_source_malformed_lines_total": "Lines of a CRI or Docker log that were not in that format.",
    "sluice_source_inode_reused_total": "Files whose checkpointed device and inode now hold a different file.",
    "sluice_source_truncations_total": "Files found truncated (copytruncate) and read again from the start.",
    "sluice_source_truncation_recovered_lines_total": "Lines read from a rotated copy after a truncation.",
    "sluice_source_truncation_lost_bytes_total": "Bytes seen but not read before a truncation with no rotated copy.",
    "sluice_source_truncation_captured_bytes_total":
      "Bytes written between a copytruncate's copy and its truncation, caught by the watcher thread.",
    "sluice_source_lag_bytes": "File sources: bytes between the read offset and the end of each open file, summed.",
    "sluice_source_lag_seconds": "Journald sources: age of the last entry read while behind; 0 when caught up.",
    // Pipeline
    "sluice_events_dropped_total": "Events dropped on purpose, by reason.",
    "sluice_parse_wrapped_total": "Lines shipped as {\"message\": ...}, by reason.",
    "sluice_invalid_utf8_repaired_total": "Invalid UTF-8 sequences replaced by U+FFFD.",
    "sluice_log_events_total": "Events by level.",
    "sluice_log_errors_total": "Error-level events.",
    "sluice_redactions_total": "Redactions made by the redact step, by rule.",
    "sluice_events_filtered_total": "Events a filter step dropped.",
    "sluice_metric_series_overflow_total": "Events a derived metric counted in its __overflow__ series.",
    "sluice_metric_values_skipped_total":
      "Matching events a histogram or sum could not use (field missing or not a number).",
    // Sinks and buffers
    "sluice_sink_events_total": "Events delivered (2xx or written).",
    "sluice_sink_batches_total": "Batches delivered.",
    "sluice_sink_payload_bytes_total": "Bytes delivered before compression.",
    "sluice_sink_bytes_total": "Bytes delivered on the wire (after compression).",
    "sluice_sink_send_errors_total": "Failed delivery attempts (any reason).",
    "sluice_sink_retries_total": "Delivery attempts that will be retried.",
    "sluice_events_dead_lettered_total": "Events the sink refused for good, written to the dead-letter file.",
    "sluice_sink_unsent_at_shutdown_total": "Events not delivered when the shutdown grace period ran out.",
    "sluice_sink_batch_events": "Events per delivered request.",
    "sluice_sink_batch_bytes": "Uncompressed bytes per delivered request.",
    "sluice_sink_requests_in_flight": "Requests sent and not yet answered.",
    "sluice_sink_request_duration_seconds": "How long each delivery attempt took, to its answer or failure.",
    "sluice_sink_events_dropped_total": "Events dropped because the sink's buffer was full under a drop policy.",
    "sluice_buffer_events": "Events waiting in the sink's buffer.",
    "sluice_buffer_bytes": "Bytes waiting in the sink's buffer.",
    "sluice_buffer_usage_ratio": "How full the sink's buffer is, 0 to 1 (the fuller of events and bytes against its caps).",
    "sluice_buffer_torn_tails_total": "Disk buffer: torn tails cut off at start-up.",
    "sluice_buffer_corrupt_records_total": "Disk buffer: records whose checksum did not match.",
    "sluice_buffer_discarded_bytes_total": "Disk buffer: bytes discarded by recovery at start-up.",
  ]

  /// `exposition` with a `# HELP` line before the `# TYPE` line of every family that has a
  /// text here and no `# HELP` line of its own. Only comment lines are looked at; the
  /// samples between them are copied as they are.
  static func annotate(_ exposition: [UInt8]) -> [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity(exposition.count + 4096)
    let help = Array("# HELP ".utf8)
    let type = Array("# TYPE ".utf8)
    var helped: ArraySlice<UInt8>?
    var copied = 0
    var start = 0
    while start < exposition.count {
      let end = Self.lineEnd(exposition, from: start)
      let line = exposition[start..<end]
      if line.first == UInt8(ascii: "#") {
        if line.starts(with: help) {
          helped = name(in: line.dropFirst(help.count))
        } else if line.starts(with: type) {
          let family = name(in: line.dropFirst(type.count))
          if helped != family, let text = texts[String(decoding: family, as: UTF8.self)] {
            out += exposition[copied..<start]
            copied = start
            out += Array("# HELP ".utf8) + family + Array(" \(text)\n".utf8)
          }
          helped = nil
        }
      }
      start = end + 1
    }
    out += exposition[copied...]
    return out
  }

  /// The index of the newline ending the line at `start`, or the end of `text`.
  static func lineEnd(_ text: [UInt8], from start: Int) -> Int {
    text.withUnsafeBytes { raw in
      guard let nl = memchr(raw.baseAddress! + start, 0x0A, raw.count - start) else { return raw.count }
      return UnsafeRawPointer(nl) - raw.baseAddress!
    }
  }

  /// The metric name at the start of what follows `# HELP ` or `# TYPE `.
  static func name(in rest: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
    rest.prefix { $0 != UInt8(ascii: " ") }
  }
}
