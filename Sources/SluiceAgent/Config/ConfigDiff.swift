/// What a reload changes, component by component (sources and sinks are matched by name).
///
/// A running generation applies a diff in place — changed and removed components stop,
/// changed and added ones start, the rest keep running — unless ``needsRestart``: a change
/// outside `sources`, `pipeline` and `sinks` (`shutdown_grace`, `checkpoint_interval`)
/// moves the agent to a new generation instead.
struct ConfigDiff: Equatable {
  /// Sources removed or changed, by name.
  var stoppedSources: [String] = []
  /// Sources added or changed.
  var startedSources: [SourceConfig] = []
  /// Sinks removed or changed, by name.
  var retiredSinks: [String] = []
  /// Sinks added or changed.
  var launchedSinks: [SinkConfig] = []
  var stepsChanged = false
  var needsRestart = false

  init(from old: AgentConfig, to new: AgentConfig) {
    var oldRest = old
    var newRest = new
    oldRest.sources = []
    oldRest.sinks = []
    oldRest.pipeline = []
    newRest.sources = []
    newRest.sinks = []
    newRest.pipeline = []
    needsRestart = oldRest != newRest
    stepsChanged = old.pipeline != new.pipeline
    (stoppedSources, startedSources) = Self.compare(old.sources, new.sources, name: \.name)
    (retiredSinks, launchedSinks) = Self.compare(old.sinks, new.sinks, name: \.name)
  }

  /// Names of `old` components gone or changed in `new`, and the `new` components added or
  /// changed, in `new`'s order.
  private static func compare<C: Equatable>(_ old: [C], _ new: [C], name: (C) -> String) -> ([String], [C]) {
    let before = Dictionary(old.map { (name($0), $0) }, uniquingKeysWith: { a, _ in a })
    let after = Dictionary(new.map { (name($0), $0) }, uniquingKeysWith: { a, _ in a })
    let stopped = old.map(name).filter { after[$0] != before[$0] }
    let started = new.filter { before[name($0)] != $0 }
    return (stopped, started)
  }

  /// Nothing to do.
  var isEmpty: Bool {
    !needsRestart && !stepsChanged && stoppedSources.isEmpty && startedSources.isEmpty && retiredSinks.isEmpty
      && launchedSinks.isEmpty
  }

  /// One line for the log: what the reload stops and starts.
  var summary: String {
    var parts: [String] = []
    if stepsChanged { parts.append("swaps the pipeline steps") }
    func names(_ what: String, _ list: [String]) {
      if !list.isEmpty { parts.append("\(what) \(list.joined(separator: ", "))") }
    }
    let restartedSources = Set(stoppedSources).intersection(startedSources.map(\.name))
    let restartedSinks = Set(retiredSinks).intersection(launchedSinks.map(\.name))
    names("restarts source", stoppedSources.filter { restartedSources.contains($0) })
    names("stops source", stoppedSources.filter { !restartedSources.contains($0) })
    names("starts source", startedSources.map(\.name).filter { !restartedSources.contains($0) })
    names("restarts sink", retiredSinks.filter { restartedSinks.contains($0) })
    names("stops sink", retiredSinks.filter { !restartedSinks.contains($0) })
    names("starts sink", launchedSinks.map(\.name).filter { !restartedSinks.contains($0) })
    return parts.joined(separator: "; ")
  }
}
