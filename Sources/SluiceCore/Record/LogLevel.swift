/// Severity of a log event, ordered from least to most severe.
///
/// The seven levels are swift-log's. ``parse(_:)`` maps the spellings other loggers use
/// (`warn`, `err`, `fatal`, `panic`, syslog names, OpenTelemetry severity text) onto them.
public enum LogLevel: UInt8, Sendable, Comparable, CaseIterable, CustomStringConvertible {
  case trace, debug, info, notice, warning, error, critical

  public static func < (a: LogLevel, b: LogLevel) -> Bool { a.rawValue < b.rawValue }

  /// The canonical lower-case name, as SluiceLog writes it.
  public var name: String {
    switch self {
    case .trace: "trace"
    case .debug: "debug"
    case .info: "info"
    case .notice: "notice"
    case .warning: "warning"
    case .error: "error"
    case .critical: "critical"
    }
  }

  public var description: String { name }

  /// Whether this level counts as an error (error or critical).
  @inlinable public var isError: Bool { self >= .error }

  /// Parses a level name, case-insensitively, from its UTF-8 bytes.
  public static func parse(_ bytes: UnsafeRawBufferPointer) -> LogLevel? {
    // Longest accepted spelling is "information"/"emergency" (11 bytes). The name, lower-cased,
    // is packed into two integers and compared with the packed spellings: no calls, no loops
    // over bytes per spelling.
    guard bytes.count >= 1, bytes.count <= 11 else { return nil }
    var lo: UInt64 = 0
    var hi: UInt64 = 0
    for k in 0..<bytes.count {
      let c = bytes[k]
      let folded = UInt64((c >= 65 && c <= 90) ? c | 0x20 : c)
      if k < 8 { lo |= folded << (8 * UInt64(k)) } else { hi |= folded << (8 * UInt64(k - 8)) }
    }
    let n = UInt8(bytes.count)
    for s in packedSpellings where s.lo == lo && s.hi == hi && s.count == n { return s.level }
    return nil
  }

  /// Parses a level name, case-insensitively.
  public static func parse(_ text: String) -> LogLevel? {
    var text = text
    return text.withUTF8 { parse(UnsafeRawBufferPointer($0)) }
  }

  /// Maps an OpenTelemetry severity number (1–24) onto a level.
  /// The OpenTelemetry severity number of the level: the first of its range (trace 1,
  /// debug 5, info 9, notice 10, warning 13, error 17, critical 21).
  public var otelSeverityNumber: Int {
    switch self {
    case .trace: 1
    case .debug: 5
    case .info: 9
    case .notice: 10
    case .warning: 13
    case .error: 17
    case .critical: 21
    }
  }

  public static func fromOTelSeverity(_ number: Int) -> LogLevel? {
    switch number {
    case 1...4: .trace
    case 5...8: .debug
    case 9...10: .info
    case 11...12: .notice
    case 13...16: .warning
    case 17...20: .error
    case 21...24: .critical
    default: nil
    }
  }

  /// Maps a numeric level on the pino/bunyan scale (10 trace, 20 debug, 30 info, 40 warn,
  /// 50 error, 60 fatal) onto a level.
  public static func fromNumericLevel(_ number: Int) -> LogLevel? {
    switch number {
    case 10: .trace
    case 20: .debug
    case 30: .info
    case 40: .warning
    case 50: .error
    case 60: .critical
    default: nil
    }
  }

  /// ``spellings`` packed as ``parse(_:)`` packs a name.
  static let packedSpellings: [(lo: UInt64, hi: UInt64, count: UInt8, level: LogLevel)] = spellings.map { word, level in
    var lo: UInt64 = 0
    var hi: UInt64 = 0
    for (k, c) in word.enumerated() {
      if k < 8 { lo |= UInt64(c) << (8 * UInt64(k)) } else { hi |= UInt64(c) << (8 * UInt64(k - 8)) }
    }
    return (lo, hi, UInt8(word.count), level)
  }

  static let spellings: [([UInt8], LogLevel)] =
    ([
      ("info", .info), ("error", .error), ("debug", .debug), ("warn", .warning), ("warning", .warning),
      ("trace", .trace), ("notice", .notice), ("critical", .critical), ("fatal", .critical),
      ("err", .error), ("crit", .critical), ("panic", .critical), ("alert", .critical),
      ("emerg", .critical), ("emergency", .critical), ("information", .info), ("dbg", .debug),
      ("trc", .trace), ("inf", .info), ("wrn", .warning), ("eror", .error), ("severe", .error),
      ("fine", .debug), ("finer", .trace), ("finest", .trace), ("verbose", .trace),
    ] as [(String, LogLevel)]).map { (Array($0.0.utf8), $0.1) }
}
