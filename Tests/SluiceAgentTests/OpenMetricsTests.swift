import Testing

@testable import SluiceAgent

/// The exposition formats of `/metrics`: the Prometheus text → OpenMetrics conversion, the
/// choice between them by `Accept`, and the HELP lines added at scrape time.
@Suite struct OpenMetricsTests {
  @Test func countersLoseTheirSuffixInMetadataOnlyAndTheTextEndsWithEOF() {
    let prometheus = """
      # HELP sluice_sink_events_total Events delivered.
      # TYPE sluice_sink_events_total counter
      sluice_sink_events_total{sink="out"} 50
      sluice_sink_events_total{sink="backend"} 0
      # TYPE sluice_buffer_events gauge
      sluice_buffer_events{sink="out"} 0.0

      # a comment the text format allows and OpenMetrics does not
      # HELP sluice_sink_batch_events Events per delivered request.
      # TYPE sluice_sink_batch_events histogram
      sluice_sink_batch_events_bucket{sink="out",le="5.0"} 1
      sluice_sink_batch_events_bucket{sink="out",le="+Inf"} 1
      sluice_sink_batch_events_sum{sink="out"} 3.0
      sluice_sink_batch_events_count{sink="out"} 1
      # HELP odd_counter A counter not named _total; it says "odd".
      # TYPE odd_counter counter
      odd_counter 2
      # TYPE loose untyped
      loose 1

      """
    let expected = """
      # HELP sluice_sink_events Events delivered.
      # TYPE sluice_sink_events counter
      sluice_sink_events_total{sink="out"} 50
      sluice_sink_events_total{sink="backend"} 0
      # TYPE sluice_buffer_events gauge
      sluice_buffer_events{sink="out"} 0.0
      # HELP sluice_sink_batch_events Events per delivered request.
      # TYPE sluice_sink_batch_events histogram
      sluice_sink_batch_events_bucket{sink="out",le="5.0"} 1
      sluice_sink_batch_events_bucket{sink="out",le="+Inf"} 1
      sluice_sink_batch_events_sum{sink="out"} 3.0
      sluice_sink_batch_events_count{sink="out"} 1
      # HELP odd_counter A counter not named _total; it says \\"odd\\".
      # TYPE odd_counter unknown
      odd_counter 2
      # TYPE loose unknown
      loose 1
      # EOF

      """
    let converted = String(decoding: OpenMetricsText.convert(Array(prometheus.utf8)), as: UTF8.self)
    #expect(converted == expected)
  }

  @Test func anEmptyExpositionIsJustEOF() {
    #expect(OpenMetricsText.convert([]) == Array("# EOF\n".utf8))
  }

  @Test func openMetricsIsServedWhenAcceptAsksForIt() {
    // What Prometheus 2.x sends.
    let prometheus =
      "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,"
      + "text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
    #expect(ExpositionFormat(accept: prometheus) == .openMetrics)
    #expect(ExpositionFormat(accept: "application/openmetrics-text") == .openMetrics)
    #expect(ExpositionFormat(accept: "Application/OpenMetrics-Text; version=1.0.0; charset=utf-8") == .openMetrics)
    #expect(ExpositionFormat(accept: "text/plain, application/openmetrics-text") == .openMetrics)
  }

  @Test func theTextFormatIsServedOtherwise() {
    #expect(ExpositionFormat(accept: nil) == .prometheusText)
    #expect(ExpositionFormat(accept: "") == .prometheusText)
    #expect(ExpositionFormat(accept: "*/*") == .prometheusText)
    #expect(ExpositionFormat(accept: "text/plain;version=0.0.4") == .prometheusText)
    #expect(ExpositionFormat(accept: "application/openmetrics-text;q=0") == .prometheusText)
    #expect(ExpositionFormat(accept: "application/openmetrics-text;q=0.2, text/plain;q=0.9") == .prometheusText)
    #expect(ExpositionFormat(accept: "application/openmetrics-text;version=2.0.0") == .prometheusText)
    #expect(ExpositionFormat.prometheusText.contentType == "text/plain; version=0.0.4; charset=utf-8")
    #expect(
      ExpositionFormat.openMetrics.contentType == "application/openmetrics-text; version=1.0.0; charset=utf-8")
  }

  @Test func helpLinesAreAddedToFamiliesThatHaveNone() {
    let registry = """
      # TYPE sluice_sink_events_total counter
      sluice_sink_events_total{sink="out"} 1
      # HELP sluice_log_errors_total Its own text.
      # TYPE sluice_log_errors_total counter
      sluice_log_errors_total{service="a"} 2
      # TYPE unknown_family gauge
      unknown_family 3

      """
    let annotated = String(decoding: MetricHelp.annotate(Array(registry.utf8)), as: UTF8.self)
    #expect(
      annotated == """
        # HELP sluice_sink_events_total Events delivered (2xx or written).
        # TYPE sluice_sink_events_total counter
        sluice_sink_events_total{sink="out"} 1
        # HELP sluice_log_errors_total Its own text.
        # TYPE sluice_log_errors_total counter
        sluice_log_errors_total{service="a"} 2
        # TYPE unknown_family gauge
        unknown_family 3

        """)
  }

  /// Every family the agent registers through its swift-metrics helpers has a HELP text, so
  /// a scrape passes `promtool check metrics` (the live test checks the running agent).
  @Test func everyAgentMetricHasAHelpText() {
    let metrics = AgentMetrics()
    _ = metrics.sink("out")
    _ = metrics.buffer(sink: "out", maxEvents: nil, maxBytes: 1 << 30)
    _ = metrics.checkpointWriteErrors()
    _ = metrics.pipeline(source: "app")
    _ = metrics.redactions(rule: "email")
    _ = FileSourceCounters(metrics, source: "app")
    _ = JournaldSourceCounters(metrics, source: "journal")
    let text = String(decoding: metrics.exposition(), as: UTF8.self)
    let families = text.split(separator: "\n").filter { $0.hasPrefix("# TYPE ") }.map {
      String($0.split(separator: " ")[2])
    }
    #expect(families.count > 30)
    for family in families { #expect(MetricHelp.texts[family] != nil, "\(family) has no HELP text") }
  }
}
