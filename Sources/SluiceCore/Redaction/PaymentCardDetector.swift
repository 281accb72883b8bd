/// Detects payment card numbers (PANs).
///
/// A card number is 14–19 digits, written either as one run (`4111111111111111`) or in
/// groups, each gap one space, dash or dot (they may differ: `4111 1111-1111.1111`):
/// `4-4-4-4` (and the shorter or longer `4-4-4-2…3`, `4-4-4-4-1…3`) or the Amex/Diners
/// `4-6-5` and `4-6-4`. A number may sit between any non-word bytes (`card=…;`, `cc:…,`,
/// `[…]`, `|…|`, `"…"`). It must pass the Luhn check *and* start with a known issuer prefix,
/// with a length that issuer uses:
///
/// | issuer     | prefixes                          | lengths |
/// |------------|-----------------------------------|---------|
/// | Visa       | 4                                 | 16, 19 |
/// | Mastercard | 51–55, 2221–2720                  | 16 |
/// | Amex       | 34, 37                            | 15 |
/// | Discover   | 6011, 644–649, 65                 | 16–19 |
/// | JCB        | 3528–3589                         | 16–19 |
/// | Diners     | 300–305, 36, 38–39                | 14–19 |
/// | UnionPay   | 62                                | 16–19 |
/// | Maestro    | 50, 56–58, 6304, 6759, 6761–6763  | 16–19 |
///
/// Deliberately not matched: digits inside identifiers or longer digit runs
/// (`order_4111111111111111`, `41111111111111110`), numbers continuing a dash or dot chain
/// on either side (`2026-4111111111111111`, `0.4111111111111111`, `4111111111111111.5`,
/// `1.4111.1111.1111.1111`, `4111.1111.1111.1111.2222`: a dotted or dashed number must be
/// exactly the groups, so version strings and IPv4-like chains stay out), space-separated
/// groups continuing a chain of four-character groups (IBANs), numbers after `+` (E.164
/// phone numbers), Luhn-valid numbers without an issuer prefix (epoch micro/nanoseconds
/// start with `1`), and doubled or multi-byte separators (`4111  1111…`, `4111--1111…`,
/// `4111 - 1111…`). The 13-digit Visa and 12–15-digit Maestro lengths are left out on
/// purpose: no longer issued, and they collide with EAN-13 barcodes (German `40…`–`44…`,
/// British `50…`, Danish `57…`), which are Luhn-valid one time in ten.
public struct PaymentCardDetector: Detector {
  public let name = "card"
  public var requires: ByteClasses { [.digit] }
  public var minimumLength: Int { 14 }  // Diners
  public var minimumDigits: Int { 14 }
  /// A run after a word byte is skipped as part of an identifier; the other groups follow
  /// separators.
  public var minimumStandaloneDigits: Int { 14 }

  public init() {}

  /// `partial` keeps the last four digits: `[REDACTED:card:1111]`.
  public func appendKept(from match: UnsafeRawBufferPointer, to out: inout [UInt8]) {
    DetectorBytes.appendLastDigits(4, of: match, to: &out)
  }

  /// Luhn: the value of a doubled digit.
  static let doubled: [UInt8] = [0, 2, 4, 6, 8, 1, 3, 5, 7, 9]

  public func detect(in text: UnsafeRawBufferPointer, rule: Int, into matches: inout [DetectorMatch]) {
    guard let p = text.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
    let n = text.count
    if n < 14 { return }
    NumberScan.kinds.withUnsafeBufferPointer { kinds in
      Self.doubled.withUnsafeBufferPointer { doubled in
        var i = 0
        while true {
          // Jump to the next run of four digits (16 positions per step): every form starts with one.
          i = NumberScan.nextDigitRun(p, n, from: i, 4)
          if n - i < 14 { break }
          var e = i + 4
          while e < n && DetectorBytes.isDigit(p[e]) { e += 1 }
          if (i > 0 && kinds[Int(p[i - 1])] == 2) || (e < n && kinds[Int(p[e])] == 2) {
            // Part of an identifier (`order_4111…`, `4111…x`).
            i = e
            continue
          }
          if let end = Self.match(p, n, i, e, kinds, doubled) {
            matches.append(DetectorMatch(range: i..<end, rule: rule))
            i = end
          } else {
            i = e
          }
        }
      }
    }
  }

  /// The end of the card number starting with the digit run `s..<e`, if there is one.
  @inline(__always)
  static func match(
    _ p: UnsafePointer<UInt8>, _ n: Int, _ s: Int, _ e: Int, _ kinds: UnsafeBufferPointer<UInt8>,
    _ doubled: UnsafeBufferPointer<UInt8>
  ) -> Int? {
    let run = e - s
    if run != 4 && (run < 13 || run > 19) { return nil }
    // Cheap rejection before anything else: no issuer starts with 0, 1, 7, 8 or 9.
    let first = p[s] &- UInt8(ascii: "0")
    if first < 2 || first > 6 { return nil }
    if !leftBoundary(p, s) { return nil }
    if run >= 13 {
      return rightBoundary(p, n, e) && valid(p, s, e, digits: run, doubled) ? e : nil
    }
    // Grouped: 4 digits, then groups each after one separator byte (space, `-` or `.`).
    guard e + 1 < n, isSeparator(p[e]), DetectorBytes.isDigit(p[e + 1]) else { return nil }
    var lens = SIMD8<Int>()
    var ends = SIMD8<Int>()
    lens[0] = 4
    ends[0] = e
    var count = 1
    var pos = e
    var spaced = false
    while count < 5 && pos + 1 < n && isSeparator(p[pos]) && DetectorBytes.isDigit(p[pos + 1]) {
      var q = pos + 1
      while q < n && DetectorBytes.isDigit(p[q]) { q += 1 }
      let len = q - pos - 1
      if len > 6 || (q < n && kinds[Int(p[q])] == 2) { break }
      if p[pos] == UInt8(ascii: " ") { spaced = true }
      lens[count] = len
      ends[count] = q
      count += 1
      pos = q
    }
    if count < 3 { return nil }
    if spaced && continuesGroupsLeft(p, s) { return nil }
    // Longest acceptable grouping first. A candidate must end at a boundary; after a dash or
    // dot that means the whole chain (a following `-digit` or `.digit` fails the boundary check).
    var m = count
    while m >= 3 {
      var ok: Bool
      switch m {
      case 3: ok = lens[1] == 6 && (lens[2] == 5 || lens[2] == 4)
      case 4: ok = lens[1] == 4 && lens[2] == 4 && lens[3] >= 1 && lens[3] <= 4
      default: ok = lens[1] == 4 && lens[2] == 4 && lens[3] == 4 && lens[4] >= 1 && lens[4] <= 3
      }
      if ok {
        var digits = 0
        for g in 0..<m { digits += lens[g] }
        let end = ends[m - 1]
        if rightBoundary(p, n, end) && valid(p, s, end, digits: digits, doubled) { return end }
      }
      m -= 1
    }
    return nil
  }

  /// A byte that may separate two groups: space, `-` or `.`.
  @inline(__always)
  static func isSeparator(_ c: UInt8) -> Bool {
    c == UInt8(ascii: " ") || c == UInt8(ascii: "-") || c == UInt8(ascii: ".")
  }

  /// Not continuing a number to the left: `+4111…`, `1.4111…`, `12-4111…`.
  @inline(__always)
  static func leftBoundary(_ p: UnsafePointer<UInt8>, _ s: Int) -> Bool {
    if s == 0 { return true }
    let c = p[s - 1]
    if c == UInt8(ascii: "+") { return false }
    if (c == UInt8(ascii: ".") || c == UInt8(ascii: "-")) && s >= 2 && DetectorBytes.isDigit(p[s - 2]) { return false }
    return true
  }

  /// Whether the groups at `s` (some gap a space) continue a chain of four-character groups to
  /// the left (`VA84 5090 4551 7687 8673 247`, an IBAN; `1234 4111 1111 1111 1111`): a
  /// four-letter-or-digit word with a digit in it, one space before `s`.
  @inline(__always)
  static func continuesGroupsLeft(_ p: UnsafePointer<UInt8>, _ s: Int) -> Bool {
    guard s >= 5, p[s - 1] == UInt8(ascii: " ") else { return false }
    if s >= 6 && DetectorBytes.isWordByte(p[s - 6]) { return false }
    var digit = false
    for k in (s - 5)..<(s - 1) {
      let c = p[k]
      if !DetectorBytes.isAlphanumeric(c) { return false }
      if DetectorBytes.isDigit(c) { digit = true }
    }
    return digit
  }

  /// Not continuing a number to the right: `…1111.5`, `…1111-2`.
  @inline(__always)
  static func rightBoundary(_ p: UnsafePointer<UInt8>, _ n: Int, _ e: Int) -> Bool {
    if e + 1 >= n { return true }
    let c = p[e]
    if (c == UInt8(ascii: ".") || c == UInt8(ascii: "-")) && DetectorBytes.isDigit(p[e + 1]) { return false }
    return true
  }

  /// Issuer prefix and length, then the Luhn check over the digits of `s..<e`.
  @inline(__always)
  static func valid(
    _ p: UnsafePointer<UInt8>, _ s: Int, _ e: Int, digits: Int, _ doubled: UnsafeBufferPointer<UInt8>
  ) -> Bool {
    // Every accepted form starts with at least four contiguous digits.
    let d1 = Int(p[s] &- 48)
    let d2 = d1 * 10 + Int(p[s + 1] &- 48)
    let d3 = d2 * 10 + Int(p[s + 2] &- 48)
    let d4 = d3 * 10 + Int(p[s + 3] &- 48)
    if !issuer(d1, d2, d3, d4, length: digits) { return false }
    var sum = 0
    var double = false
    var k = e
    while k > s {
      k -= 1
      let d = p[k] &- 48
      if d >= 10 { continue }
      sum += Int(double ? doubled[Int(d)] : d)
      double.toggle()
    }
    return sum % 10 == 0
  }

  /// Whether a card of `length` digits starting with these prefixes has a known issuer.
  @inline(__always)
  static func issuer(_ d1: Int, _ d2: Int, _ d3: Int, _ d4: Int, length: Int) -> Bool {
    switch d1 {
    case 2:  // Mastercard 2-series
      return d4 >= 2221 && d4 <= 2720 && length == 16
    case 3:
      if d2 == 34 || d2 == 37 { return length == 15 }  // Amex
      if d4 >= 3528 && d4 <= 3589 { return length >= 16 }  // JCB
      if (d3 >= 300 && d3 <= 305) || d2 == 36 || d2 == 38 || d2 == 39 { return length >= 14 }  // Diners
      return false
    case 4:  // Visa
      return length == 16 || length == 19
    case 5:
      if d2 >= 51 && d2 <= 55 { return length == 16 }  // Mastercard
      if d2 == 50 || (d2 >= 56 && d2 <= 58) { return length >= 16 }  // Maestro
      return false
    case 6:
      if d4 == 6011 || (d3 >= 644 && d3 <= 649) || d2 == 65 { return length >= 16 }  // Discover
      if d2 == 62 { return length >= 16 }  // UnionPay
      if d4 == 6304 || d4 == 6759 || (d4 >= 6761 && d4 <= 6763) { return length >= 16 }  // Maestro
      return false
    default:
      return false
    }
  }
}
