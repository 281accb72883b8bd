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
    // is packed little-endian into two integers and matched by a `switch` on the packed forms
    // of ``spellings`` (a test keeps the two equal): no table, no loop over spellings.
    let n = bytes.count
    guard n >= 1, n <= 11, let p = bytes.baseAddress else { return nil }
    var lo: UInt64
    var hi: UInt64 = 0
    // Overlapping loads: the bytes both loads cover are the same, so OR-ing them is exact.
    if n >= 8 {
      lo = p.loadUnaligned(as: UInt64.self)
      for k in 8..<n { hi |= UInt64(p.load(fromByteOffset: k, as: UInt8.self)) << (8 &* UInt64(k &- 8)) }
    } else if n >= 4 {
      lo =
        UInt64(p.loadUnaligned(as: UInt32.self))
        | UInt64(p.loadUnaligned(fromByteOffset: n &- 4, as: UInt32.self)) << (8 &* UInt64(n &- 4))
    } else {
      lo = UInt64(p.load(as: UInt8.self))
      for k in 1..<n { lo |= UInt64(p.load(fromByteOffset: k, as: UInt8.self)) << (8 &* UInt64(k)) }
    }
    // Lower-case by setting bit 5 of every byte: every spelling is lower-case letters only,
    // and the only bytes that bit 5 turns into a lower-case letter are its upper-case form.
    // (A NUL becomes a space, which no spelling contains.) Past 8 bytes `hi` is never 0.
    lo |= 0x2020_2020_2020_2020 & (n >= 8 ? ~0 : ~(~0 << (8 &* UInt64(n))))
    if n > 8 { hi |= 0x0020_2020 & ~(~0 << (8 &* UInt64(n &- 8))) }
    if n <= 8 {
      switch lo {
      case 0x63_7274: return .trace  // trc
      case 0x66_6e69: return .info  // inf
      case 0x67_6264: return .debug  // dbg
      case 0x6e_7277: return .warning  // wrn
      case 0x72_7265: return .error  // err
      case 0x656e_6966: return .debug  // fine
      case 0x6e72_6177: return .warning  // warn
      case 0x6f66_6e69: return .info  // info
      case 0x726f_7265: return .error  // eror
      case 0x7469_7263: return .critical  // crit
      case 0x63_696e_6170: return .critical  // panic
      case 0x65_6361_7274: return .trace  // trace
      case 0x67_7265_6d65: return .critical  // emerg
      case 0x67_7562_6564: return .debug  // debug
      case 0x6c_6174_6166: return .critical  // fatal
      case 0x72_656e_6966: return .trace  // finer
      case 0x72_6f72_7265: return .error  // error
      case 0x74_7265_6c61: return .critical  // alert
      case 0x6563_6974_6f6e: return .notice  // notice
      case 0x6572_6576_6573: return .error  // severe
      case 0x7473_656e_6966: return .trace  // finest
      case 0x65_736f_6272_6576: return .trace  // verbose
      case 0x67_6e69_6e72_6177: return .warning  // warning
      case 0x6c61_6369_7469_7263: return .critical  // critical
      default: return nil
      }
    }
    switch (lo, hi) {
    case (0x636e_6567_7265_6d65, 0x79): return .critical  // emergency
    case (0x7461_6d72_6f66_6e69, 0x6e_6f69): return .info  // information
    default: return nil
    }
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

  /// Every spelling ``parse(_:)`` accepts, and the level it means (the `switch` in
  /// ``parse(_:)`` is written out from this list; a test checks that they agree).
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
