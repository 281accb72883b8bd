/// Detects International Bank Account Numbers (ISO 13616).
///
/// An IBAN is two uppercase country letters, two check digits and the country's BBAN
/// (11–30 uppercase letters and digits), written as one run (`DE89370400440532013000`) or in
/// groups of four separated by single spaces, the last group shorter if need be
/// (`DE89 3704 0044 0532 0130 00`). It is matched only if the country is in the IBAN
/// registry, the length is that country's IBAN length, every BBAN position has the kind of
/// character the registry's BBAN format prescribes there (digit, letter, or either), and
/// the ISO 7064 mod-97 check gives 1 (computed byte by byte, without big integers).
///
/// Deliberately not matched: lowercase IBANs, IBANs inside identifiers (word boundaries
/// on both sides), other groupings (`DE89 37040044 0532013000`), and anything with the wrong
/// length, format or check digits — so SWIFT/BIC codes (`DEUTDEFF500`), uppercase hex ids
/// and other country-prefixed references are left alone.
public struct IBANDetector: Detector {
  public let name = "iban"
  public var requires: ByteClasses { [.upper, .digit] }
  public var minimumLength: Int { 15 }  // Norway
  /// The two check digits at least (some countries' account parts are mostly letters).
  public var minimumDigits: Int { 2 }

  public init() {}

  /// `partial` keeps the country code and the last four characters: `[REDACTED:iban:DE-3000]`.
  public func appendKept(from match: UnsafeRawBufferPointer, to out: inout [UInt8]) {
    guard match.count >= 8 else { return }
    out.append(match[0])
    out.append(match[1])
    out.append(UInt8(ascii: "-"))
    var k = match.count
    var kept = 0
    while k > 4 && kept < 4 {
      k -= 1
      if DetectorBytes.isAlphanumeric(match[k]) { kept += 1 }
    }
    for b in match[k...] where DetectorBytes.isAlphanumeric(b) { out.append(b) }
  }

  /// The IBAN registry: country, IBAN length, BBAN format (`n` digits, `a` uppercase
  /// letters, `c` either).
  static let registry: [(country: String, length: Int, bban: String)] = [
    ("AD", 24, "4n4n12c"), ("AE", 23, "3n16n"), ("AL", 28, "8n16c"), ("AT", 20, "5n11n"),
    ("AZ", 28, "4a20c"), ("BA", 20, "3n3n8n2n"), ("BE", 16, "3n7n2n"), ("BG", 22, "4a4n2n8c"),
    ("BH", 22, "4a14c"), ("BI", 27, "5n5n11n2n"), ("BR", 29, "8n5n10n1a1c"), ("BY", 28, "4c4n16c"),
    ("CH", 21, "5n12c"), ("CR", 22, "4n14n"), ("CY", 28, "3n5n16c"), ("CZ", 24, "4n6n10n"),
    ("DE", 22, "8n10n"), ("DJ", 27, "5n5n11n2n"), ("DK", 18, "4n9n1n"), ("DO", 28, "4c20n"),
    ("EE", 20, "2n14n"), ("EG", 29, "4n4n17n"), ("ES", 24, "4n4n1n1n10n"), ("FI", 18, "3n11n"),
    ("FK", 18, "2a12n"), ("FO", 18, "4n9n1n"), ("FR", 27, "5n5n11c2n"), ("GB", 22, "4a6n8n"),
    ("GE", 22, "2a16n"), ("GI", 23, "4a15c"), ("GL", 18, "4n9n1n"), ("GR", 27, "3n4n16c"),
    ("GT", 28, "4c20c"), ("HN", 28, "4a20n"), ("HR", 21, "7n10n"), ("HU", 28, "3n4n1n15n1n"),
    ("IE", 22, "4a6n8n"), ("IL", 23, "3n3n13n"), ("IQ", 23, "4a3n12n"), ("IS", 26, "4n2n6n10n"),
    ("IT", 27, "1a5n5n12c"), ("JO", 30, "4a4n18c"), ("KW", 30, "4a22c"), ("KZ", 20, "3n13c"),
    ("LB", 28, "4n20c"), ("LC", 32, "4a24c"), ("LI", 21, "5n12c"), ("LT", 20, "5n11n"),
    ("LU", 20, "3n13c"), ("LV", 21, "4a13c"), ("LY", 25, "3n3n15n"), ("MC", 27, "5n5n11c2n"),
    ("MD", 24, "2c18c"), ("ME", 22, "3n13n2n"), ("MK", 19, "3n10c2n"), ("MN", 20, "4n12n"),
    ("MR", 27, "5n5n11n2n"), ("MT", 31, "4a5n18c"), ("MU", 30, "4a2n2n12n3n3a"), ("NI", 28, "4a20n"),
    ("NL", 18, "4a10n"), ("NO", 15, "4n6n1n"), ("OM", 23, "3n16c"), ("PK", 24, "4a16c"),
    ("PL", 28, "8n16n"), ("PS", 29, "4a21c"), ("PT", 25, "4n4n11n2n"), ("QA", 29, "4a21c"),
    ("RO", 24, "4a16c"), ("RS", 22, "3n13n2n"), ("RU", 33, "9n5n15c"), ("SA", 24, "2n18c"),
    ("SC", 31, "4a2n2n16n3a"), ("SD", 18, "2n12n"), ("SE", 24, "3n16n1n"), ("SI", 19, "5n8n2n"),
    ("SK", 24, "4n6n10n"), ("SM", 27, "1a5n5n12c"), ("SO", 23, "4n3n12n"), ("ST", 25, "4n4n11n2n"),
    ("SV", 28, "4a20n"), ("TL", 23, "3n14n2n"), ("TN", 24, "2n3n13n2n"), ("TR", 26, "5n1n16c"),
    ("UA", 29, "6n19c"), ("VA", 22, "3n15n"), ("VG", 24, "4a16n"), ("XK", 20, "4n10n2n"),
    ("YE", 30, "4a4n18c"),
  ]

  /// Bytes per country in ``formats``: the IBAN length, then one mask per BBAN position.
  static let stride = 32

  /// For each two-letter code (`(c0 - 'A') * 26 + (c1 - 'A')`), its slot in ``formats``; 0 if
  /// the country has no IBAN.
  static let countries: [UInt8] = {
    var t = [UInt8](repeating: 0, count: 26 * 26)
    for (k, entry) in registry.enumerated() {
      let c = Array(entry.country.utf8)
      t[Int(c[0] - 65) * 26 + Int(c[1] - 65)] = UInt8(k + 1)
    }
    return t
  }()

  /// Slot `k` (from 1): `[length, mask of BBAN position 0, mask of position 1, …]`, masks as in
  /// ``charMasks``.
  static let formats: [UInt8] = {
    var t = [UInt8](repeating: 0, count: (registry.count + 1) * stride)
    for (k, entry) in registry.enumerated() {
      let base = (k + 1) * stride
      t[base] = UInt8(entry.length)
      var at = base + 1
      var count = 0
      for c in entry.bban.utf8 {
        if DetectorBytes.isDigit(c) {
          count = count * 10 + Int(c - 48)
          continue
        }
        let mask: UInt8 = c == UInt8(ascii: "n") ? 1 : c == UInt8(ascii: "a") ? 2 : 3
        for _ in 0..<count { t[at] = mask; at += 1 }
        count = 0
      }
      precondition(at - base - 1 + 4 == entry.length, "IBAN registry entry \(entry.country) is inconsistent")
    }
    return t
  }()

  /// 1 for a digit, 2 for an uppercase letter, 0 otherwise.
  static let charMasks: [UInt8] = (0..<256).map { (b: Int) -> UInt8 in
    if DetectorBytes.isDigit(UInt8(b)) { return 1 }
    return UInt8(b) &- UInt8(ascii: "A") < 26 ? 2 : 0
  }

  /// Word bytes (letters, digits, `_`): 1; others 0.
  static let wordBytes: [UInt8] = (0..<256).map { DetectorBytes.isWordByte(UInt8($0)) ? 1 : 0 }

  public func detect(in text: UnsafeRawBufferPointer, rule: Int, into matches: inout [DetectorMatch]) {
    guard let p = text.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
    let n = text.count
    Self.wordBytes.withUnsafeBufferPointer { word in
      Self.countries.withUnsafeBufferPointer { countries in
        Self.formats.withUnsafeBufferPointer { formats in
          Self.charMasks.withUnsafeBufferPointer { masks in
            var i = 0
            while true {
              // Jump to the next `XX00` (16 positions per step), then check it starts a word.
              i = NumberScan.nextCountryAndCheck(p, n, from: i)
              if n - i < 15 { break }
              if i == 0 || word[Int(p[i - 1])] == 0 {
                let c = Int(p[i] &- UInt8(ascii: "A")) * 26 + Int(p[i + 1] &- UInt8(ascii: "A"))
                let slot = Int(countries[c])
                if slot != 0, let end = Self.match(p, n, i, slot * Self.stride, formats, masks, word) {
                  matches.append(DetectorMatch(range: i..<end, rule: rule))
                  i = end
                  continue
                }
              }
              i += 4
            }
          }
        }
      }
    }
  }

  /// The end of the IBAN at `s`, whose country's format starts at `f` in `formats`.
  @inline(__always)
  static func match(
    _ p: UnsafePointer<UInt8>, _ n: Int, _ s: Int, _ f: Int, _ formats: UnsafeBufferPointer<UInt8>,
    _ masks: UnsafeBufferPointer<UInt8>, _ word: UnsafeBufferPointer<UInt8>
  ) -> Int? {
    let length = Int(formats[f])
    guard s + length <= n else { return nil }
    let grouped = p[s + 4] == UInt8(ascii: " ")
    var r: UInt32 = 0
    var pos = s + 4
    for k in 4..<length {
      if grouped && k & 3 == 0 {
        guard pos < n, p[pos] == UInt8(ascii: " ") else { return nil }
        pos += 1
      }
      guard pos < n else { return nil }
      let c = p[pos]
      let m = masks[Int(c)]
      if m & formats[f + k - 3] == 0 { return nil }
      r = step(r, c, m)
      pos += 1
    }
    if pos < n && word[Int(p[pos])] != 0 { return nil }
    for k in 0..<4 { r = step(r, p[s + k], masks[Int(p[s + k])]) }
    return r == 1 ? pos : nil
  }

  /// One ISO 7064 mod-97 step: a digit adds one decimal digit, a letter two (A = 10 … Z = 35).
  @inline(__always)
  static func step(_ r: UInt32, _ c: UInt8, _ mask: UInt8) -> UInt32 {
    mask == 1 ? (r &* 10 &+ UInt32(c &- 48)) % 97 : (r &* 100 &+ UInt32(c &- 55)) % 97
  }
}
