/// Detects US Social Security numbers.
///
/// Matched: `AAA-GG-SSSS` anywhere; `AAA GG SSSS` (single spaces) and a bare 9-digit run
/// `AAAGGSSSS` only when a keyword — `ssn` or `social security` (also `social_security`,
/// `socialSecurity`…), any case — ends at most 16 bytes before it with no digit in between:
/// `ssn=123456789`, `"ssn":"123456789"`, `SSN: 123 45 6789`, `social security number: 123456789`
/// (without one, space-separated numbers such as `backoff 100 20 3000` would match). The
/// number must be one the SSA can issue: area not `000`, `666` or `900`–`999`; group not
/// `00`; serial not `0000`; and not one of the well-known invalid numbers `078-05-1120` (the
/// Woolworth wallet card) and `219-09-9999`.
///
/// Deliberately not matched: bare 9-digit runs without a keyword (order ids, epoch-ish
/// counters, byte counts); numbers that are part of a longer number or identifier
/// (`1-800-555-0199`, `build-123-45-6789`, `+123-45-6789`, `123-45-6789-01`, `12.123-45-6789`);
/// the spaced form inside a run of space-separated numbers (`1 123 45 6789`,
/// `123 45 6789 0`); dates and phone numbers, whose grouping differs.
public struct SSNDetector: Detector {
  public let name = "ssn"
  public var requires: ByteClasses { [.digit] }
  public var minimumLength: Int { 9 }
  public var minimumDigits: Int { 9 }
  /// A run after a word byte is skipped as part of an identifier; the other groups follow
  /// separators.
  public var minimumStandaloneDigits: Int { 9 }
  /// The dashed form needs a `-`; the others a keyword, which is letters. A bare number (a
  /// JSON number value, an id) can hold neither, so it is not looked at.
  public var requiresAny: ByteClasses { [.dash, .lower, .upper] }

  public init() {}

  /// `partial` keeps the last four digits (the serial): `[REDACTED:ssn:6789]`.
  public func appendKept(from match: UnsafeRawBufferPointer, to out: inout [UInt8]) {
    DetectorBytes.appendLastDigits(4, of: match, to: &out)
  }

  public func detect(in text: UnsafeRawBufferPointer, rule: Int, into matches: inout [DetectorMatch]) {
    guard let p = text.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
    let n = text.count
    if n < 9 { return }
    NumberScan.kinds.withUnsafeBufferPointer { kinds in
      var i = 0
      while true {
        // Jump to the next run of three digits (16 positions per step): both forms start with one.
        i = NumberScan.nextDigitRun(p, n, from: i, 3)
        if n - i < 9 { break }
        var e = i + 3
        while e < n && DetectorBytes.isDigit(p[e]) { e += 1 }
        if (i > 0 && kinds[Int(p[i - 1])] == 2) || (e < n && kinds[Int(p[e])] == 2) {
          // Part of an identifier (`id_536-22-8841`, `536228841ns`).
          i = e
          continue
        }
        var end: Int?
        if e - i == 3 {
          end = Self.separated(p, n, i, e, kinds)
        } else if e - i == 9 {
          end = Self.keyed(p, n, i, e)
        }
        if let end {
          matches.append(DetectorMatch(range: i..<end, rule: rule))
          i = end
        } else {
          i = e
        }
      }
    }
  }

  @inline(__always)
  static func digit(_ p: UnsafePointer<UInt8>, _ k: Int) -> Int { Int(p[k] &- 48) }

  /// `AAA-GG-SSSS` or `AAA GG SSSS` after the 3-digit run `s..<e`.
  @inline(__always)
  static func separated(
    _ p: UnsafePointer<UInt8>, _ n: Int, _ s: Int, _ e: Int, _ kinds: UnsafeBufferPointer<UInt8>
  ) -> Int? {
    let end = e + 8
    guard end <= n else { return nil }
    let sep = p[e]
    guard sep == UInt8(ascii: "-") || sep == UInt8(ascii: " "), p[e + 3] == sep else { return nil }
    guard
      DetectorBytes.isDigit(p[e + 1]) && DetectorBytes.isDigit(p[e + 2]) && DetectorBytes.isDigit(p[e + 4])
        && DetectorBytes.isDigit(p[e + 5]) && DetectorBytes.isDigit(p[e + 6]) && DetectorBytes.isDigit(p[e + 7])
    else { return nil }
    if end < n && kinds[Int(p[end])] != 0 { return nil }
    let spaced = sep == UInt8(ascii: " ")
    guard leftBoundary(p, s, spaced: spaced), rightBoundary(p, n, end, spaced: spaced) else { return nil }
    let area = digit(p, s) * 100 + digit(p, s + 1) * 10 + digit(p, s + 2)
    let group = digit(p, e + 1) * 10 + digit(p, e + 2)
    let serial = digit(p, e + 4) * 1000 + digit(p, e + 5) * 100 + digit(p, e + 6) * 10 + digit(p, e + 7)
    guard issuable(area, group, serial), !spaced || keywordBefore(p, s) else { return nil }
    return end
  }

  /// A bare 9-digit run `s..<e` preceded by a keyword.
  @inline(__always)
  static func keyed(_ p: UnsafePointer<UInt8>, _ n: Int, _ s: Int, _ e: Int) -> Int? {
    guard leftBoundary(p, s, spaced: false), rightBoundary(p, n, e, spaced: false) else { return nil }
    let area = digit(p, s) * 100 + digit(p, s + 1) * 10 + digit(p, s + 2)
    let group = digit(p, s + 3) * 10 + digit(p, s + 4)
    let serial = digit(p, s + 5) * 1000 + digit(p, s + 6) * 100 + digit(p, s + 7) * 10 + digit(p, s + 8)
    guard issuable(area, group, serial), keywordBefore(p, s) else { return nil }
    return e
  }

  @inline(__always)
  static func issuable(_ area: Int, _ group: Int, _ serial: Int) -> Bool {
    if area == 0 || area == 666 || area >= 900 || group == 0 || serial == 0 { return false }
    if area == 78 && group == 5 && serial == 1120 { return false }
    if area == 219 && group == 9 && serial == 9999 { return false }
    return true
  }

  /// Not continuing a number or identifier to the left.
  @inline(__always)
  static func leftBoundary(_ p: UnsafePointer<UInt8>, _ s: Int, spaced: Bool) -> Bool {
    if s == 0 { return true }
    let c = p[s - 1]
    if c == UInt8(ascii: "+") { return false }
    if s < 2 { return true }
    let b = p[s - 2]
    switch c {
    case UInt8(ascii: "-"): return !DetectorBytes.isAlphanumeric(b)
    case UInt8(ascii: "."), UInt8(ascii: "/"), UInt8(ascii: ":"): return !DetectorBytes.isDigit(b)
    case UInt8(ascii: " "): return !(spaced && DetectorBytes.isDigit(b))
    default: return true
    }
  }

  /// Not continuing a number or identifier to the right.
  @inline(__always)
  static func rightBoundary(_ p: UnsafePointer<UInt8>, _ n: Int, _ e: Int, spaced: Bool) -> Bool {
    if e + 1 >= n { return true }
    let c = p[e]
    let b = p[e + 1]
    switch c {
    case UInt8(ascii: "-"): return !DetectorBytes.isAlphanumeric(b)
    case UInt8(ascii: "."), UInt8(ascii: "/"), UInt8(ascii: ":"): return !DetectorBytes.isDigit(b)
    case UInt8(ascii: " "): return !(spaced && DetectorBytes.isDigit(b))
    default: return true
    }
  }

  /// Whether `ssn` or `social security` ends at most 16 bytes before `s`, with no digit
  /// between it and `s`.
  @inline(__always)
  static func keywordBefore(_ p: UnsafePointer<UInt8>, _ s: Int) -> Bool {
    var e = s
    while true {
      if keywordEnds(p, e) { return true }
      if e == 0 || s - e >= 16 { return false }
      e -= 1
      if DetectorBytes.isDigit(p[e]) { return false }
    }
  }

  /// Whether `ssn` or `social[ _-]?security` (any case) ends at `e`, starting at a word start
  /// or a camel-case hump, and not as the rule name in an earlier pass's marker.
  @inline(__always)
  static func keywordEnds(_ p: UnsafePointer<UInt8>, _ e: Int) -> Bool {
    guard e >= 3 else { return false }
    let last = p[e - 1] | 0x20
    if last == UInt8(ascii: "n") {
      return lower(p, e - 3, "ssn") && startsWord(p, e - 3) && !DetectorBytes.isMarkerRuleName(p, e - 3)
    }
    if last == UInt8(ascii: "y") {
      guard e >= 14, lower(p, e - 8, "security") else { return false }
      var s = e - 8
      let c = p[s - 1]
      if c == UInt8(ascii: " ") || c == UInt8(ascii: "_") || c == UInt8(ascii: "-") { s -= 1 }
      guard s >= 6, lower(p, s - 6, "social") else { return false }
      return startsWord(p, s - 6) && !DetectorBytes.isMarkerRuleName(p, s - 6)
    }
    return false
  }

  /// Whether the lowercased bytes at `at` spell `word` (ASCII letters only).
  @inline(__always)
  static func lower(_ p: UnsafePointer<UInt8>, _ at: Int, _ word: StaticString) -> Bool {
    let w = word.utf8Start
    for k in 0..<word.utf8CodeUnitCount where p[at + k] | 0x20 != w[k] { return false }
    return true
  }

  /// A keyword at `k` starts a word: nothing alphabetic before it, or a camel-case hump
  /// (`userSsn`, `customerSocialSecurity`).
  @inline(__always)
  static func startsWord(_ p: UnsafePointer<UInt8>, _ k: Int) -> Bool {
    if k == 0 { return true }
    let b = p[k - 1]
    if !DetectorBytes.isLetter(b) { return true }
    return p[k] &- UInt8(ascii: "A") < 26 && b &- UInt8(ascii: "a") < 26
  }
}
