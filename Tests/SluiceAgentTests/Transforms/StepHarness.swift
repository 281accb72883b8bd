import Logging
import SluiceCore

@testable import SluiceAgent

/// Runs lines through a configured pipeline in-process: the same built steps the agent's
/// processor applies, without sources or sinks. What the steps count is read from the
/// harness's own metrics registry.
struct StepHarness {
  let config: AgentConfig
  let metrics = AgentMetrics()
  let steps: [any EventTransform]

  /// `pipeline` is the YAML list of steps (flow or block style), e.g. `[{type: parse}]`.
  init(pipeline: String, sources: [String] = ["app"]) throws {
    let sourceYAML = sources.map { "  - {name: \($0), type: file, include: [\"/nonexistent/\($0)/*.log\"]}" }
      .joined(separator: "\n")
    config = try ConfigLoader.parse(
      yaml: """
        sources:
        \(sourceYAML)
        pipeline: \(pipeline)
        sinks:
          - {name: out, type: console}
        """)
    steps = try PipelineBuilder.build(config, metrics: metrics, logger: Logger(label: "test"))
  }

  /// The events that come out, as JSON text (nil for a dropped line), after one chunk.
  func run(_ lines: [String], source: Int = 0) -> [String?] {
    var out: [String?] = []
    var event = Event()
    for line in lines {
      var line = line
      line.withUTF8 { event.load(UnsafeRawBufferPointer($0)) }
      var kept = true
      for step in steps where kept { kept = step.apply(&event, LineContext(sourceIndex: source)) }
      out.append(kept ? event.text : nil)
    }
    for step in steps { step.endChunk(sourceIndex: source) }
    return out
  }

  /// The Prometheus text exposition of everything counted so far.
  var scrape: String { String(decoding: metrics.exposition(), as: UTF8.self) }

  /// The value of the one series of `name` whose labels are exactly `labels` (as written in
  /// the exposition, e.g. `service="api",level="error"`), or nil if there is none.
  func value(_ name: String, _ labels: String = "") -> Double? {
    let prefix = labels.isEmpty ? "\(name) " : "\(name){\(labels)} "
    for line in scrape.split(separator: "\n") where line.hasPrefix(prefix) {
      return Double(line.dropFirst(prefix.count))
    }
    return nil
  }

  /// Every series line of `name` (histogram families: pass the `_bucket` name).
  func series(_ name: String) -> [Substring] {
    scrape.split(separator: "\n").filter { $0.hasPrefix(name + "{") || $0.hasPrefix(name + " ") }
  }
}
