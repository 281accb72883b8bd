#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Detects credentials written into URLs and connection strings: the userinfo of
/// `scheme://user:password@host`, and of Go's MySQL DSN `user:password@tcp(host:3306)/db`.
///
/// The match is the whole userinfo — `postgres://[REDACTED:url_credentials]@db:5432/x` — so
/// the scheme, host, port and path stay readable. It covers:
/// - `user:password` (`postgres://app:S3cr3t@db:5432/x`, `amqp://user:pass@host`,
///   `https://user:token@host/path`, `mongodb+srv://u:p@cluster0.example.net/`,
///   `jdbc:mysql://app:pw@db/x`), and a password with no user (`redis://:S3cr3t@redis:6379`);
/// - a password holding `@` unescaped: the userinfo runs to the *last* `@` of the authority
///   (`postgres://app:p@ss@db/x`), so no part of it is left next to the host;
/// - a token alone (`https://ghp_0123456789abcdefghijklmn@github.com/org/repo`): 20 or more
///   characters with letters and digits;
/// - percent-encoded passwords (`app:p%40ss%2Fx@db`), and URLs that are encoded whole
///   (`?next=postgres%3A%2F%2Fapp%3Apw%40db`), through the ``Redactor``'s decoding.
///
/// With `partial` the user name is kept when it is a plain name (`[REDACTED:url_credentials:app]`).
///
/// Not matched: URLs without userinfo (`https://example.com:8443/p?a=b@c`, `https://host/@user`,
/// `http://[::1]:8080`); a user name alone (`ssh://git@github.com/org/repo`,
/// `https://jane.doe@example.com/`) — a login, not a secret; placeholder passwords
/// (`${DB_PASSWORD}`, `***`, `xxxx`, `[REDACTED]`, `<password>`); an empty password (`user:@host`).
/// `password=…;` pairs in JDBC and ODBC strings are ``SecretPairDetector``'s.
public struct URLCredentialsDetector: Detector {
  public let name = "url_credentials"
  public var requires: ByteClasses { [.at] }
  /// `a://:xy@h`
  public var minimumLength: Int { 9 }

  public init() {}

  /// A password's `%2F`, `%3F`, `%23` and `%40` are escaped so that the URL parses: the
  /// text as written is scanned too, not only its decoded form (which finds URLs that are
  /// themselves encoded, `redirect=postgres%3A%2F%2Fapp%3Apw%40db`).
  public var alsoScansEncodedText: Bool { true }

  /// `partial` keeps a plain user name (letters, digits, `. _ -`, at most 32 bytes).
  public func appendKept(from match: UnsafeRawBufferPointer, to out: inout [UInt8]) {
    guard let colon = match.firstIndex(of: UInt8(ascii: ":")), colon > 0, colon <= 32 else { return }
    for k in 0..<colon {
      let c = match[k]
      if !(DetectorBytes.isAlphanumeric(c) || c == UInt8(ascii: ".") || c == UInt8(ascii: "_")
        || c == UInt8(ascii: "-"))
      {
        return
      }
    }
    out.append(contentsOf: match[0..<colon])
  }

  /// Bytes that end a URL's authority: whitespace, `/ ? #`, quotes, `< >`, `\`, control
  /// bytes, and `;` — which starts the properties of a JDBC URL
  /// (`jdbc:sqlserver://db:1433;user=app;password=p@ss`), and which a password in a URL
  /// carries escaped.
  static let authorityStop: [Bool] = (0..<256).map { (b: Int) -> Bool in
    b <= 0x20 || b == 0x7F || "/?#\"'<>`\\;".utf8.contains(UInt8(b))
  }

  public func detect(in text: UnsafeRawBufferPointer, rule: Int, into matches: inout [DetectorMatch]) {
    guard let p = text.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
    let n = text.count
    Self.authorityStop.withUnsafeBufferPointer { stop in
      var i = 0
      var floor = 0  // the end of the last match: a userinfo starts at or after it
      // Every form has an `@` after its userinfo: find it first, then look back for `://`
      // or forward for `tcp(`.
      while i < n, let hit = memchr(p + i, 0x40, n - i) {
        let at = UnsafeRawPointer(hit) - UnsafeRawPointer(p)
        if let (range, next) = Self.match(p, n, at: at, from: floor, stop) {
          matches.append(DetectorMatch(range: range, rule: rule))
          i = next
          floor = next
        } else {
          i = at + 1
        }
      }
    }
  }

  /// The userinfo whose `@` (or one of whose `@`s) is at `at`, and where scanning resumes.
  @inline(__always)
  static func match(
    _ p: UnsafePointer<UInt8>, _ n: Int, at: Int, from lower: Int, _ stop: UnsafeBufferPointer<Bool>
  ) -> (Range<Int>, Int)? {
    // Back to the authority's start: the byte after `//`, not crossing a stop byte.
    var s = at
    while s > lower && !stop[Int(p[s - 1])] { s -= 1 }
    let afterSlashes = s >= 2 && s - 2 >= lower && p[s - 1] == UInt8(ascii: "/") && p[s - 2] == UInt8(ascii: "/")
    if afterSlashes {
      guard s >= 3, p[s - 3] == UInt8(ascii: ":"), s >= 4, isSchemeByte(p[s - 4]) else { return nil }
    } else {
      // Go MySQL DSN: `user:password@tcp(` or `@unix(`, the userinfo starting at a boundary
      // (the line's start, whitespace, a quote, `=`).
      guard SecretScan.has("tcp(", at: at + 1, in: p, n) || SecretScan.has("unix(", at: at + 1, in: p, n) else {
        return nil
      }
      if let eq = lastIndex(of: UInt8(ascii: "="), in: p, s, at) { s = eq + 1 }
    }
    // Forward to the authority's last `@`.
    var last = at
    var e = at + 1
    while e < n && !stop[Int(p[e])] {
      if p[e] == UInt8(ascii: "@") { last = e }
      e += 1
    }
    if !afterSlashes { last = at }  // a DSN's host part is `tcp(…)`: its `@` is the first
    guard last > s else { return nil }
    let colon = firstIndex(of: UInt8(ascii: ":"), in: p, s, last)
    if let c = colon {
      guard last - c > 1, !SecretPairDetector.isPlaceholder(p, c + 1, last) else { return nil }
    } else {
      guard afterSlashes, isToken(p, s, last) else { return nil }
    }
    return (s..<last, afterSlashes ? e : last + 1)
  }

  /// A scheme's last byte: a letter, digit, `+`, `-` or `.`.
  @inline(__always)
  static func isSchemeByte(_ c: UInt8) -> Bool {
    DetectorBytes.isAlphanumeric(c) || c == UInt8(ascii: "+") || c == UInt8(ascii: "-") || c == UInt8(ascii: ".")
  }

  /// A userinfo that is a token by itself: 20+ bytes of letters, digits, `_ - .`, with both
  /// letters and digits.
  @inline(__always)
  static func isToken(_ p: UnsafePointer<UInt8>, _ s: Int, _ e: Int) -> Bool {
    guard e - s >= 20 else { return false }
    var letters = false
    var digits = false
    for k in s..<e {
      let c = p[k]
      if DetectorBytes.isDigit(c) {
        digits = true
      } else if DetectorBytes.isLetter(c) {
        letters = true
      } else if c != UInt8(ascii: "_") && c != UInt8(ascii: "-") && c != UInt8(ascii: ".") {
        return false
      }
    }
    return letters && digits
  }

  @inline(__always)
  static func firstIndex(of c: UInt8, in p: UnsafePointer<UInt8>, _ s: Int, _ e: Int) -> Int? {
    var k = s
    while k < e {
      if p[k] == c { return k }
      k += 1
    }
    return nil
  }

  @inline(__always)
  static func lastIndex(of c: UInt8, in p: UnsafePointer<UInt8>, _ s: Int, _ e: Int) -> Int? {
    var k = e
    while k > s {
      k -= 1
      if p[k] == c { return k }
    }
    return nil
  }
}
