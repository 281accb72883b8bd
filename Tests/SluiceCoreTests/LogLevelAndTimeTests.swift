import Testing

@testable import SluiceCore

// MARK: - LogLevel

@Suite("LogLevel")
struct LogLevelTests {
  @Test(
    "spellings are parsed case-insensitively",
    arguments: [
      ("WARN", LogLevel.warning), ("Warning", .warning), ("wrn", .warning), ("err", .error), ("ERROR", .error),
      ("eRrOr", .error), ("eror", .error), ("severe", .error), ("FATAL", .critical), ("panic", .critical),
      ("Crit", .critical), ("alert", .critical), ("emerg", .critical), ("EMERGENCY", .critical),
      ("critical", .critical), ("information", .info), ("INFO", .info), ("inf", .info), ("notice", .notice),
      ("Debug", .debug), ("dbg", .debug), ("fine", .debug), ("trace", .trace), ("TRC", .trace), ("finer", .trace),
      ("finest", .trace), ("verbose", .trace),
    ])
  func spelling(_ text: String, _ expected: LogLevel) {
    #expect(LogLevel.parse(text) == expected)
    let bytes = Array(text.utf8)
    #expect(bytes.withUnsafeBytes { LogLevel.parse($0) } == expected)
  }

  @Test(
    "unknown spellings give nil",
    arguments: [
      "", "bogus", "warnings", "informational", "information1", " info", "info ", "in fo", "inf0", "w", "errr",
      "\u{130}nfo", "\u{C9}RROR", "info\u{0}", "5", "level",
    ])
  func unknown(_ text: String) {
    #expect(LogLevel.parse(text) == nil)
  }

  @Test("the packed switch in parse agrees with the spellings table, and nothing else matches")
  func switchMatchesSpellingsTable() {
    for (word, level) in LogLevel.spellings {
      let text = String(decoding: word, as: UTF8.self)
      #expect(LogLevel.parse(text) == level, "\(text)")
      #expect(LogLevel.parse(text.uppercased()) == level, "\(text)")
      // One byte more, one byte less, a NUL pad and a changed last byte all miss (unless
      // the result is itself a spelling, as "fine" + "r" is).
      let known = Set(LogLevel.spellings.map { String(decoding: $0.0, as: UTF8.self) })
      for variant in [text + "x", String(text.dropLast()), text + "\u{0}", String(text.dropLast()) + "#"]
      where !known.contains(variant) {
        #expect(LogLevel.parse(variant) == nil, "\(variant)")
      }
    }
  }

  @Test func canonicalNamesRoundTrip() {
    for level in LogLevel.allCases {
      #expect(LogLevel.parse(level.name) == level)
      #expect(LogLevel.parse(level.name.uppercased()) == level)
      #expect(level.description == level.name)
    }
    #expect(LogLevel.allCases.map(\.name) == ["trace", "debug", "info", "notice", "warning", "error", "critical"])
  }

  @Test func ordering() {
    #expect(LogLevel.allCases == LogLevel.allCases.sorted())
    #expect(LogLevel.trace < .debug)
    #expect(LogLevel.warning < .error)
    #expect(LogLevel.error < .critical)
    #expect(!(LogLevel.error < .error))
    #expect(LogLevel.allCases.filter(\.isError) == [.error, .critical])
  }

  @Test(
    "OpenTelemetry severity numbers",
    arguments: [
      (-1, LogLevel?.none), (0, nil), (1, .trace), (4, .trace), (5, .debug), (8, .debug), (9, .info), (10, .info),
      (11, .notice), (12, .notice), (13, .warning), (16, .warning), (17, .error), (20, .error), (21, .critical),
      (24, .critical), (25, nil), (100, nil), (Int.max, nil), (Int.min, nil),
    ])
  func otelSeverity(_ number: Int, _ expected: LogLevel?) {
    #expect(LogLevel.fromOTelSeverity(number) == expected)
  }
}

// MARK: - RFC 3339

@Suite("RFC3339")
struct RFC3339Tests {
  static let second: Int64 = 1_000_000_000

  static let instants: [(Int64, String)] = [
    (0, "1970-01-01T00:00:00.000000Z"),
    (999, "1970-01-01T00:00:00.000000Z"),  // below a microsecond: truncated
    (1_000, "1970-01-01T00:00:00.000001Z"),
    (1_700_000_000_123_456_789, "2023-11-14T22:13:20.123456Z"),
    (86_399 * second + 999_999_999, "1970-01-01T23:59:59.999999Z"),
    (951_782_400 * second, "2000-02-29T00:00:00.000000Z"),  // divisible by 400: a leap year
    (1_709_164_800 * second, "2024-02-29T00:00:00.000000Z"),
    (1_709_210_096 * second + 500_000_000, "2024-02-29T12:34:56.500000Z"),
    (1_709_251_199 * second + 999_999_000, "2024-02-29T23:59:59.999999Z"),
    (1_709_251_200 * second, "2024-03-01T00:00:00.000000Z"),
    (1_735_689_599 * second, "2024-12-31T23:59:59.000000Z"),  // day 366 of a leap year
    (4_107_542_399 * second, "2100-02-28T23:59:59.000000Z"),  // 2100 is not a leap year
    (4_107_542_400 * second, "2100-03-01T00:00:00.000000Z"),
    (4_102_444_800 * second, "2100-01-01T00:00:00.000000Z"),
    (4_102_444_799 * second, "2099-12-31T23:59:59.000000Z"),
    (-1, "1969-12-31T23:59:59.999999Z"),  // before the epoch: floor, not truncation
    (-1_000, "1969-12-31T23:59:59.999999Z"),
    (-1_001, "1969-12-31T23:59:59.999998Z"),
    (-second, "1969-12-31T23:59:59.000000Z"),
    (-14_182_940 * second, "1969-07-20T20:17:40.000000Z"),
    (-31_536_000 * second, "1969-01-01T00:00:00.000000Z"),
    (-2_208_988_800 * second, "1900-01-01T00:00:00.000000Z"),  // 1900 is not a leap year
    (-2_203_977_600 * second, "1900-02-28T00:00:00.000000Z"),
    (-2_203_891_200 * second, "1900-03-01T00:00:00.000000Z"),
    (Int64.max, "2262-04-11T23:47:16.854775Z"),
    (Int64.min, "1677-09-21T00:12:43.145224Z"),
  ]

  @Test("formatting instants", arguments: instants)
  func format(_ nanoseconds: Int64, _ expected: String) {
    #expect(RFC3339.string(nanoseconds: nanoseconds) == expected)
  }

  /// The per-thread cache writes what the plain formatter writes, for instants in and across
  /// seconds, before and after the epoch.
  @Test func cacheMatchesThePlainFormatter() {
    var rng = SplitMix64(seed: 0x3339)
    var cache = RFC3339Cache()
    var instant: Int64 = 1_795_000_000 * 1_000_000_000
    for k in 0..<20000 {
      switch rng.below(4) {
      case 0: instant = Int64(bitPattern: rng.next()) / 2  // anywhere
      case 1: instant += Int64(rng.below(2_000_000))  // same or next second
      case 2: instant = -instant
      default:  // the next second boundary
        instant += 1_000_000_000 - (instant - instant.dividedWithFloor(by: 1_000_000_000) * 1_000_000_000)
      }
      var out: [UInt8] = []
      cache.append(instant, to: &out)
      let cached = String(decoding: out, as: UTF8.self)
      #expect(cached == RFC3339.string(nanoseconds: instant), "instant \(instant) (step \(k))")
      if cached != RFC3339.string(nanoseconds: instant) { break }
    }
  }

  @Test func appendsToExistingBytes() {
    var out = Array("ts=".utf8)
    RFC3339.appendMicroseconds(0, to: &out)
    out.append(UInt8(ascii: " "))
    RFC3339.appendMicroseconds(1_000_000, to: &out)
    #expect(String(decoding: out, as: UTF8.self) == "ts=1970-01-01T00:00:00.000000Z 1970-01-01T00:00:00.001000Z")
  }

  /// Walks every day in the range of `Int64` nanoseconds with a naive calendar and checks the
  /// civil-date conversion against it.
  @Test func civilDatesMatchANaiveCalendar() {
    func isLeap(_ y: Int64) -> Bool { y % 4 == 0 && (y % 100 != 0 || y % 400 == 0) }
    func daysIn(_ m: Int64, _ y: Int64) -> Int64 {
      switch m {
      case 2: isLeap(y) ? 29 : 28
      case 4, 6, 9, 11: 30
      default: 31
      }
    }
    // Start on 1677-01-01, which is this many days before the epoch.
    var days: Int64 = 0
    for y in 1677..<1970 { days -= isLeap(Int64(y)) ? 366 : 365 }
    var (y, m, d): (Int64, Int64, Int64) = (1677, 1, 1)
    var mismatches = 0
    var walked = 0
    while y < 2263 {
      if RFC3339.civil(fromDays: days) != (y, m, d) {
        mismatches += 1
        if mismatches <= 5 { Issue.record("day \(days): got \(RFC3339.civil(fromDays: days)), want \((y, m, d))") }
      }
      days += 1
      walked += 1
      d += 1
      if d > daysIn(m, y) {
        d = 1
        m += 1
        if m > 12 {
          m = 1
          y += 1
        }
      }
    }
    #expect(mismatches == 0)
    #expect(walked == 214_031)  // 1677-01-01 through 2262-12-31
  }

  @Test func randomInstantsHaveTheRightShape() throws {
    var rng = SplitMix64(seed: 3339)
    var previous = ""
    var t = Int64.min
    for _ in 0..<2000 {
      let s = RFC3339.string(nanoseconds: t)
      let bytes = Array(s.utf8)
      try #require(bytes.count == 27, "\(t): \(s)")
      for (k, c) in bytes.enumerated() {
        switch k {
        case 4, 7: #expect(c == UInt8(ascii: "-"))
        case 10: #expect(c == UInt8(ascii: "T"))
        case 13, 16: #expect(c == UInt8(ascii: ":"))
        case 19: #expect(c == UInt8(ascii: "."))
        case 26: #expect(c == UInt8(ascii: "Z"))
        default: #expect(c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9"), "\(s)")
        }
      }
      // Fixed-width fields make the text sort like the instants.
      #expect(previous < s, "\(previous) then \(s)")
      previous = s
      let step = Int64(truncatingIfNeeded: rng.next() >> 9) + 1_000
      let (next, overflow) = t.addingReportingOverflow(step)
      if overflow { break }
      t = next
    }
  }

  @Test func nowIsPlausible() {
    let before = RFC3339.nowNanoseconds()
    let after = RFC3339.nowNanoseconds()
    #expect(before > 1_577_836_800 * Self.second)  // after 2020-01-01
    #expect(after >= before)
    #expect(RFC3339.string(nanoseconds: before).hasPrefix("20"))
  }
}
