import CoreMetrics
import SluiceCore

/// Metrics of the pipeline steps (docs/metrics.md).
extension AgentMetrics {
  /// `sluice_parse_wrapped_total{source,reason}`: lines the parse step shipped as `{"message": …}`.
  func parseWrapped(source: String, reason: Event.WrapReason) -> CoreMetrics.Counter {
    counter("sluice_parse_wrapped_total", [("source", source), ("reason", reason.rawValue)])
  }

  /// `sluice_events_filtered_total{step}`: events a `filter` step dropped.
  func filtered(step: String) -> CoreMetrics.Counter {
    counter("sluice_events_filtered_total", [("step", step)])
  }

  /// `sluice_metric_series_overflow_total{metric}`: events a derived metric counted in its
  /// `__overflow__` series because it already had `max_series` label sets.
  func seriesOverflow(metric: String) -> CoreMetrics.Counter {
    counter("sluice_metric_series_overflow_total", [("metric", metric)])
  }

  /// `sluice_metric_values_skipped_total{metric}`: matching events a histogram or sum could
  /// not use because its field was missing or not a number.
  func metricValuesSkipped(metric: String) -> CoreMetrics.Counter {
    counter("sluice_metric_values_skipped_total", [("metric", metric)])
  }
}
