#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Detects AWS access key ids and secret access keys.
///
/// Key ids: one of the prefixes `AKIA ASIA ABIA ACCA AGPA AIDA AIPA ANPA ANVA AROA APKA ASCA`
/// and 16 characters of the base32 alphabet (`A–Z 2–7`) — 17 for the 21-character unique
/// ids of IAM users and roles (`AIDA…`, `AROA…`) — as a whole word (which may follow a `%XX`
/// URL escape).
///
/// Secret access keys: exactly 40 characters of `A–Z a–z 0–9 / +`, with both cases, not
/// inside a longer run of those characters (or `_`), starting within 48 bytes after one of
/// `aws_secret`, `secret_access_key`, `SecretAccessKey` (any case, with `_`, `-`, `.` or
/// nothing between the words). A bare 40-character base64 string is not matched: without
/// the context it cannot be told from other data, and git SHAs (40 hex digits) and other
/// hashes must never match.
///
/// Not matched: ARNs and 12-digit account ids, request ids, `AKIA` inside identifiers, ids
/// with lower-case letters or `0 1 8 9`, placeholders (`AKIAXXXXXXXXXXXXXXXX`), the key id's
/// own prefix alone.
public struct AWSKeyDetector: Detector {
  public let name = "aws_key"
  public var requires: ByteClasses { [.upper] }
  public var minimumLength: Int { 20 }

  public init() {}

  /// `partial` keeps a key id's four-letter prefix (`[REDACTED:aws_key:AKIA]`, which tells a
  /// long-term key from a temporary `ASIA` one); nothing of a secret.
  public func appendKept(from match: UnsafeRawBufferPointer, to out: inout [UInt8]) {
    guard match.count == 20 || match.count == 21, let p = match.baseAddress?.assumingMemoryBound(to: UInt8.self),
      Self.isKeyIdPrefix(p)
    else { return }
    out.append(contentsOf: match[0..<4])
  }

  static let secretLength = 40
  static let contextWindow = 48

  /// `A–Z 2–7`.
  static let base32: [Bool] = SecretScan.table("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
  /// `A–Z a–z 0–9 / +`.
  static let secretChars: [Bool] = SecretScan.table(SecretScan.alphanumerics + "/+")

  /// The 12 prefixes as little-endian `UInt32`s.
  static let prefixes: [UInt32] = [
    "AKIA", "ASIA", "ABIA", "ACCA", "AGPA", "AIDA", "AIPA", "ANPA", "ANVA", "AROA", "APKA", "ASCA",
  ]
  .map { s in s.utf8.reversed().reduce(0) { $0 << 8 | UInt32($1) } }

  @inline(__always)
  static func isKeyIdPrefix(_ p: UnsafePointer<UInt8>) -> Bool {
    let v = UnsafeRawPointer(p).loadUnaligned(as: UInt32.self)
    return prefixes.withUnsafeBufferPointer { t in
      for x in t where x == v { return true }
      return false
    }
  }

  public func detect(in text: UnsafeRawBufferPointer, rule: Int, into matches: inout [DetectorMatch]) {
    guard let base = text.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
    let n = text.count
    guard n >= minimumLength else { return }
    let first = matches.count
    Self.base32.withUnsafeBufferPointer { b32 in keyIds(base, n, rule, b32, &matches) }
    let afterIds = matches.count
    Self.secretChars.withUnsafeBufferPointer { sc in secrets(base, n, rule, sc, &matches) }
    if afterIds > first && matches.count > afterIds { Self.order(&matches, from: first) }
  }

  /// Key ids, anchored on `A` with memchr.
  @inline(__always)
  func keyIds(
    _ p: UnsafePointer<UInt8>, _ n: Int, _ rule: Int, _ b32: UnsafeBufferPointer<Bool>, _ matches: inout [DetectorMatch]
  ) {
    var i = 0
    while i + 20 <= n, let hit = memchr(p + i, 0x41, n - 19 - i) {
      let a = UnsafeRawPointer(hit) - UnsafeRawPointer(p)
      i = a + 1
      guard SecretScan.startsWord(p, a), Self.isKeyIdPrefix(p + a) else { continue }
      var e = a + 4
      while e < n && e < a + 21 && b32[Int(p[e])] { e += 1 }
      guard e - a >= 20, e == n || !DetectorBytes.isWordByte(p[e]), !Self.isFiller(p, a + 4, e) else { continue }
      matches.append(DetectorMatch(range: a..<e, rule: rule))
      i = e
    }
  }

  /// Secret keys after their context words, anchored on a case-insensitive `ecr`.
  @inline(__always)
  func secrets(
    _ p: UnsafePointer<UInt8>, _ n: Int, _ rule: Int, _ sc: UnsafeBufferPointer<Bool>, _ matches: inout [DetectorMatch]
  ) {
    var i = 1
    while i < n {
      let hit = SecretScan.firstFolded(
        UInt8(ascii: "e"), UInt8(ascii: "c"), UInt8(ascii: "r"), in: p, n, from: i)
      if hit >= n { return }
      i = hit + 1
      // `secret` at s..<s+6, then `aws` before it or `access key` after it.
      let s = hit - 1
      guard SecretScan.fold(p[s]) == UInt8(ascii: "s"), SecretScan.hasFolded("et", at: hit + 3, in: p, n) else {
        continue
      }
      var contextEnd = s + 6
      var context = false
      var b = s
      if b > 0 && Self.isSeparator(p[b - 1]) { b -= 1 }
      if SecretScan.hasFolded("aws", at: b - 3, in: p, n) { context = true }
      var k = contextEnd
      if k < n && Self.isSeparator(p[k]) { k += 1 }
      if SecretScan.hasFolded("access", at: k, in: p, n) {
        k += 6
        if k < n && Self.isSeparator(p[k]) { k += 1 }
        if SecretScan.hasFolded("key", at: k, in: p, n) {
          context = true
          contextEnd = k + 3
        }
      }
      guard context else { continue }
      if let r = Self.secretAfter(p, n, contextEnd, sc) {
        matches.append(DetectorMatch(range: r, rule: rule))
        i = r.upperBound
      }
    }
  }

  /// A placeholder such as `AKIAXXXXXXXXXXXXXXXX`: one character repeated.
  @inline(__always)
  static func isFiller(_ p: UnsafePointer<UInt8>, _ from: Int, _ to: Int) -> Bool {
    for k in (from + 1)..<to where p[k] != p[from] { return false }
    return true
  }

  @inline(__always)
  static func isSeparator(_ c: UInt8) -> Bool {
    c == UInt8(ascii: "_") || c == UInt8(ascii: "-") || c == UInt8(ascii: ".") || c == UInt8(ascii: " ")
  }

  /// The first run of exactly 40 secret characters, mixed case, starting within the window
  /// after `from`.
  @inline(__always)
  static func secretAfter(
    _ p: UnsafePointer<UInt8>, _ n: Int, _ from: Int, _ sc: UnsafeBufferPointer<Bool>
  )
    -> Range<Int>?
  {
    var r = from
    let limit = min(n, from + contextWindow)
    while r < limit {
      if !sc[Int(p[r])] {
        r += 1
        continue
      }
      let start = r
      var uppers = 0
      var lowers = 0
      while r < n && sc[Int(p[r])] {
        let c = p[r]
        if c &- UInt8(ascii: "A") < 26 { uppers += 1 } else if c &- UInt8(ascii: "a") < 26 { lowers += 1 }
        r += 1
      }
      let boundedBefore = start == 0 || p[start - 1] != UInt8(ascii: "_")
      let boundedAfter = r == n || p[r] != UInt8(ascii: "_")
      if r - start == secretLength && boundedBefore && boundedAfter && uppers > 0 && lowers > 0 {
        return start..<r
      }
    }
    return nil
  }

  /// Sorts the matches appended since `first` (two ascending runs) and merges any that overlap.
  static func order(_ matches: inout [DetectorMatch], from first: Int) {
    // Insertion sort: a text has very few keys.
    var k = first + 1
    while k < matches.count {
      let m = matches[k]
      var j = k
      while j > first && matches[j - 1].range.lowerBound > m.range.lowerBound {
        matches[j] = matches[j - 1]
        j -= 1
      }
      matches[j] = m
      k += 1
    }
    var kept = first
    for k in first..<matches.count {
      let m = matches[k]
      if kept > first && m.range.lowerBound < matches[kept - 1].range.upperBound {
        let prev = matches[kept - 1].range
        matches[kept - 1].range = prev.lowerBound..<max(prev.upperBound, m.range.upperBound)
      } else {
        matches[kept] = m
        kept += 1
      }
    }
    matches.removeLast(matches.count - kept)
  }
}
