/// The problems found while checking a configuration, collected rather than thrown, so that
/// one run of `sluice validate` lists every mistake.
///
/// Checks add a problem with the key path it is about (e.g. `sinks[0].batch.max_events`) and
/// go on with the next check. Where each path sits in the file (line and column) is added
/// later by ``ConfigLoader``, which knows the document.
public struct ConfigIssues: Sendable {
  public private(set) var errors: [ConfigError] = []

  public init() {}

  public var isEmpty: Bool { errors.isEmpty }

  /// Adds a problem about the key at `path`.
  public mutating func add(_ path: String, _ message: String) {
    errors.append(ConfigError(path: path, message: message))
  }

  public mutating func add(_ error: ConfigError) { errors.append(error) }

  /// Runs a check written as a throwing function, adding the problem it throws (if any).
  public mutating func collect(_ check: () throws(ConfigError) -> Void) {
    do {
      try check()
    } catch {
      errors.append(error)
    }
  }
}
