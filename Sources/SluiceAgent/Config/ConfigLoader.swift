import Foundation
import Yams

/// Reads, decodes and validates agent configuration.
public enum ConfigLoader {
  /// Loads a YAML file, throwing its first problem (in file order); ``read(path:)`` gives all.
  public static func load(path: String) throws(ConfigError) -> AgentConfig {
    let result = read(path: path)
    guard let config = result.config else { throw result.errors[0] }
    return config
  }

  /// Decodes and checks YAML text, throwing its first problem (in file order);
  /// ``read(yaml:file:environment:)`` gives all.
  public static func parse(
    yaml: String, environment: [String: String] = ProcessInfo.processInfo.environment
  )
    throws(ConfigError) -> AgentConfig
  {
    let result = read(yaml: yaml, environment: environment)
    guard let config = result.config else { throw result.errors[0] }
    return config
  }

  /// Checks what decoding cannot — names, references, ranges, URLs — and returns every
  /// problem found, in file order (sources, sinks, pipeline steps, admin, data_dir). A
  /// problem that follows from one already reported is not reported again.
  public static func check(_ c: AgentConfig) -> ConfigIssues {
    var issues = ConfigIssues()
    // A source, sink or step name: not empty, and not one already `seen` in its section.
    func checkName(_ name: String, at: String, kind: String, seen: inout Set<String>) {
      if name.isEmpty {
        issues.add("\(at).name", "must not be empty")
      } else if !seen.insert(name).inserted {
        issues.add("\(at).name", "duplicate \(kind) name '\(name)'")
      }
    }
    if c.sources.isEmpty { issues.add("sources", "at least one source is required") }
    if c.sinks.isEmpty { issues.add("sinks", "at least one sink is required") }
    if c.checkpointInterval.nanoseconds < 10_000_000 { issues.add("checkpoint_interval", "must be at least 10ms") }
    var names = Set<String>()
    for (i, s) in c.sources.enumerated() {
      let at = "sources[\(i)]"
      checkName(s.name, at: at, kind: "source", seen: &names)
      s.settings.validate(at: at, into: &issues)
    }
    names.removeAll()
    for (i, s) in c.sinks.enumerated() {
      let at = "sinks[\(i)]"
      checkName(s.name, at: at, kind: "sink", seen: &names)
      s.validate(at: at, into: &issues)
    }
    names.removeAll()
    let sourceNames = c.sources.map(\.name)
    for (i, t) in c.pipeline.enumerated() {
      let at = "pipeline[\(i)]"
      checkName(t.name, at: at, kind: "step", seen: &names)
      t.settings.validate(
        at: at, in: PipelineContext(steps: c.pipeline, sourceNames: sourceNames, index: i), into: &issues)
    }
    c.admin.validate(at: "admin", into: &issues)
    if c.dataDir.isEmpty { issues.add("data_dir", "must not be empty") }
    return issues
  }

  /// Checks what decoding cannot, as ``check(_:)`` does, and throws the first problem found.
  public static func validate(_ c: AgentConfig) throws(ConfigError) {
    if let first = check(c).errors.first { throw first }
  }
}

extension ConfigDuration: Comparable {
  public static func < (a: ConfigDuration, b: ConfigDuration) -> Bool { a.nanoseconds < b.nanoseconds }
}
