/// Detects telephone numbers written the way people write them.
///
/// Matched (a "group" is a run of digits; groups are separated by one space, `-`, `.`, or a
/// pair of parentheses around one group; separators may be mixed in international numbers):
/// - E.164 with `+` (or URL-encoded `%2B`), 10–15 digits, the first not `0`: `+14155552671`,
///   or grouped with a country-code group of 1–3 digits: `+1 (415) 555-2671`,
///   `+44 20 7946 0958`, `+49-30-901820`, `+49 (0)30 901820`, `+33 1 23 45 67 89`,
///   `+44.20.7946.0958`, `+49 30-901820`, `+1 415.555.2671`, `+33 (0)1 23 45 67 89`. (The few
///   territories whose numbers have fewer than 10 digits in all are not matched.)
/// - `00` and an assigned ITU-T country code (``isCountryCode``), 10–15 digits after the `00`:
///   grouped as with `+`, the code alone in the first group (`0044 20 7946 0958`, `0049-30-901820`,
///   `0044 (0)20 7946 0958`), or one run starting with a country code (`00441632960961`).
/// - NANP: `(415) 555-2671`, `(415)555-2671`, `415-555-2671`, `415.555.2671`,
///   `1-800-555-0199`, `1 (800) 555-0199` — area code and exchange starting with 2–9; a
///   bare `415 555 2671` (spaces only) needs a keyword (below).
/// - Numbers with a trunk `0` (then 1–9): French pairs `01 23 45 67 89` (also with `.` or `-`),
///   and two or three groups, the first of 3–5 digits and the others of 3–8, 9–11 digits in
///   all (10–11 for three groups), separated by spaces or dashes, or `/` for two
///   (`020 7946 0958`, `07700 900123`, `0161 496 0000`, `030 901820`, `030-901820`,
///   `030/901820`, `(030) 901820`, `(020) 7946 0958`).
/// - With a keyword — `tel`, `telephone`, `phone`, `mobile`, `cell`, `cellphone`, `call`, `fax`,
///   `msisdn`, any case, as a word or word prefix (`phone_number`, `mobilePhone`) ending at most
///   24 bytes before the number with no digit in between: also bare runs of 10 digits (NANP:
///   `4155552671`), 11 (`14155552671`) or 10–12 with a trunk 0 (`07700900123`), the space-
///   separated NANP forms, and 7-digit local numbers `555-2671`.
/// - Any of these with an extension, included in the match (``extensionEnd``): `… 2671 ext. 204`,
///   `… 2671 x204`, `…2671x204`, `… 0958;ext=123`, `… 2671 extension 5`.
///
/// Deliberately not matched: digit runs without `+`, `00`, grouping or keyword (order ids, epoch
/// seconds and millis, byte counts); dates (`2026-11-23`, `23.11.2026`, `11/23/2026`), times,
/// IPv4 addresses, versions, prices, durations, ranges (`100-200`), card numbers
/// (`4111 1111 1111 1111`), SSNs (`123-45-6789`), ISBNs, ZIP+4; any number touching a word
/// byte, or preceded by `.`, `,`, `-`, `/`, `+`, `$`, `@`, or by a digit and one space or `:`
/// (a number in the middle of a run of numbers is not matched), or followed by `,digit`,
/// `:digit`, `+digit`, or `-`, `.`, `/` and a word byte (`0161-496-0000-X`); `+` numbers with a 4-digit
/// first group (`+4930 901820`); `00` numbers with a spare code (`0012 3456`, `00422 123 456 789`),
/// more than the code in the first group (`004930 901820`), `00 44 …`, `/`, a later group of 3+
/// digits starting with `00` (hex dumps: `0030 0031 0032`), or over 15 digits (`0044207946095812345`);
/// `-12` as an extension (`+49 30 901820-12` is one number's groups); extensions of 7+ digits or
/// touching a word byte (`… x204abc` yields the number alone); national formats of other
/// countries than the above unless written with `+` or `00`. When a number is
/// followed by a space and more digits, the trailing group is dropped only if the number's
/// own last separator is not a space: `(415) 555-2671 200 OK` yields `(415) 555-2671`, while
/// `01 23 45 67 89 10` (a run of pairs) is not a number.
public struct PhoneDetector: Detector {
  public let name = "phone"
  public var requires: ByteClasses { [.digit] }
  public var minimumLength: Int { 7 }
  public var minimumDigits: Int { 7 }
  /// Every group of a number follows a separator, `(` or `+`, never a word byte (a first
  /// group after one is skipped), so all seven digits are standalone.
  public var minimumStandaloneDigits: Int { 7 }

  public init() {}

  /// `partial` keeps the last two digits after an `x`: `[REDACTED:phone:x71]`, which no
  /// detector can match.
  public func appendKept(from match: UnsafeRawBufferPointer, to out: inout [UInt8]) {
    var last: UInt8 = 0
    var lastButOne: UInt8 = 0
    var digits = 0
    for b in match where DetectorBytes.isDigit(b) {
      lastButOne = last
      last = b
      digits += 1
    }
    guard digits >= 2 else { return }
    out.append(UInt8(ascii: "x"))
    out.append(lastButOne)
    out.append(last)
  }

  public func detect(in text: UnsafeRawBufferPointer, rule: Int, into matches: inout [DetectorMatch]) {
    guard let p = text.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
    let n = text.count
    var i = 0
    while true {
      i = Self.nextDigit(p, n, i)
      if i >= n { return }
      let before: UInt8 = i > 0 ? p[i - 1] : 0
      var s = i  // where the match would start
      var q = i  // where its groups start: the first digit or `(`
      var plus = false
      if p[i] == UInt8(ascii: "2") && before == UInt8(ascii: "%") && i + 2 < n
        && p[i + 1] | 0x20 == UInt8(ascii: "b") && DetectorBytes.isDigit(p[i + 2])
      {
        s = i - 1  // `%2B`, a URL-encoded `+`
        q = i + 2
        plus = true
      } else if before == UInt8(ascii: "(") {
        s = i - 1
        q = i - 1
      } else if DetectorBytes.isWordByte(before) {
        i = max(Self.wordEnd(p, n, i), i + 1)
        continue
      } else {
        if before == UInt8(ascii: "+") {
          s = i - 1
          plus = true
        }
        // Fast rejection of most numbers (`200`, `12ms`, `2026-11-23`, `+0530`) by their first
        // group alone, or a bad byte before.
        var e = i + 1
        while e < n && DetectorBytes.isDigit(p[e]) { e += 1 }
        if !Self.canStart(p, n, i, e, plus) || !Self.precededByBoundary(p, s) {
          i = e
          i = Self.wordEnd(p, n, i)
          continue
        }
      }
      var run = Run(p, n, q)
      if run.count == 0 && q < i {
        // `(415.555.2671)`: not a parenthesised group; try the digits alone.
        s = i
        q = i
        run = Run(p, n, q)
      }
      if let end = Self.number(p, n, s, run, plus) {
        matches.append(DetectorMatch(range: s..<end, rule: rule))
        i = end
      } else {
        i = max(run.end, i + 1)
        i = Self.wordEnd(p, n, i)
      }
    }
  }

  /// The position of the first digit at or after `i`, or `n`; eight bytes at a time.
  @inline(__always)
  static func nextDigit(_ p: UnsafePointer<UInt8>, _ n: Int, _ from: Int) -> Int {
    var i = from
    let raw = UnsafeRawPointer(p)
    while i + 8 <= n {
      // Per byte: t = b ^ 0x30 is below 10 exactly for digits. (t & 0x7F) + 0x76 sets the high
      // bit when the low seven bits are 10 or more, and cannot carry into the next byte.
      let t = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)) ^ 0x3030_3030_3030_3030
      let high: UInt64 = 0x8080_8080_8080_8080
      let digits = ~(((t & 0x7F7F_7F7F_7F7F_7F7F) &+ 0x7676_7676_7676_7676) | t) & high
      if digits != 0 { return i + digits.trailingZeroBitCount >> 3 }
      i += 8
    }
    while i < n && !DetectorBytes.isDigit(p[i]) { i += 1 }
    return i
  }

  /// The end of the run of word bytes (`A–Z a–z 0–9 _`) at `from`; eight bytes at a time.
  @inline(__always)
  static func wordEnd(_ p: UnsafePointer<UInt8>, _ n: Int, _ from: Int) -> Int {
    var i = from
    let raw = UnsafeRawPointer(p)
    let high: UInt64 = 0x8080_8080_8080_8080
    let low7: UInt64 = 0x7F7F_7F7F_7F7F_7F7F
    while i + 8 <= n {
      let x = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i, as: UInt64.self))
      // Each test sets a byte's high bit; `& low7` first keeps additions from carrying.
      let t = x ^ 0x3030_3030_3030_3030  // digits: 0...9
      let digit = ~(((t & low7) &+ 0x7676_7676_7676_7676) | t)
      let u = (x | 0x2020_2020_2020_2020) ^ 0x6060_6060_6060_6060  // letters: 1...26
      let letter = ((u & low7) &+ low7) & ~((u & low7) &+ 0x6565_6565_6565_6565) & ~u
      let e = x ^ 0x5F5F_5F5F_5F5F_5F5F  // `_`: 0
      let underscore = ~(((e & low7) &+ low7) | e)
      let other = ~(digit | letter | underscore) & high
      if other != 0 { return i + other.trailingZeroBitCount >> 3 }
      i += 8
    }
    while i < n && DetectorBytes.isWordByte(p[i]) { i += 1 }
    return i
  }

  /// Whether a number (not starting with `(`) can start with the group `i..<e`: in every
  /// accepted format the first group is `1`, `0x`, 3 digits, `0xxx`, `0xxxx`, or a whole
  /// number of 10–12 digits (15 after `+`, 17 after `00`); all but the last need another group after them.
  @inline(__always)
  static func canStart(_ p: UnsafePointer<UInt8>, _ n: Int, _ i: Int, _ e: Int, _ plus: Bool) -> Bool {
    let len = e - i
    let first = p[i]
    if plus {
      if first == UInt8(ascii: "0") { return false }
      if len >= 10 { return len <= 15 }
      return len <= 3 && continues(p, n, e)
    }
    switch len {
    case 1: guard first == UInt8(ascii: "1") else { return false }
    case 2, 4, 5: guard first == UInt8(ascii: "0") else { return false }
    case 3: break
    case 10...12: return true
    case 13...17: return first == UInt8(ascii: "0") && p[i + 1] == UInt8(ascii: "0")  // `00` and 11–15 digits
    default: return false
    }
    return continues(p, n, e)
  }

  /// Whether another group can follow a group ending at `e`.
  @inline(__always)
  static func continues(_ p: UnsafePointer<UInt8>, _ n: Int, _ e: Int) -> Bool {
    guard e + 1 < n else { return false }
    let c = p[e]
    let d = p[e + 1]
    if c == UInt8(ascii: "(") { return DetectorBytes.isDigit(d) }
    guard c == UInt8(ascii: " ") || c == UInt8(ascii: "-") || c == UInt8(ascii: ".") || c == UInt8(ascii: "/") else {
      return false
    }
    return DetectorBytes.isDigit(d) || (c == UInt8(ascii: " ") && d == UInt8(ascii: "("))
  }

  /// The end of the number starting at `s` whose groups are `run`, or nil.
  @inline(__always)
  static func number(_ p: UnsafePointer<UInt8>, _ n: Int, _ s: Int, _ run: Run, _ plus: Bool) -> Int? {
    guard run.count > 0, run.digits >= 7, precededByBoundary(p, s) else { return nil }
    var context: Bool?  // computed when first needed
    var k = run.count
    while k > 0 {
      var end = Int(run.after[k - 1])
      var boundary = true
      if k == run.count, let e = extensionEnd(p, n, end) {
        end = e  // `… 2671 ext. 204`, `…2671x204`, `…0958;ext=123`
      } else if k == run.count && end < n {
        let c = p[end]
        if DetectorBytes.isWordByte(c) {
          boundary = false
        } else if end + 1 < n && DetectorBytes.isDigit(p[end + 1])
          && (c == UInt8(ascii: ",") || c == UInt8(ascii: ":") || c == UInt8(ascii: "+"))
        {
          // `415-555-2671,5`, `…:80` — but not `…2671,0@b.co`: an e-mail address follows, and
          // masking it would leave the number standing alone for a second pass.
          boundary = c != UInt8(ascii: "+") && localPartRunsIntoAt(p, n, end + 1)
        } else if end + 1 < n && DetectorBytes.isWordByte(p[end + 1])
          && (c == UInt8(ascii: "-") || c == UInt8(ascii: ".") || c == UInt8(ascii: "/"))
        {
          boundary = false  // a part of a longer code: `0161-496-0000-X`, `415.555.2671.txt`
        }
      }
      if boundary {
        switch classify(p, run, k, plus) {
        case .yes: return end
        case .withKeyword:
          if context == nil { context = keywordBefore(p, s) }
          if context == true { return end }
        case .no: break
        }
      }
      // Drop the last group if a space separates it from a number whose last separator is
      // not a space: `(415) 555-2671 200`, not `01 23 45 67 89 10`.
      if run.seps[k - 1] != UInt8(ascii: " ") || k >= 3 && run.seps[k - 2] == UInt8(ascii: " ") { return nil }
      k -= 1
    }
    return nil
  }

  /// Whether the bytes from `from` are an e-mail address's local part: letters, digits and
  /// `._%+-` up to an `@` (at most 64 bytes, the longest local part).
  @inline(__always)
  static func localPartRunsIntoAt(_ p: UnsafePointer<UInt8>, _ n: Int, _ from: Int) -> Bool {
    var i = from
    while i < n && i - from <= 64 {
      let c = p[i]
      if c == UInt8(ascii: "@") { return i > from }
      guard
        DetectorBytes.isWordByte(c) || c == UInt8(ascii: ".") || c == UInt8(ascii: "%") || c == UInt8(ascii: "+")
          || c == UInt8(ascii: "-")
      else { return false }
      i += 1
    }
    return false
  }

  /// The groups of digits of a candidate number.
  struct Run {
    /// Groups found (at most 8), or 0 if the run is not a number (a group of more than 15
    /// digits — 17 for a first group starting with `00` —, more than 8 groups, an unclosed
    /// parenthesis).
    var count = 0
    /// Total digits in the groups.
    var digits = 0
    /// Start and end of each group's digits.
    var start = SIMD8<Int32>()
    var stop = SIMD8<Int32>()
    /// Where each group ends, its closing parenthesis included.
    var after = SIMD8<Int32>()
    /// The separator before each group: space, `-`, `.`, `/`, or 0 (none, next to parentheses).
    var seps = SIMD8<UInt8>()
    /// The group written in parentheses, or -1.
    var paren = -1
    /// Where the scan stopped: the candidate's bytes end here.
    var end = 0

    @inline(__always)
    init(_ p: UnsafePointer<UInt8>, _ n: Int, _ q: Int) {
      var pos = q
      var sep: UInt8 = 0
      while true {
        var open = false
        if p[pos] == UInt8(ascii: "(") {
          open = true
          pos += 1
        }
        let ds = pos
        let zero = UInt8(ascii: "0")
        let limit = count == 0 && ds + 1 < n && p[ds] == zero && p[ds + 1] == zero ? 17 : 15
        while pos < n && DetectorBytes.isDigit(p[pos]) && pos - ds <= limit { pos += 1 }
        if !open && pos < n && !DetectorBytes.isDigit(p[pos]) && p[pos] != UInt8(ascii: " ")
          && PhoneDetector.localPartRunsIntoAt(p, n, ds)
        {
          // The local part of an e-mail address (`… 115 4111010@b.co`, `… 555 0a@b.co`): the
          // number, if there is one, ended before this group. Counting it in changed the
          // number, so the phone stayed until the e-mail was masked, and a second pass then
          // found it.
          return
        }
        if open && (pos >= n || p[pos] != UInt8(ascii: ")")) {
          return  // `415-555-2671 (5 attempts)`: the number ends before the parenthesis
        }
        if pos - ds > limit || count == 8 {
          while pos < n && DetectorBytes.isDigit(p[pos]) { pos += 1 }
          end = pos
          count = 0
          return
        }
        start[count] = Int32(ds)
        stop[count] = Int32(pos)
        seps[count] = sep
        digits += pos - ds
        if open {
          paren = count
          pos += 1
        }
        after[count] = Int32(pos)
        count += 1
        end = pos
        guard pos + 1 < n else { return }
        let c = p[pos]
        let d = p[pos + 1]
        if open && DetectorBytes.isDigit(c) {
          sep = 0  // `(0)20`, `(415)555`
        } else if c == UInt8(ascii: "(") && paren < 0 && DetectorBytes.isDigit(d) {
          sep = 0  // `+1(415)`
        } else if c == UInt8(ascii: " ") || c == UInt8(ascii: "-") || c == UInt8(ascii: ".") || c == UInt8(ascii: "/") {
          if DetectorBytes.isDigit(d) {
            sep = c
            pos += 1
          } else if c == UInt8(ascii: " ") && d == UInt8(ascii: "(") && paren < 0 && pos + 2 < n
            && DetectorBytes.isDigit(p[pos + 2])
          {
            sep = c
            pos += 1
          } else {
            return
          }
        } else {
          return
        }
      }
    }
  }

  enum Verdict { case yes, no, withKeyword }

  /// Whether the first `k` groups of `run` form a number.
  @inline(__always)
  static func classify(_ p: UnsafePointer<UInt8>, _ run: Run, _ k: Int, _ plus: Bool) -> Verdict {
    var digits = 0
    for j in 0..<k { digits += Int(run.stop[j] - run.start[j]) }
    @inline(__always) func len(_ j: Int) -> Int { Int(run.stop[j] - run.start[j]) }
    @inline(__always) func digit(_ j: Int, _ q: Int) -> UInt8 { p[Int(run.start[j]) + q] }
    let zero = UInt8(ascii: "0")
    // `00`, then a country code: the first group is `00` and the code, or the whole number.
    let international = !plus && len(0) >= 3 && digit(0, 0) == zero && digit(0, 1) == zero
    let significant = international ? digits - 2 : digits
    guard significant >= 7 && significant <= 15 else { return .no }
    @inline(__always) func sep(_ j: Int) -> UInt8 { run.seps[j] }
    @inline(__always) func from2(_ c: UInt8) -> Bool { c &- UInt8(ascii: "2") < 8 }
    let paren = run.paren < k ? run.paren : -1
    let first = digit(0, 0)
    let space = UInt8(ascii: " ")
    let dash = UInt8(ascii: "-")
    let dot = UInt8(ascii: ".")

    if plus {
      guard first != UInt8(ascii: "0"), paren != 0 else { return .no }
      guard digits >= 10 else { return .no }
      if k == 1 { return .yes }
      guard len(0) <= 3 else { return .no }
      for j in 1..<k where sep(j) == UInt8(ascii: "/") { return .no }
      return .yes
    }
    if international {
      guard significant >= 10, paren != 0 else { return .no }
      let start = Int(run.start[0]) + 2
      if k == 1 { return countryCodeLength(p, start) > 0 ? .yes : .no }
      guard len(0) <= 5 && isCountryCode(p, start, len(0) - 2) else { return .no }
      // No group of 3 or more digits after the code starts with `00` (`0030 0031 0032`, hex dumps).
      for j in 1..<k where sep(j) == UInt8(ascii: "/") || len(j) >= 3 && digit(j, 0) == zero && digit(j, 1) == zero {
        return .no
      }
      return .yes
    }

    /// NANP area code and exchange at groups `j` and `j + 1`, subscriber at `j + 2`.
    @inline(__always) func nanp(_ j: Int) -> Bool {
      len(j) == 3 && len(j + 1) == 3 && len(j + 2) == 4 && from2(digit(j, 0)) && from2(digit(j + 1, 0))
    }
    @inline(__always) func lineSep(_ c: UInt8) -> Bool { c == dash || c == dot || c == space }
    @inline(__always) func parenSep(_ c: UInt8) -> Bool { c == space || c == 0 || c == dash }

    if k == 3 && nanp(0) {
      if paren == 0 { return parenSep(sep(1)) && lineSep(sep(2)) ? .yes : .no }
      if paren < 0 && sep(1) == sep(2) {
        if sep(1) == dash || sep(1) == dot { return .yes }
        if sep(1) == space { return .withKeyword }
      }
      return .no
    }
    if k == 4 && len(0) == 1 && first == UInt8(ascii: "1") && nanp(1) {
      if paren == 1 { return parenSep(sep(1)) && parenSep(sep(2)) && lineSep(sep(3)) ? .yes : .no }
      if paren < 0 && sep(1) == sep(2) && sep(2) == sep(3) {
        if sep(1) == dash || sep(1) == dot { return .yes }
        if sep(1) == space { return .withKeyword }
      }
      return .no
    }
    let trunk = first == UInt8(ascii: "0") && len(0) >= 2 && digit(0, 1) != UInt8(ascii: "0")
    if trunk && k == 5 && paren < 0 {
      for j in 0..<5 where len(j) != 2 { return .no }
      let c = sep(1)
      guard c == space || c == dot || c == dash else { return .no }
      for j in 2..<5 where sep(j) != c { return .no }
      return .yes
    }
    if trunk && (k == 2 || k == 3) && digits <= 11 {
      guard len(0) >= 3 && len(0) <= 5 && digits >= 7 + k else { return .no }
      for j in 1..<k where len(j) < 3 || len(j) > 8 { return .no }
      if paren == 0 {
        guard sep(1) == space || sep(1) == 0 else { return .no }
        return k == 2 || sep(2) == space ? .yes : .no
      }
      if paren > 0 { return .no }
      if k == 2 && sep(1) == UInt8(ascii: "/") { return .yes }
      guard sep(1) == space || sep(1) == dash else { return .no }
      return k == 2 || sep(2) == sep(1) ? .yes : .no
    }
    // Weaker shapes, accepted after a keyword.
    guard paren < 0 else { return .no }
    if k == 1 {
      if digits == 10 && from2(first) && from2(digit(0, 3)) { return .withKeyword }
      if digits == 11 && first == UInt8(ascii: "1") && from2(digit(0, 1)) && from2(digit(0, 4)) {
        return .withKeyword
      }
      if trunk && digits >= 10 && digits <= 12 { return .withKeyword }
      return .no
    }
    if k == 2 && len(0) == 3 && len(1) == 4 && from2(first) && lineSep(sep(1)) { return .withKeyword }
    return .no
  }

  /// Whether a number may start at `s`.
  @inline(__always)
  static func precededByBoundary(_ p: UnsafePointer<UInt8>, _ s: Int) -> Bool {
    guard s > 0 else { return true }
    switch p[s - 1] {
    case UInt8(ascii: "."), UInt8(ascii: ","), UInt8(ascii: "-"), UInt8(ascii: "/"), UInt8(ascii: "+"),
      UInt8(ascii: "$"), UInt8(ascii: "@"):
      return false
    case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: ":"):
      // Not in the middle of a run of numbers (`1 415 555 2671`, `12:4155552671`).
      return s < 2 || !DetectorBytes.isDigit(p[s - 2])
    case let b:
      return !DetectorBytes.isWordByte(b)
    }
  }

  static let keywords: [[UInt8]] = [
    "tel", "telephone", "phone", "mobile", "cell", "cellphone", "call", "fax", "msisdn",
  ]
  .map { Array($0.utf8) }

  /// Whether a keyword ends at most 24 bytes before `s`, with no digit in between: a word
  /// starting with it (case-insensitively), the next byte not a lowercase letter, and not the
  /// rule name in an earlier pass's marker (`[REDACTED:phone]`).
  static func keywordBefore(_ p: UnsafePointer<UInt8>, _ s: Int) -> Bool {
    var lo = s
    while lo > 0 && s - lo < 24 && !DetectorBytes.isDigit(p[lo - 1]) { lo -= 1 }
    var t = lo
    while t < s {
      if DetectorBytes.isLetter(p[t]) && (t == 0 || !DetectorBytes.isLetter(p[t - 1])) {
        for word in keywords {
          let m = word.count
          guard t + m <= s else { continue }
          var equal = true
          for q in 0..<m where p[t + q] | 0x20 != word[q] {
            equal = false
            break
          }
          if equal && (t + m == s || p[t + m] &- UInt8(ascii: "a") >= 26)
            && !DetectorBytes.isMarkerRuleName(p, t)
          {
            return true
          }
        }
      }
      t += 1
    }
    return false
  }
}
