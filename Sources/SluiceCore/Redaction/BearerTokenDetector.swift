/// Detects the credential of an HTTP authorization scheme: `Bearer <token>`, `Basic <base64>`,
/// `Token <token>` and `Digest <parameters>`.
///
/// The scheme is matched in any case, as a whole word, and may follow an `Authorization`
/// header in any of its logged forms: `Authorization: Bearer x`, `Proxy-Authorization: …`,
/// `"Authorization":"Bearer x"`, `authorization=Bearer%20x`, `HTTP_AUTHORIZATION=Basic+x`.
/// Between scheme and credential come spaces or tabs, `%20` or one `+`. The match is the
/// credential only: a run of base64, base64url and `. ~ + / = - _` characters and `%XX`
/// escapes, ending at anything else (whitespace, quote, comma, `&`, the end). For `Digest`
/// it is the whole parameter list (`username="…", realm="…", response="…"`).
///
/// The credential must be at least 8 characters and look like one, so that English prose
/// ("the bearer of this letter", "Basic authentication failed", "Bearer tokens expire") is
/// not matched:
/// - after an `Authorization` header, anything but a plain word (all lower case, all upper
///   case or capitalised letters: `undefined`, `REDACTED`) or a path (`/api/v1/token`) is a
///   credential;
/// - elsewhere only `Bearer` and `Basic` are recognised, and the credential needs a digit and
///   a letter, or ends in base64 `=` padding, or has at least three lower-to-upper case
///   changes (random mixed case rather than `CamelCase`), or — for `Basic` — decodes to
///   printable `user:password`. `Token` and `Digest` in prose are too common ("token 3 of
///   5", "digest sha256:…"); `Digest` is accepted outside a header when its parameters
///   include the `response` hash (so a `WWW-Authenticate: Digest realm=…` challenge is not
///   matched).
///
/// Prefilter: none (`requires` is empty), because neither the scheme's case nor the
/// separator (space, `%20`, `+`) is fixed. Instead the first step is a vectorised
/// case-insensitive search for a scheme's first and third letters — `b?a`, `b?s`, `t?k`,
/// `d?g` (**b**e**a**rer, **b**a**s**ic, **t**o**k**en, **d**i**g**est) — 16 positions per
/// step; only their hits are verified.
public struct BearerTokenDetector: Detector {
  public let name = "bearer"
  public var requires: ByteClasses { [] }
  /// `Basic ` and an 8-character credential.
  public var minimumLength: Int { 14 }

  public init() {}

  static let minimumCredential = 8

  /// Credential bytes (besides `%XX` escapes).
  static let credential: [Bool] = SecretScan.table(SecretScan.alphanumerics + ".~+/=-_")

  enum Scheme {
    case bearer, basic, token, digest
  }

  public func detect(in text: UnsafeRawBufferPointer, rule: Int, into matches: inout [DetectorMatch]) {
    guard let base = text.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
    let n = text.count
    guard n >= minimumLength else { return }
    Self.credential.withUnsafeBufferPointer { cred in
      var i = 0
      while i < n {
        let hit = Self.nextScheme(base, n, from: i)
        if hit >= n { break }
        if let range = Self.match(base, n, schemeStart: hit, cred) {
          matches.append(DetectorMatch(range: range, rule: rule))
          i = range.upperBound
        } else {
          i = hit + 1
        }
      }
    }
  }

  /// The first index `i >= from` that may start a scheme: (case-folded) `b?a` or `b?s`
  /// (bearer, basic), `t?k` (token) or `d?g` (digest), or `n`.
  @inline(__always)
  static func nextScheme(_ p: UnsafePointer<UInt8>, _ n: Int, from: Int) -> Int {
    typealias V = SecretScan.V
    let lower = V(repeating: 0x20)
    let a = V(repeating: UInt8(ascii: "a"))
    let b = V(repeating: UInt8(ascii: "b"))
    let d = V(repeating: UInt8(ascii: "d"))
    let g = V(repeating: UInt8(ascii: "g"))
    let k = V(repeating: UInt8(ascii: "k"))
    let s = V(repeating: UInt8(ascii: "s"))
    let t = V(repeating: UInt8(ascii: "t"))
    @inline(__always) func mask(_ i: Int) -> SecretScan.Mask {
      let x = SecretScan.load(p, i) | lower
      let z = SecretScan.load(p, i + 2) | lower
      return ((x .== b) .& ((z .== a) .| (z .== s))) .| ((x .== t) .& (z .== k)) .| ((x .== d) .& (z .== g))
    }
    var i = from
    while i + 18 <= n {
      let lane = SecretScan.firstLane(mask(i))
      if lane < 16 { return i + lane }
      i += 16
    }
    if i + 3 > n { return n }
    if n >= 18 {
      // One last block, overlapping the one before.
      let start = n - 18
      let lane = SecretScan.firstLane(mask(start), skip: i - start)
      return lane < 16 ? start + lane : n
    }
    while i + 3 <= n {
      switch (SecretScan.fold(p[i]), SecretScan.fold(p[i + 2])) {
      case (UInt8(ascii: "b"), UInt8(ascii: "a")), (UInt8(ascii: "b"), UInt8(ascii: "s")),
        (UInt8(ascii: "t"), UInt8(ascii: "k")), (UInt8(ascii: "d"), UInt8(ascii: "g")):
        return i
      default: i += 1
      }
    }
    return n
  }

  /// The credential after the scheme word that may start at `s`, or nil.
  @inline(__always)
  static func match(
    _ p: UnsafePointer<UInt8>, _ n: Int, schemeStart s: Int, _ cred: UnsafeBufferPointer<Bool>
  ) -> Range<Int>? {
    // A whole word: not preceded by a word byte, unless that is the `0` of `%20` (or `%3A`).
    if s > 0 && DetectorBytes.isWordByte(p[s - 1]) && !isEscape(p, s - 3) { return nil }
    let scheme: Scheme
    let length: Int
    switch SecretScan.fold(p[s]) {
    case UInt8(ascii: "b") where SecretScan.hasFolded("bearer", at: s, in: p, n): (scheme, length) = (.bearer, 6)
    case UInt8(ascii: "b") where SecretScan.hasFolded("basic", at: s, in: p, n): (scheme, length) = (.basic, 5)
    case UInt8(ascii: "t") where SecretScan.hasFolded("token", at: s, in: p, n): (scheme, length) = (.token, 5)
    case UInt8(ascii: "d") where SecretScan.hasFolded("digest", at: s, in: p, n): (scheme, length) = (.digest, 6)
    default: return nil
    }
    // The separator: spaces or tabs, `%20`s, or a single `+`.
    var e = s + length
    let afterScheme = e
    while e < n {
      if p[e] == UInt8(ascii: " ") || p[e] == UInt8(ascii: "\t") {
        e += 1
      } else if SecretScan.has("%20", at: e, in: p, n) {
        e += 3
      } else if p[e] == UInt8(ascii: "+") && e == afterScheme {
        e += 1
        break
      } else {
        break
      }
    }
    guard e > afterScheme, e < n else { return nil }
    let header = followsAuthorization(p, s)
    switch scheme {
    case .digest:
      return digestParameters(p, n, from: e, header: header)
    case .token where !header:
      return nil
    default:
      var t = e
      while t < n {
        if cred[Int(p[t])] {
          t += 1
        } else if p[t] == UInt8(ascii: "%") && t + 2 < n && DetectorBytes.isHex(p[t + 1])
          && DetectorBytes.isHex(p[t + 2])
        {
          t += 3
        } else {
          break
        }
      }
      guard t - e >= minimumCredential,
        looksLikeCredential(p, e, t, header: header) || (scheme == .basic && decodesToUserPassword(p, e, t))
      else { return nil }
      return e..<t
    }
  }

  /// Whether `%20`, `%3A` or `%3a` is at `i`.
  @inline(__always)
  static func isEscape(_ p: UnsafePointer<UInt8>, _ i: Int) -> Bool {
    guard i >= 0, p[i] == UInt8(ascii: "%") else { return false }
    return (p[i + 1] == UInt8(ascii: "2") && p[i + 2] == UInt8(ascii: "0"))
      || (p[i + 1] == UInt8(ascii: "3") && SecretScan.fold(p[i + 2]) == UInt8(ascii: "a"))
  }

  /// Whether the scheme at `s` follows `authorization` and a separator (`: `, `=`, `":"`,
  /// `%3A%20`…).
  @inline(__always)
  static func followsAuthorization(_ p: UnsafePointer<UInt8>, _ s: Int) -> Bool {
    var j = s
    var steps = 0
    while j > 0 && steps < 8 {
      switch p[j - 1] {
      case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: ":"), UInt8(ascii: "="), UInt8(ascii: "\""),
        UInt8(ascii: "'"), UInt8(ascii: "\\"), UInt8(ascii: "["), UInt8(ascii: "("):
        j -= 1
      case _ where j >= 3 && isEscape(p, j - 3):
        j -= 3
      default:
        steps = 8
        continue
      }
      steps += 1
    }
    return j < s && SecretScan.hasFolded("authorization", at: j - 13, in: p, j)
  }

  /// Whether the credential `p[from..<to]` is more than a plain word (see the type's notes).
  @inline(__always)
  static func looksLikeCredential(_ p: UnsafePointer<UInt8>, _ from: Int, _ to: Int, header: Bool) -> Bool {
    var digits = 0
    var letters = 0
    var uppers = 0
    var innerUppers = 0
    var lowerToUpper = 0
    var previousLower = false
    for k in from..<to {
      let c = p[k]
      if DetectorBytes.isDigit(c) {
        digits += 1
        previousLower = false
      } else if c &- UInt8(ascii: "a") < 26 {
        letters += 1
        previousLower = true
      } else if c &- UInt8(ascii: "A") < 26 {
        letters += 1
        uppers += 1
        if k > from { innerUppers += 1 }
        if previousLower { lowerToUpper += 1 }
        previousLower = false
      } else {
        previousLower = false
      }
    }
    let length = to - from
    let padding = p[to - 1] == UInt8(ascii: "=")
    if p[from] == UInt8(ascii: "/") || p[from] == UInt8(ascii: ".") { return false }  // a path
    if header {
      // Not a plain word: all lower case, all upper case, or capitalised.
      let plainWord = letters == length && (uppers == 0 || uppers == length || (uppers == 1 && innerUppers == 0))
      return !plainWord
    }
    return (digits > 0 && letters > 0) || (padding && letters > 0) || lowerToUpper >= 3
  }

  /// Whether `p[from..<to]` is base64 for printable text with a `:` — `user:password`, what
  /// `Basic` carries — decoded on the fly without allocating.
  @inline(__always)
  static func decodesToUserPassword(_ p: UnsafePointer<UInt8>, _ from: Int, _ to: Int) -> Bool {
    var bits: UInt32 = 0
    var count = 0
    var colon = false
    for k in from..<to {
      let c = p[k]
      let v: UInt32
      switch c {
      case UInt8(ascii: "A")...UInt8(ascii: "Z"): v = UInt32(c - UInt8(ascii: "A"))
      case UInt8(ascii: "a")...UInt8(ascii: "z"): v = UInt32(c - UInt8(ascii: "a")) + 26
      case UInt8(ascii: "0")...UInt8(ascii: "9"): v = UInt32(c - UInt8(ascii: "0")) + 52
      case UInt8(ascii: "+"): v = 62
      case UInt8(ascii: "/"): v = 63
      case UInt8(ascii: "="): return colon && to - k <= 2
      default: return false
      }
      bits = bits << 6 | v
      count += 6
      if count >= 8 {
        count -= 8
        let byte = UInt8(truncatingIfNeeded: bits >> UInt32(count))
        if byte < 0x20 || byte == 0x7F { return false }
        if byte == UInt8(ascii: ":") { colon = true }
      }
    }
    return colon
  }

  /// The `Digest` parameter list starting at `from`: `name=value` or `name="value"` items
  /// separated by commas, values possibly `\"`-quoted (a header inside a JSON string).
  @inline(__always)
  static func digestParameters(_ p: UnsafePointer<UInt8>, _ n: Int, from: Int, header: Bool) -> Range<Int>? {
    var q = from
    var count = 0
    var end = from
    var response = false
    while q < n {
      let nameStart = q
      while q < n && (DetectorBytes.isWordByte(p[q]) || p[q] == UInt8(ascii: "-")) { q += 1 }
      guard q > nameStart, q < n, p[q] == UInt8(ascii: "=") else { break }
      if q - nameStart == 8 && SecretScan.hasFolded("response", at: nameStart, in: p, q) { response = true }
      q += 1
      if q < n && p[q] == UInt8(ascii: "\"") {
        q += 1
        while q < n && p[q] != UInt8(ascii: "\"") { q += p[q] == UInt8(ascii: "\\") ? 2 : 1 }
        q = min(q + 1, n)  // an unterminated value runs to the end
      } else if q + 1 < n && p[q] == UInt8(ascii: "\\") && p[q + 1] == UInt8(ascii: "\"") {
        q += 2
        while q < n && !(p[q] == UInt8(ascii: "\\") && q + 1 < n && p[q + 1] == UInt8(ascii: "\"")) { q += 1 }
        q = min(q + 2, n)
      } else {
        while q < n {
          let c = p[q]
          if c == UInt8(ascii: ",") || c == UInt8(ascii: " ") || c == UInt8(ascii: "\t") || c == UInt8(ascii: "\"")
            || c == UInt8(ascii: "\\") || c == UInt8(ascii: "\n") || c == UInt8(ascii: "\r")
          {
            break
          }
          q += 1
        }
      }
      count += 1
      end = q
      while q < n && p[q] == UInt8(ascii: " ") { q += 1 }
      guard q < n, p[q] == UInt8(ascii: ",") else { break }
      q += 1
      while q < n && p[q] == UInt8(ascii: " ") { q += 1 }
    }
    guard count > 0, header || response, end - from >= minimumCredential else { return nil }
    return from..<end
  }
}
