/// Detects the values of secret-named pairs written inside a text: `password=x`,
/// `token: x`, `"api_key":"x"`, `secret='x'`, `'pwd': 'x'`, `?access_token=x&…`,
/// `"password" => "x"`, `params[password]=x`, `Cookie: a=b; c=d`. Only the value is matched;
/// the key stays visible.
///
/// Keys are compared case-insensitively, ignoring `-`, `_` and `.`, and match when they are
/// one of ``defaultKeys`` (or the list given) or end with one after a separator or a
/// camel-case boundary: `db_password`, `X-Api-Key`, `clientSecret` and `--token` match;
/// `password_policy`, `token_count`, `max_tokens`, `tokens_used`, `secret_santa_enabled`,
/// `dbpassword` and `oauth` do not (the key must end with the word, and plurals and
/// counters are not secrets). Configured keys should be letters, digits and separators.
///
/// The value is a quoted string (`"…"` with `\"` escapes, `'…'`, or `\"…\"` when a JSON
/// document is embedded in a message), or unquoted up to whitespace, `&`, `,`, `;` or a
/// quote; an unquoted PEM private key runs to its END marker. For `cookie` keys (`Cookie`,
/// `Set-Cookie`) each cookie value is matched on its own and names and attributes stay
/// (see ``CookieHeader``).
///
/// Not matched, to keep prose and placeholders visible:
/// - empty values, `true`/`false`/`null`/`nil`/`none`/`undefined`, values that are already
///   a redaction marker or a placeholder (`[REDACTED…]`, `[FILTERED]`, `<redacted>`, `***`,
///   `xxxx`, `${DB_PASSWORD}`, `{{ .token }}`, `{token}`, `%s`);
/// - after `key: ` (colon and space) an unquoted value must look like a credential — at
///   least 4 characters with a digit, a symbol or mixed case, no `=` inside, not starting
///   with a bracket — so "invalid password: too short", "token: expired" and
///   `Private-Key: (2048 bit)` stay;
/// - `auth` and `credentials` are also ordinary words (`auth=oauth2`,
///   `credentials: 'include'`): their values need 8 characters with a digit or a symbol;
/// - `pwd` values that are paths (`PWD=/home/app`);
/// - `auth:token:42`-style namespaced names (a key preceded by `:`, `=` or `/` and followed
///   by `:` with no space), and `::` paths (`auth::login`).
///
/// Prefilter: a `=` or a `:` (`requiresAny`), the only separators it reads; no letter class
/// is required, since keys may be upper case (`PASSWORD=…`) and values anything. The first step is a vectorised search for the `=` and `:` anchors, 16 bytes at
/// a time; an anchor is rejected unless the two bytes before the key's end are how some key
/// ends (one lookup in a 64 × 64-bit table), so timestamps, ports, URLs and most JSON keys
/// cost a few comparisons each.
public struct SecretPairDetector: Detector {
  public let name = "secret_pair"
  public var requires: ByteClasses { [] }
  /// Every pair has one of these as its separator.
  public var requiresAny: ByteClasses { [.equals, .colon] }
  /// The shortest key, `=` and one byte: 5 (`pwd=x`) with the default keys.
  public let minimumLength: Int

  /// Secret key names (see the type's notes for how they match).
  public static let defaultKeys = [
    "password", "passwd", "pwd", "passphrase", "secret", "secret_key", "token", "api_key", "apikey",
    "access_token", "refresh_token", "client_secret", "private_key", "auth", "credentials", "sessionid",
    "session_id", "session_token", "jsessionid", "phpsessid", "cookie", "set-cookie",
  ]

  /// Every key word normalised (lower case, without `-`, `_`, `.`) and reversed, end to end:
  /// word `k` is `reversedWords[bounds[k]..<bounds[k + 1]]`.
  let reversedWords: [UInt8]
  let bounds: [Int]
  /// Per word: 0 plain, 1 cookie (whole header value), 2 ambiguous (needs a credential-like
  /// value), 3 `pwd` (paths are not secrets).
  let kinds: [UInt8]
  /// Indexed by the class of a key's last byte (see ``byteTable``): a bit per class of the
  /// byte before it, set when some word ends with that pair (class 0, a separator, when a
  /// configured key has one there: `pin_2`). One lookup rejects almost every anchor.
  let endings: [UInt64]
  /// Indexed by ``bucket(_:_:)`` of the classes of a key's last two bytes: a bit per word (of
  /// the first 64) that may end so; words after the 64th are always compared.
  let wordsByEnding: [UInt64]

  public init(keys: [String] = SecretPairDetector.defaultKeys) {
    var seen: [[UInt8]] = []
    var reversed: [UInt8] = []
    var bounds = [0]
    var kinds: [UInt8] = []
    var endings = [UInt64](repeating: 0, count: 64)
    var byEnding = [UInt64](repeating: 0, count: 256)
    for key in keys {
      let original = Array(key.utf8)
      let w = original.compactMap { (c: UInt8) -> UInt8? in
        if Self.isSeparator(c) { return nil }
        return c &- UInt8(ascii: "A") < 26 ? c | 0x20 : c
      }
      guard let last = w.last, !seen.contains(w) else { continue }
      seen.append(w)
      reversed.append(contentsOf: w.reversed())
      bounds.append(reversed.count)
      switch String(decoding: w, as: UTF8.self) {
      case let s where s.hasSuffix("cookie"): kinds.append(1)
      case "auth", "credentials": kinds.append(2)
      case "pwd": kinds.append(3)
      default: kinds.append(0)
      }
      let lastClass = Self.byteClass(last)
      var before: [UInt8] = []  // classes the byte before the last may have
      if w.count == 1 {
        before = Array(0..<64)
      } else {
        before = [Self.byteClass(w[w.count - 2])]
        if original.count >= 2 && Self.isSeparator(original[original.count - 2]) { before.append(0) }
      }
      for c in before {
        endings[Int(lastClass)] |= 1 << UInt64(c)
        if kinds.count <= 64 { byEnding[Self.bucket(lastClass, c)] |= 1 << UInt64(kinds.count - 1) }
      }
    }
    self.reversedWords = reversed
    self.minimumLength = (seen.map(\.count).min() ?? Int.max - 2) + 2
    self.bounds = bounds
    self.kinds = kinds
    self.endings = endings
    self.wordsByEnding = byEnding
  }

  @inline(__always)
  static func bucket(_ last: UInt8, _ before: UInt8) -> Int { Int((last &* 37 &+ before) & 255) }

  @inline(__always)
  static func isSeparator(_ c: UInt8) -> Bool {
    c == UInt8(ascii: "-") || c == UInt8(ascii: "_") || c == UInt8(ascii: ".")
  }

  /// 1–26 for letters (either case), 27–36 for digits, 0 for anything else.
  static func byteClass(_ c: UInt8) -> UInt8 {
    if DetectorBytes.isLetter(c) { return (c | 0x20) - UInt8(ascii: "a") + 1 }
    if DetectorBytes.isDigit(c) { return c - UInt8(ascii: "0") + 27 }
    return 0
  }

  static let classMask: UInt16 = 0x3F
  static let keyByte: UInt16 = 1 << 8
  static let valueStop: UInt16 = 1 << 9

  /// Per byte value: its class (bits 0–5), whether it can be part of a key, and whether it
  /// ends an unquoted value (whitespace, `&`, `,`, `;`, `"`).
  static let byteTable: [UInt16] = (0..<256).map { (b: Int) -> UInt16 in
    let c = UInt8(b)
    var v = UInt16(byteClass(c))
    if DetectorBytes.isAlphanumeric(c) || isSeparator(c) { v |= keyByte }
    if " \t\r\n&,;\"".utf8.contains(c) { v |= valueStop }
    return v
  }

  public func detect(in text: UnsafeRawBufferPointer, rule: Int, into matches: inout [DetectorMatch]) {
    guard let base = text.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
    let n = text.count
    guard n >= minimumLength else { return }
    Self.byteTable.withUnsafeBufferPointer { table in
      endings.withUnsafeBufferPointer { endings in
        var i = 1
        while i < n {
          let a = SecretScan.firstOf(UInt8(ascii: "="), UInt8(ascii: ":"), in: base, n, from: i)
          if a >= n { break }
          if let next = match(base, n, anchor: a, table, endings, rule: rule, into: &matches) {
            i = next
          } else {
            i = a + 1
          }
        }
      }
    }
  }

  /// Appends the value (or, for a cookie header, the values) of the pair whose separator is
  /// at `a`. - Returns: where scanning resumes, or nil if nothing matched.
  @inline(__always)
  func match(
    _ p: UnsafePointer<UInt8>, _ n: Int, anchor a: Int, _ table: UnsafeBufferPointer<UInt16>,
    _ endings: UnsafeBufferPointer<UInt64>, rule: Int, into matches: inout [DetectorMatch]
  ) -> Int? {
    // The key's end: back over spaces, a closing quote (maybe `\"`) or `]`.
    var ke = a
    while ke > 0 && a - ke < 3 && (p[ke - 1] == UInt8(ascii: " ") || p[ke - 1] == UInt8(ascii: "\t")) { ke -= 1 }
    if ke > 0 && (p[ke - 1] == UInt8(ascii: "\"") || p[ke - 1] == UInt8(ascii: "'") || p[ke - 1] == UInt8(ascii: "]")) {
      ke -= 1
      if ke > 0 && p[ke - 1] == UInt8(ascii: "\\") { ke -= 1 }
    }
    guard ke > 0 else { return nil }
    let lastClass = UInt8(truncatingIfNeeded: table[Int(p[ke - 1])] & Self.classMask)
    let previousClass = ke > 1 ? UInt8(truncatingIfNeeded: table[Int(p[ke - 2])] & Self.classMask) : 0
    guard endings[Int(lastClass)] & (1 << UInt64(previousClass)) != 0 else { return nil }
    let colon = p[a] == UInt8(ascii: ":")
    if colon && a + 1 < n && p[a + 1] == UInt8(ascii: ":") { return nil }  // `auth::login`
    if !colon && a + 1 < n && p[a + 1] == UInt8(ascii: "=") { return nil }  // `==`
    guard let kind = keyKind(p, ke, candidates: wordsByEnding[Self.bucket(lastClass, previousClass)]) else {
      return nil
    }
    var ks = ke
    while ks > 0 && table[Int(p[ks - 1])] & Self.keyByte != 0 { ks -= 1 }

    // The value.
    var v = a + 1
    if !colon && v < n && p[v] == UInt8(ascii: ">") { v += 1 }  // `=>`
    let valueFrom = v
    while v < n && (p[v] == UInt8(ascii: " ") || p[v] == UInt8(ascii: "\t")) { v += 1 }
    guard v < n else { return nil }
    let spaced = v > valueFrom
    if colon && !spaced && ks > 0
      && (p[ks - 1] == UInt8(ascii: ":") || p[ks - 1] == UInt8(ascii: "=") || p[ks - 1] == UInt8(ascii: "/"))
    {
      return nil  // `cache=auth:token:42`
    }
    // `{"note":"token="}`: the key is inside a quoted string that closes right after the
    // separator, so the "value" is that closing quote, not a secret.
    if ks > 0 && (p[ks - 1] == UInt8(ascii: "\"") || p[ks - 1] == UInt8(ascii: "'")) {
      let q = p[ks - 1]
      if !Self.contains(p, ks, a, q) && (p[v] == q || (p[v] == UInt8(ascii: "\\") && v + 1 < n && p[v + 1] == q)) {
        return nil
      }
    }
    if kind == 1 {
      return CookieHeader.appendValues(
        p, n, from: v, setCookie: CookieHeader.isSetCookie(p, ke), rule: rule, into: &matches)
    }
    var vs: Int
    var ve: Int
    var quoted = true
    let c = p[v]
    if c == UInt8(ascii: "\"") {
      vs = v + 1
      ve = vs
      while ve < n && p[ve] != UInt8(ascii: "\"") { ve += p[ve] == UInt8(ascii: "\\") ? 2 : 1 }
      ve = min(ve, n)
    } else if c == UInt8(ascii: "'") {
      vs = v + 1
      ve = vs
      while ve < n && p[ve] != UInt8(ascii: "'") { ve += 1 }
    } else if c == UInt8(ascii: "\\") && v + 1 < n && p[v + 1] == UInt8(ascii: "\"") {
      vs = v + 2
      ve = vs
      while ve < n && !(p[ve] == UInt8(ascii: "\\") && ve + 1 < n && p[ve + 1] == UInt8(ascii: "\"")) { ve += 1 }
    } else {
      quoted = false
      vs = v
      ve = v
      while ve < n && table[Int(p[ve])] & Self.valueStop == 0 {
        if p[ve] == UInt8(ascii: "\\") && ve + 1 < n && p[ve + 1] == UInt8(ascii: "\"") { break }
        ve += 1
      }
      // An unquoted PEM private key (`private_key=-----BEGIN RSA PRIVATE KEY----- MIIE…`) runs
      // to its END marker, spaces and all, not to the first space.
      if SecretScan.has("-----BEGIN ", at: vs, in: p, n),
        let header = PrivateKeyDetector.privateKeyLabel(p, n, vs + 11)
      {
        ve = max(ve, PrivateKeyDetector.endMarker(p, n, from: header))
      }
    }
    guard ve > vs, !Self.isPlaceholder(p, vs, ve) else { return nil }
    switch kind {
    case 2:
      guard ve - vs >= 8, Self.looksLikeSecret(p, vs, ve) else { return nil }
      if !quoted && colon && spaced && Self.hasInnerEquals(p, vs, ve) { return nil }
    case 3:
      if p[vs] == UInt8(ascii: "/") || p[vs] == UInt8(ascii: "~") { return nil }
      fallthrough
    default:
      if !quoted && colon && spaced {
        guard ve - vs >= 4, !Self.opensBracket(p[vs]), Self.looksLikeSecret(p, vs, ve), !Self.hasInnerEquals(p, vs, ve)
        else { return nil }
      }
    }
    matches.append(DetectorMatch(range: vs..<ve, rule: rule))
    return ve
  }

  /// The kind of the word the key ending at `ke` ends with, or nil if it names no secret.
  /// `candidates` has a bit for each of the first 64 words that may end like the key.
  @inline(__always)
  func keyKind(_ p: UnsafePointer<UInt8>, _ ke: Int, candidates: UInt64) -> UInt8? {
    guard DetectorBytes.isAlphanumeric(p[ke - 1]) else { return nil }
    return reversedWords.withUnsafeBufferPointer { words in
      bounds.withUnsafeBufferPointer { bounds in
        var first = candidates
        var k = 0
        while true {
          // The next word to compare: a candidate bit, then every word after the 64th.
          if first != 0 {
            k = first.trailingZeroBitCount
            first &= first - 1
          } else if k < 64 {
            k = 64
            if k >= bounds.count - 1 { return nil }
          } else {
            k += 1
            if k >= bounds.count - 1 { return nil }
          }
          // Compare backwards, skipping separators inside the key (`api_key` is `apikey`).
          var i = ke - 1
          var j = bounds[k]
          let end = bounds[k + 1]
          while j < end && i >= 0 {
            let c = p[i]
            if Self.isSeparator(c) && j > bounds[k] {
              i -= 1
              continue
            }
            if (c &- UInt8(ascii: "A") < 26 ? c | 0x20 : c) != words[j] { break }
            i -= 1
            j += 1
          }
          guard j == end else { continue }
          // `i + 1` is where the word starts: at the key's start (after a byte that is not a
          // letter or digit: a separator, a quote, a space), or at a camel-case boundary
          // (`dbPassword`).
          let ws = i + 1
          if ws == 0 || !DetectorBytes.isAlphanumeric(p[ws - 1]) { return kinds[k] }
          let before = p[ws - 1]
          if p[ws] &- UInt8(ascii: "A") < 26 && (before &- UInt8(ascii: "a") < 26 || DetectorBytes.isDigit(before)) {
            return kinds[k]
          }
        }
      }
    }
  }

  /// `(`, `[`, `{` or `<`: after `key: `, the start of prose such as `Private-Key: (2048 bit)`.
  @inline(__always)
  static func opensBracket(_ c: UInt8) -> Bool {
    c == UInt8(ascii: "(") || c == UInt8(ascii: "[") || c == UInt8(ascii: "{") || c == UInt8(ascii: "<")
  }

  @inline(__always)
  static func contains(_ p: UnsafePointer<UInt8>, _ from: Int, _ to: Int, _ c: UInt8) -> Bool {
    for k in from..<to where p[k] == c { return true }
    return false
  }

  /// `=` followed by something other than `=` (a nested pair, not base64 padding).
  @inline(__always)
  static func hasInnerEquals(_ p: UnsafePointer<UInt8>, _ from: Int, _ to: Int) -> Bool {
    var k = from
    while k + 1 < to {
      if p[k] == UInt8(ascii: "=") && p[k + 1] != UInt8(ascii: "=") { return true }
      k += 1
    }
    return false
  }

  /// A digit, a symbol other than `- _ .`, or an upper-case letter after a lower-case one.
  @inline(__always)
  static func looksLikeSecret(_ p: UnsafePointer<UInt8>, _ from: Int, _ to: Int) -> Bool {
    var previousLower = false
    for k in from..<to {
      let c = p[k]
      if DetectorBytes.isDigit(c) { return true }
      if c &- UInt8(ascii: "a") < 26 {
        previousLower = true
        continue
      }
      if c &- UInt8(ascii: "A") < 26 {
        if previousLower { return true }
        continue
      }
      previousLower = false
      if c != UInt8(ascii: "-") && c != UInt8(ascii: "_") && c != UInt8(ascii: ".") && c < 0x80 { return true }
    }
    return false
  }

  /// Values that hide nothing: literals, redaction markers, templates.
  @inline(__always)
  static func isPlaceholder(_ p: UnsafePointer<UInt8>, _ from: Int, _ to: Int) -> Bool {
    let count = to - from
    let first = p[from]
    let lastByte = p[to - 1]
    // `***`, `xxxx`, `XXXXXX`.
    var same = true
    for k in from..<to where p[k] != first {
      same = false
      break
    }
    if same && (first == UInt8(ascii: "*") || ((first | 0x20) == UInt8(ascii: "x") && count >= 3)) { return true }
    // `[REDACTED]`, `[REDACTED:secret_pair]`, `[FILTERED]`, `<redacted>`, `<nil>`, `(hidden)`,
    // `{token}`: bracketed letters, spaces and `: _ -` only.
    if (first == UInt8(ascii: "[") && lastByte == UInt8(ascii: "]"))
      || (first == UInt8(ascii: "<") && lastByte == UInt8(ascii: ">"))
      || (first == UInt8(ascii: "(") && lastByte == UInt8(ascii: ")"))
      || (first == UInt8(ascii: "{") && lastByte == UInt8(ascii: "}"))
    {
      var plain = count > 2
      for k in (from + 1)..<(to - 1) {
        let c = p[k]
        if !(DetectorBytes.isLetter(c) || c == UInt8(ascii: " ") || c == UInt8(ascii: ":") || c == UInt8(ascii: "_")
          || c == UInt8(ascii: "-"))
        {
          plain = false
          break
        }
      }
      if plain { return true }
    }
    // Templates and format strings: `${DB_PASSWORD}`, `{{ .Values.token }}`, `%s`, `%v`.
    if count >= 2 && (first == UInt8(ascii: "$") || first == UInt8(ascii: "{")) && p[from + 1] == UInt8(ascii: "{") {
      return true
    }
    if count == 2 && first == UInt8(ascii: "%") && DetectorBytes.isLetter(lastByte) { return true }
    // Literals.
    switch count {
    case 1: return first == UInt8(ascii: "-")
    case 3: return SecretScan.hasFolded("nil", at: from, in: p, to)
    case 4:
      return SecretScan.hasFolded("true", at: from, in: p, to) || SecretScan.hasFolded("null", at: from, in: p, to)
        || SecretScan.hasFolded("none", at: from, in: p, to)
    case 5: return SecretScan.hasFolded("false", at: from, in: p, to)
    case 8:
      return SecretScan.hasFolded("redacted", at: from, in: p, to)
        || SecretScan.hasFolded("filtered", at: from, in: p, to)
    case 9: return SecretScan.hasFolded("undefined", at: from, in: p, to)
    default: return false
    }
  }
}
