#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Detects IPv4 addresses in dotted-quad form: `192.0.2.146`.
///
/// Each of the four octets is `0`–`255` written without leading zeros (`0` itself is fine).
/// Only the address is matched: a `/prefix` (`10.0.0.0/8`) or `:port` (`10.0.0.1:8080`) after
/// it stays outside the match, as do the brackets, quotes or URL around it. Every address is
/// matched, private and loopback ones included; a `.` after it ends it unless a digit follows
/// (`10.0.0.1.` and `10.0.0.1.nip.io` contain an address).
///
/// Deliberately not matched:
/// - dotted runs with more or fewer parts — `1.2.3`, `1.2.3.4.5`, SNMP OIDs `1.3.6.1.4.1.2021`,
///   and any quad inside them: the address must not follow a letter, digit, `_` or `.`
///   (`v1.2.3.4`, `x1.2.3.4`), nor be followed by a word byte or `.digit`;
/// - zero-padded octets (`010.001.002.003`) and octets above 255;
/// - four-part versions after a product token — a word starting with an uppercase letter, then
///   `/` (`Chrome/120.0.0.0`, `Edg/120.0.0.0` in user agents) — or after a version keyword:
///   the word before, up to three bytes of ` =:"'-` away, ends in `version`, `build`,
///   `release` or `firmware`, or is `oid`, any case (`version 1.2.3.4`, `appVersion=1.0.0.1`,
///   `"build":"4.2.1.0"`, `release-1.2.3.4`, `oid=2.5.4.3`). Other four-part versions that
///   are valid addresses (`rpm 1.2.3.4-1.el9`) are matched: they cannot be told apart;
/// - hyphenated host names like `ip-10-0-0-1`.
public struct IPv4Detector: Detector {
  public let name = "ipv4"
  public var requires: ByteClasses { [.digit, .dot] }
  public var minimumLength: Int { 7 }  // 0.0.0.0
  public var minimumDigits: Int { 4 }

  public init() {}

  /// `partial` keeps the first two octets, the rest written `x`: `[REDACTED:ipv4:10.1.x.x]`.
  /// Two octets and two letters can never form an address again.
  public func appendKept(from match: UnsafeRawBufferPointer, to out: inout [UInt8]) {
    var dots = 0
    for b in match {
      if b == UInt8(ascii: ".") {
        dots += 1
        if dots == 2 { break }
      } else if !DetectorBytes.isDigit(b) {
        return
      }
      out.append(b)
    }
    guard dots == 2 else { return }
    out.append(contentsOf: [UInt8(ascii: "."), UInt8(ascii: "x"), UInt8(ascii: "."), UInt8(ascii: "x")])
  }

  public func detect(in text: UnsafeRawBufferPointer, rule: Int, into matches: inout [DetectorMatch]) {
    guard let base = text.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
    let n = text.count
    var i = 0
    var lower = 0  // end of the previous match
    while i < n, let hit = memchr(base + i, 0x2E, n - i) {
      let dot = UnsafeRawPointer(hit) - UnsafeRawPointer(base)
      // The first octet ends at this dot: back up over at most three digits.
      var s = dot
      while s > lower && dot - s < 3 && DetectorBytes.isDigit(base[s - 1]) { s -= 1 }
      if s < dot, let end = Self.match(base, n, s) {
        matches.append(DetectorMatch(range: s..<end, rule: rule))
        lower = end
        i = end
      } else {
        i = dot + 1
      }
    }
  }

  /// The end of the address starting at `s` (a digit), or nil.
  @inline(__always)
  static func match(_ p: UnsafePointer<UInt8>, _ n: Int, _ s: Int) -> Int? {
    if s > 0 {
      let b = p[s - 1]
      if DetectorBytes.isWordByte(b) || b == UInt8(ascii: ".") { return nil }
    }
    guard let end = quad(p, n, s) else { return nil }
    if s > 0 && followsVersionWord(p, s) { return nil }
    return end
  }

  /// The end of a dotted quad starting at `k`, not followed by a word byte or `.digit`, or nil.
  /// The IPv6 detector uses it for embedded IPv4 tails (`::ffff:192.0.2.1`).
  @inline(__always)
  static func quad(_ p: UnsafePointer<UInt8>, _ n: Int, _ k: Int) -> Int? {
    var e = k
    for part in 0..<4 {
      if part > 0 {
        guard e < n && p[e] == UInt8(ascii: ".") else { return nil }
        e += 1
      }
      guard let next = octet(p, n, e) else { return nil }
      e = next
    }
    if e < n {
      let c = p[e]
      if DetectorBytes.isWordByte(c) { return nil }
      if c == UInt8(ascii: ".") && e + 1 < n && DetectorBytes.isDigit(p[e + 1]) { return nil }
    }
    return e
  }

  /// The end of an octet (`0`–`255`, no leading zero) starting at `k`, or nil.
  @inline(__always)
  static func octet(_ p: UnsafePointer<UInt8>, _ n: Int, _ k: Int) -> Int? {
    guard k < n, DetectorBytes.isDigit(p[k]) else { return nil }
    var value = Int(p[k] &- UInt8(ascii: "0"))
    var e = k + 1
    while e < n && DetectorBytes.isDigit(p[e]) {
      if e - k == 3 || value == 0 { return nil }  // four digits, or a leading zero
      value = value * 10 + Int(p[e] &- UInt8(ascii: "0"))
      e += 1
    }
    return value <= 255 ? e : nil
  }

  /// Words that make a following quad a version; `oid` only as a whole word.
  static let versionWords: [[UInt8]] = ["version", "build", "release", "firmware", "oid"].map { Array($0.utf8) }

  /// Whether the quad at `s` (> 0) is a product version (`Chrome/120.0.0.0`) or follows a
  /// version keyword (`version 1.2.3.4`).
  static func followsVersionWord(_ p: UnsafePointer<UInt8>, _ s: Int) -> Bool {
    var j = s - 1
    if p[j] == UInt8(ascii: "/") {
      // Product token: `Name/1.2.3.4`, the name starting with an uppercase letter.
      var t = j
      while t > 0 && (DetectorBytes.isWordByte(p[t - 1]) || p[t - 1] == UInt8(ascii: "-")) && j - t < 32 { t -= 1 }
      return t < j && (p[t] &- UInt8(ascii: "A")) < 26
    }
    var skipped = 0
    while j >= 0 && skipped < 3 {
      let c = p[j]
      guard
        c == UInt8(ascii: " ") || c == UInt8(ascii: "=") || c == UInt8(ascii: ":") || c == UInt8(ascii: "\"")
          || c == UInt8(ascii: "'") || c == UInt8(ascii: "-")
      else { break }
      j -= 1
      skipped += 1
    }
    guard skipped > 0, j >= 0, DetectorBytes.isLetter(p[j]) else { return false }
    // p[j] is the last letter of the word before.
    for word in versionWords {
      let m = word.count
      guard j + 1 >= m else { continue }
      var equal = true
      for q in 0..<m where (p[j + 1 - m + q] | 0x20) != word[q] {
        equal = false
        break
      }
      if equal && (m > 3 || j + 1 == m || !DetectorBytes.isLetter(p[j - m])) { return true }
    }
    return false
  }
}
