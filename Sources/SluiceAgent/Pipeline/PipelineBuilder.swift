import Logging
import SluiceCore

/// Builds the configured steps into running transforms, in order.
public enum PipelineBuilder {
  /// Everything that can still fail at start (a hash key file gone since the configuration
  /// was checked) fails here, before any event flows.
  public static func build(
    _ config: AgentConfig, metrics: AgentMetrics, logger: Logger
  ) throws(ConfigError)
    -> [any EventTransform]
  {
    try build(config, sourceNames: config.sources.map(\.name), metrics: metrics, logger: logger)
  }

  /// Builds the steps for events whose ``LineContext/sourceIndex`` indexes `sourceNames`
  /// (after a reload, the running generation's source slots, which keep removed sources).
  static func build(
    _ config: AgentConfig, sourceNames: [String], metrics: AgentMetrics, logger: Logger
  ) throws(ConfigError)
    -> [any EventTransform]
  {
    var steps: [any EventTransform] = []
    for (i, t) in config.pipeline.enumerated() {
      let context = TransformBuildContext(
        name: t.name, path: "pipeline[\(i)]", metrics: metrics, sourceNames: sourceNames, logger: logger,
        scanner: JSONScanner())
      steps.append(try t.settings.makeTransform(context))
    }
    return steps
  }
}
