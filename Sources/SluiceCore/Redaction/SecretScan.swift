/// Vectorised byte searches shared by the credential detectors (``BearerTokenDetector``,
/// ``AWSKeyDetector``, ``SecretPairDetector``): 16 bytes per step with `SIMD16<UInt8>`,
/// falling back to a scalar loop for the last few bytes. Each returns the first candidate
/// position; callers verify it and continue after it.
enum SecretScan {
  typealias V = SIMD16<UInt8>

  @inline(__always)
  static func load(_ p: UnsafePointer<UInt8>, _ i: Int) -> V {
    UnsafeRawPointer(p + i).loadUnaligned(as: V.self)
  }

  /// ASCII case folding for comparisons against lower-case letters: `c | 0x20` equals a
  /// lower-case letter only if `c` is that letter in either case.
  @inline(__always)
  static func fold(_ c: UInt8) -> UInt8 { c | 0x20 }

  typealias Mask = SIMDMask<SIMD16<Int8>>

  /// The first set lane of `m` from lane `skip` on, or 16. (`any(_:)` is not inlined; the
  /// mask read as two words is: lanes are 0 or all ones, lane `j` in byte `j` on
  /// little-endian CPUs.)
  @inline(__always)
  static func firstLane(_ m: Mask, skip: Int = 0) -> Int {
    let w = unsafeBitCast(m, to: SIMD2<UInt64>.self)
    var low = w[0]
    var high = w[1]
    if skip >= 8 {
      low = 0
      high &= ~0 << UInt64((skip - 8) * 8)
    } else if skip > 0 {
      low &= ~0 << UInt64(skip * 8)
    }
    if low != 0 { return low.trailingZeroBitCount >> 3 }
    if high != 0 { return 8 + high.trailingZeroBitCount >> 3 }
    return 16
  }

  /// The first index `>= from` holding `a` or `b`, or `n`.
  @inline(__always)
  static func firstOf(_ a: UInt8, _ b: UInt8, in p: UnsafePointer<UInt8>, _ n: Int, from: Int) -> Int {
    let va = V(repeating: a)
    let vb = V(repeating: b)
    @inline(__always) func mask(_ i: Int) -> Mask {
      let v = load(p, i)
      return (v .== va) .| (v .== vb)
    }
    var i = from
    while i + 16 <= n {
      let lane = firstLane(mask(i))
      if lane < 16 { return i + lane }
      i += 16
    }
    if i >= n { return n }
    if n >= 16 {
      // One last block, overlapping the one before.
      let start = n - 16
      let lane = firstLane(mask(start), skip: i - start)
      return lane < 16 ? start + lane : n
    }
    while i < n {
      if p[i] == a || p[i] == b { return i }
      i += 1
    }
    return n
  }

  /// The first index `i >= from` where bytes `i, i+1, i+2` are the letters `a, b, c` in
  /// either case (`a`, `b`, `c` lower-case), or `n`.
  @inline(__always)
  static func firstFolded(
    _ a: UInt8, _ b: UInt8, _ c: UInt8, in p: UnsafePointer<UInt8>, _ n: Int, from: Int
  ) -> Int {
    let va = V(repeating: a)
    let vb = V(repeating: b)
    let vc = V(repeating: c)
    let lower = V(repeating: 0x20)
    @inline(__always) func mask(_ i: Int) -> Mask {
      (load(p, i) | lower .== va) .& (load(p, i + 1) | lower .== vb) .& (load(p, i + 2) | lower .== vc)
    }
    var i = from
    while i + 18 <= n {
      let lane = firstLane(mask(i))
      if lane < 16 { return i + lane }
      i += 16
    }
    if i + 3 > n { return n }
    if n >= 18 {
      let start = n - 18
      let lane = firstLane(mask(start), skip: i - start)
      return lane < 16 ? start + lane : n
    }
    while i + 3 <= n {
      if fold(p[i]) == a && fold(p[i + 1]) == b && fold(p[i + 2]) == c { return i }
      i += 1
    }
    return n
  }

  /// Whether a word can start at `i`: at the start, after a non-word byte, or after a `%XX`
  /// URL escape (`authorization=Bearer%20eyJ…`).
  @inline(__always)
  static func startsWord(_ p: UnsafePointer<UInt8>, _ i: Int) -> Bool {
    if i == 0 || !DetectorBytes.isWordByte(p[i - 1]) { return true }
    return i >= 3 && p[i - 3] == UInt8(ascii: "%") && DetectorBytes.isHex(p[i - 2]) && DetectorBytes.isHex(p[i - 1])
  }

  /// Whether the bytes at `i` are the lower-case ASCII `word` (letters only) in either case.
  @inline(__always)
  static func hasFolded(_ word: StaticString, at i: Int, in p: UnsafePointer<UInt8>, _ n: Int) -> Bool {
    let w = word.utf8Start
    let k = word.utf8CodeUnitCount
    guard i >= 0, i + k <= n else { return false }
    for j in 0..<k where fold(p[i + j]) != w[j] { return false }
    return true
  }

  /// Whether the bytes at `i` are exactly `word`.
  @inline(__always)
  static func has(_ word: StaticString, at i: Int, in p: UnsafePointer<UInt8>, _ n: Int) -> Bool {
    let w = word.utf8Start
    let k = word.utf8CodeUnitCount
    guard i >= 0, i + k <= n else { return false }
    for j in 0..<k where p[i + j] != w[j] { return false }
    return true
  }

  /// A 256-entry membership table for `chars` (built once, in `static let`s).
  static func table(_ chars: String) -> [Bool] {
    var t = [Bool](repeating: false, count: 256)
    for c in chars.utf8 { t[Int(c)] = true }
    return t
  }

  static let alphanumerics = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
}
