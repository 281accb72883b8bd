/// Fast candidate search shared by ``PaymentCardDetector``, ``SSNDetector`` and
/// ``IBANDetector``. Every card number starts with a run of at least four digits, every SSN
/// with a run of three, every IBAN with two uppercase letters and two digits; these
/// functions find the next such start 16 positions per step with `SIMD16<UInt8>`, so the
/// detectors look at individual bytes only around candidates.
///
/// Lane `j` of a step's mask says whether a candidate starts at `i + j`: the mask is the AND
/// of the class tests of the 16 bytes at `i`, at `i + 1`, … (one unaligned load each).
enum NumberScan {
  /// Byte kinds for the scans: 0 = not part of a word, 1 = digit, 2 = other word byte.
  static let kinds: [UInt8] = (0..<256).map { (b: Int) -> UInt8 in
    let c = UInt8(b)
    if DetectorBytes.isDigit(c) { return 1 }
    return DetectorBytes.isWordByte(c) ? 2 : 0
  }

  typealias V = SIMD16<UInt8>
  typealias Mask = SIMDMask<SIMD16<Int8>>

  @inline(__always)
  static func load(_ p: UnsafePointer<UInt8>, _ i: Int) -> V {
    UnsafeRawPointer(p + i).loadUnaligned(as: V.self)
  }

  /// Lanes that are ASCII digits.
  @inline(__always)
  static func digits(_ v: V) -> Mask { (v &- V(repeating: 48)) .< V(repeating: 10) }

  /// Lanes that are ASCII uppercase letters.
  @inline(__always)
  static func uppers(_ v: V) -> Mask { (v &- V(repeating: 65)) .< V(repeating: 26) }

  /// The first set lane of `m`, or 16. (`any(_:)` is not inlined; reading the mask as two
  /// words is, and the lanes are 0 or all ones, lane `j` in byte `j` on little-endian CPUs.)
  @inline(__always)
  static func firstLane(_ m: Mask) -> Int {
    let w = unsafeBitCast(m, to: SIMD2<UInt64>.self)
    if w[0] != 0 { return w[0].trailingZeroBitCount >> 3 }
    if w[1] != 0 { return 8 + w[1].trailingZeroBitCount >> 3 }
    return 16
  }

  /// The start of the first run of at least `k` (2…4) ASCII digits starting at or after
  /// `from`, or `n`.
  @inline(__always)
  static func nextDigitRun(_ p: UnsafePointer<UInt8>, _ n: Int, from: Int, _ k: Int) -> Int {
    var i = from
    while i + 15 + k <= n {
      var m = digits(load(p, i))
      for j in 1..<k { m = m .& digits(load(p, i + j)) }
      let lane = firstLane(m)
      if lane < 16 { return i + lane }
      i += 16
    }
    var run = 0
    while i < n {
      if DetectorBytes.isDigit(p[i]) {
        run += 1
        if run == k { return i + 1 - k }
      } else {
        run = 0
      }
      i += 1
    }
    return n
  }

  /// The first position at or after `from` of two uppercase ASCII letters followed by two
  /// digits (an IBAN's country code and check digits), or `n`.
  @inline(__always)
  static func nextCountryAndCheck(_ p: UnsafePointer<UInt8>, _ n: Int, from: Int) -> Int {
    var i = from
    while i + 19 <= n {
      let m = uppers(load(p, i)) .& uppers(load(p, i + 1)) .& digits(load(p, i + 2)) .& digits(load(p, i + 3))
      let lane = firstLane(m)
      if lane < 16 { return i + lane }
      i += 16
    }
    while i + 4 <= n {
      if p[i] &- 65 < 26 && p[i + 1] &- 65 < 26 && DetectorBytes.isDigit(p[i + 2]) && DetectorBytes.isDigit(p[i + 3]) {
        return i
      }
      i += 1
    }
    return n
  }
}
