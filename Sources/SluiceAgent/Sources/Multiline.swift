import SluiceCore

/// Joins the lines of one logical event — a stack trace, a traceback, a Go panic — into one
/// event, after container records have been joined.
///
/// - `start` mode: a line matching the pattern starts a new event; any other line belongs to
///   the event before it.
/// - `continuation` mode: a line matching the pattern belongs to the event before it; any
///   other line starts a new event.
///
/// An event is complete when the next one starts, when it reaches `max_lines` or `max_bytes`,
/// or when its file has not grown for `timeout`. Until then its lines are not acknowledged:
/// after a restart the whole event is read again.
public struct MultilineConfig: Sendable, Codable, Equatable {
  public enum Mode: String, Sendable, Codable, CaseIterable { case start, continuation }
  public enum Preset: String, Sendable, Codable, CaseIterable { case java, python, go }

  public var mode: Mode
  /// A POSIX extended regular expression, compiled once at start-up.
  public var pattern: String?
  /// Built-in matchers (no regular expression): Java stack traces, Python tracebacks, Go
  /// panics. They set the mode themselves.
  public var preset: Preset?
  public var maxLines: Int
  public var maxBytes: ByteSize?
  public var timeout: ConfigDuration

  enum CodingKeys: String, CodingKey, CaseIterable {
    case mode, pattern, preset, maxLines = "max_lines", maxBytes = "max_bytes", timeout
  }

  public init(from decoder: any Decoder) throws {
    try decoder.rejectUnknownKeys(CodingKeys.self)
    let c = try decoder.container(keyedBy: CodingKeys.self)
    preset = try c.decodeIfPresent(Preset.self, forKey: .preset)
    pattern = try c.decodeIfPresent(String.self, forKey: .pattern)
    mode = try c.decodeIfPresent(Mode.self, forKey: .mode) ?? .continuation
    maxLines = try c.decodeIfPresent(Int.self, forKey: .maxLines) ?? 500
    maxBytes = try c.decodeIfPresent(ByteSize.self, forKey: .maxBytes)
    timeout = try c.decodeIfPresent(ConfigDuration.self, forKey: .timeout) ?? .seconds(1)
  }

  /// Checks the combination of keys and compiles the pattern once, adding every problem
  /// found to `issues`. `at` is this mapping's path, e.g. `sources[0].multiline`.
  public func validate(at: String, into issues: inout ConfigIssues) {
    // Which matcher: a pattern is compiled only when it is the one in use.
    var compilesPattern = false
    if preset == nil && pattern == nil {
      issues.add(at, "needs a `preset` (java, python, go) or a `pattern`")
    } else if preset != nil && pattern != nil {
      issues.add(at, "`preset` and `pattern` are exclusive")
    } else {
      compilesPattern = pattern != nil
    }
    if maxLines < 1 { issues.add("\(at).max_lines", "must be at least 1") }
    if compilesPattern {
      do { _ = try MultilineMatcher(self) } catch { issues.add("\(at).pattern", "\(error)") }
    }
  }
}

/// Decides, line by line, whether a line continues the pending event.
final class MultilineMatcher {
  private let mode: MultilineConfig.Mode
  private let preset: MultilineConfig.Preset?
  private let regex: POSIXRegex?

  /// - Throws: ``MultilineError`` if the pattern does not compile.
  init(_ config: MultilineConfig) throws {
    preset = config.preset
    mode = config.preset == nil ? config.mode : .continuation
    if config.preset == nil, let pattern = config.pattern {
      do {
        regex = try POSIXRegex(pattern)
      } catch {
        throw MultilineError(message: error.reason)
      }
    } else {
      regex = nil
    }
  }

  /// Whether `line` belongs to the pending event `pending` (its lines joined with `\n`) whose
  /// last line is `previous`.
  func continues(_ line: ArraySlice<UInt8>, pending: ArraySlice<UInt8>, previous: ArraySlice<UInt8>) -> Bool {
    if let preset { return Self.presetContinues(preset, line, pending: pending, previous: previous) }
    let matched = matches(line)
    return mode == .continuation ? matched : !matched
  }

  private func matches(_ line: ArraySlice<UInt8>) -> Bool {
    guard let regex else { return false }
    return line.withUnsafeBytes { regex.matches($0) }
  }

  // MARK: - Presets

  static func presetContinues(
    _ preset: MultilineConfig.Preset, _ line: ArraySlice<UInt8>, pending: ArraySlice<UInt8>,
    previous: ArraySlice<UInt8>
  ) -> Bool {
    let indented = line.first == 0x20 || line.first == 0x09
    switch preset {
    case .java:
      // `\tat com.x.Y(Y.java:10)`, `\t... 3 more`, `Caused by: …`, `Suppressed: …`
      return indented || hasPrefix(line, "Caused by:") || hasPrefix(line, "Suppressed:")
    case .python:
      // A traceback joins the message logged before it (`logger.exception`).
      if indented || hasPrefix(line, "Traceback (most recent call last):") { return true }
      // The exception line that ends a traceback (`ValueError: bad`), and the text that
      // chains tracebacks, follow an indented line of one.
      guard contains(pending, "Traceback (most recent call last):") else { return false }
      let previousIndented = previous.first == 0x20 || previous.first == 0x09
      return previousIndented || hasPrefix(line, "During handling of the above exception")
        || hasPrefix(line, "The above exception was the direct cause")
        || hasPrefix(previous, "During handling of the above exception")
        || hasPrefix(previous, "The above exception was the direct cause")
    case .go:
      guard hasPrefix(pending, "panic: ") || hasPrefix(pending, "fatal error: ") else { return false }
      // goroutine headers, frames (`main.main()`, `created by …`), their indented file lines,
      // and the runtime's last words.
      return indented || hasPrefix(line, "goroutine ") || hasPrefix(line, "created by ")
        || hasPrefix(line, "exit status ") || hasPrefix(line, "[signal ") || line.last == UInt8(ascii: ")")
    }
  }

  static func contains(_ haystack: ArraySlice<UInt8>, _ text: StaticString) -> Bool {
    let n = text.utf8CodeUnitCount
    guard haystack.count >= n else { return false }
    var i = haystack.startIndex
    while i + n <= haystack.endIndex {
      if hasPrefix(haystack[i...], text) { return true }
      i += 1
    }
    return false
  }

  @inline(__always)
  static func hasPrefix(_ line: ArraySlice<UInt8>, _ text: StaticString) -> Bool {
    let n = text.utf8CodeUnitCount
    guard line.count >= n else { return false }
    let p = text.utf8Start
    var i = line.startIndex
    for k in 0..<n {
      if line[i] != p[k] { return false }
      i += 1
    }
    return true
  }
}

/// A multiline pattern that does not compile.
struct MultilineError: Error, CustomStringConvertible {
  var message: String
  var description: String { "invalid pattern: \(message)" }
}
