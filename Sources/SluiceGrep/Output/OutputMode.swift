/// How `sluice grep` prints a matching line.
public enum OutputMode: String, Sendable, CaseIterable {
  /// Time, coloured level, message, then `key=value` fields (``PrettyPrinter``).
  case pretty
  /// The line as it was read (a CRI line with its prefix).
  case raw
  /// One JSON object per line: a JSON line as it is, a logfmt line converted, a plain line as
  /// `{"message": …}`; with `--fields`, an object of just those fields.
  case json
  /// `time=… level=… msg=… key=value …`.
  case logfmt
}

/// `--color`: whether to colour pretty output.
public enum ColorChoice: String, Sendable, CaseIterable {
  case auto, always, never

  /// Whether to colour: `always` and `never` decide; `auto` colours a terminal unless
  /// `NO_COLOR` is set to anything non-empty (no-color.org) or `TERM` is `dumb`.
  public func resolve(isTerminal: Bool, environment: [String: String]) -> Bool {
    switch self {
    case .always: return true
    case .never: return false
    case .auto:
      if let noColor = environment["NO_COLOR"], !noColor.isEmpty { return false }
      if environment["TERM"] == "dumb" { return false }
      return isTerminal
    }
  }
}
