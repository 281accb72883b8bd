/// The values of a `Cookie` or `Set-Cookie` header written inside a text, for
/// ``SecretPairDetector``: one match per cookie value, so names, attributes and the rest of
/// the line stay readable.
///
/// - `Cookie: sid=abc123; theme=dark` → `sid=[…]; theme=[…]`: every value (cookies are opaque
///   server state; which of them identify a user is the application's business).
/// - `Set-Cookie: sid=abc123; Path=/; Expires=Wed, 21 Oct 2026 07:28:00 GMT; HttpOnly` → only
///   the first pair is a cookie; the attributes after it stay.
/// - A value in double quotes (`sid="abc"`) is matched without them; a bare token without
///   `=` (`Cookie: 0f3a9c…`) is matched if it looks like a credential.
///
/// Extent: a quoted header (`"cookie":"a=b; c=d"`, `cookie='…'`, `\"…\"`) ends at its closing
/// quote; an unquoted one at a line end, a comma (no cookie holds one), a double quote that does not
/// open a value, or
/// whitespace that does not follow `;` — so `Cookie: a=b; c=d user=42` ends before `user`.
enum CookieHeader {
  /// Appends a match per cookie value of the header whose value starts at `v` (after the
  /// key's separator and any spaces). - Returns: the header's end, or nil if nothing matched.
  static func appendValues(
    _ p: UnsafePointer<UInt8>, _ n: Int, from v: Int, setCookie: Bool, rule: Int,
    into matches: inout [DetectorMatch]
  ) -> Int? {
    var start = v
    var quote: UInt8 = 0
    var escapedQuote = false
    if p[v] == UInt8(ascii: "\"") || p[v] == UInt8(ascii: "'") {
      quote = p[v]
      start = v + 1
    } else if p[v] == UInt8(ascii: "\\") && v + 1 < n && p[v + 1] == UInt8(ascii: "\"") {
      escapedQuote = true
      start = v + 2
    }
    // The header's end.
    var e = start
    while e < n {
      let c = p[e]
      if quote != 0 {
        if c == quote { break }
      } else if escapedQuote {
        if c == UInt8(ascii: "\\") && e + 1 < n && p[e + 1] == UInt8(ascii: "\"") { break }
      } else {
        if c == UInt8(ascii: "\"") && e > start && p[e - 1] == UInt8(ascii: "=") {
          // A quoted cookie value (`sid="abc"`): to its closing quote.
          var q = e + 1
          while q < n && p[q] != UInt8(ascii: "\"") && p[q] != UInt8(ascii: "\n") { q += 1 }
          if q < n && p[q] == UInt8(ascii: "\"") {
            e = q + 1
            continue
          }
        }
        if c == UInt8(ascii: "\r") || c == UInt8(ascii: "\n") || c == UInt8(ascii: "\"") || c == UInt8(ascii: ",") {
          break
        }
        if c == UInt8(ascii: "\\") && e + 1 < n && p[e + 1] == UInt8(ascii: "\"") { break }
        if (c == UInt8(ascii: " ") || c == UInt8(ascii: "\t")) && !(e > start && p[e - 1] == UInt8(ascii: ";")) {
          break
        }
      }
      e += 1
    }
    let limit = e
    let before = matches.count
    var k = start
    while k < limit {
      while k < limit && (p[k] == UInt8(ascii: " ") || p[k] == UInt8(ascii: "\t")) { k += 1 }
      // name[=value] up to `;`
      var end = k
      var eq = -1
      while end < limit && p[end] != UInt8(ascii: ";") {
        if eq < 0 && p[end] == UInt8(ascii: "=") { eq = end }
        end += 1
      }
      var vs = eq >= 0 ? eq + 1 : k
      var ve = end
      while ve > vs && (p[ve - 1] == UInt8(ascii: " ") || p[ve - 1] == UInt8(ascii: "\t")) { ve -= 1 }
      if ve - vs >= 2 && p[vs] == UInt8(ascii: "\"") && p[ve - 1] == UInt8(ascii: "\"") {
        vs += 1
        ve -= 1
      }
      if ve > vs && !SecretPairDetector.isPlaceholder(p, vs, ve)
        && (eq >= 0 || (!SecretPairDetector.opensBracket(p[vs]) && SecretPairDetector.looksLikeSecret(p, vs, ve)))
      {
        matches.append(DetectorMatch(range: vs..<ve, rule: rule))
      }
      if setCookie { break }
      k = end + 1
    }
    return matches.count > before ? e : nil
  }

  /// Whether the key ending at `ke` is `Set-Cookie` (any case, with `-`, `_`, `.` or no
  /// separator before `cookie`), given that it ends with `cookie`.
  static func isSetCookie(_ p: UnsafePointer<UInt8>, _ ke: Int) -> Bool {
    var k = ke - 6
    if k > 0 && SecretPairDetector.isSeparator(p[k - 1]) { k -= 1 }
    guard k >= 3 else { return false }
    return p[k - 3] | 0x20 == UInt8(ascii: "s") && p[k - 2] | 0x20 == UInt8(ascii: "e")
      && p[k - 1] | 0x20 == UInt8(ascii: "t")
  }
}
