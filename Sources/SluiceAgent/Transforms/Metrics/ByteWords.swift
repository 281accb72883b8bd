/// Short byte strings read eight bytes at a time: hashing, equality and the packed word of a
/// key prefix. Used per event by the metrics step (label values and key names are short, so a
/// call to `memcmp` or a byte loop costs more than two or three word comparisons).
enum ByteWords {
  @inline(__always)
  static func load64(_ p: UnsafeRawPointer) -> UInt64 { p.loadUnaligned(as: UInt64.self) }

  @inline(__always)
  static func load32(_ p: UnsafeRawPointer) -> UInt64 { UInt64(p.loadUnaligned(as: UInt32.self)) }

  /// The first `n` (0…8) bytes at `p` as a little-endian integer, zero above them. Reads eight
  /// bytes at once when they lie before `end`, the end of the readable buffer.
  @inline(__always)
  static func prefix(_ p: UnsafeRawPointer, _ n: Int, end: UnsafeRawPointer) -> UInt64 {
    if n >= 8 { return load64(p) }
    if p + 8 <= end { return n == 0 ? 0 : load64(p) & (~UInt64(0) >> (64 &- 8 &* UInt64(n))) }
    var w: UInt64 = 0
    for k in 0..<n { w |= UInt64(p.load(fromByteOffset: k, as: UInt8.self)) << (8 &* UInt64(k)) }
    return w
  }

  /// The packed word of up to eight bytes (for tables built once).
  static func prefix(_ bytes: ArraySlice<UInt8>) -> UInt64 {
    var w: UInt64 = 0
    for (k, b) in bytes.prefix(8).enumerated() { w |= UInt64(b) << (8 * UInt64(k)) }
    return w
  }

  @inline(__always)
  static func mix(_ x: UInt64) -> UInt64 {
    let m = x.multipliedFullWidth(by: 0x9E37_79B9_7F4A_7C15)
    return m.high ^ m.low
  }

  /// A 64-bit hash of the bytes (word-at-a-time multiply–xor mixing; the mixed length is the
  /// seed, so strings of different lengths whose words overlap still differ).
  @inline(__always)
  static func hash(_ raw: UnsafeRawBufferPointer) -> UInt64 {
    let n = raw.count
    // The length goes through a mix of its own, so it cannot cancel against content bits.
    var h = mix(0xA076_1D64_78BD_642F ^ UInt64(truncatingIfNeeded: n))
    guard n > 0, let p = raw.baseAddress else { return h }
    if n < 4 {
      let w =
        UInt64(p.load(as: UInt8.self)) | UInt64(p.load(fromByteOffset: n >> 1, as: UInt8.self)) << 8
        | UInt64(p.load(fromByteOffset: n &- 1, as: UInt8.self)) << 16
      return mix(h ^ w)
    }
    if n <= 8 { return mix(h ^ (load32(p) | load32(p + (n &- 4)) << 32)) }
    var i = 0
    while i &+ 8 < n {
      h = mix(h ^ load64(p + i))
      i &+= 8
    }
    // The last eight bytes, overlapping what came before when n is not a multiple of 8.
    return mix(h ^ load64(p + (n &- 8)) ^ 0x5851_F42D_4C95_7F2D)
  }

  /// Whether `n` bytes at `a` and at `b` are equal.
  @inline(__always)
  static func equal(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ n: Int) -> Bool {
    if n >= 8 {
      var i = 0
      while i &+ 8 < n {
        if load64(a + i) != load64(b + i) { return false }
        i &+= 8
      }
      return load64(a + (n &- 8)) == load64(b + (n &- 8))
    }
    if n >= 4 { return load32(a) == load32(b) && load32(a + (n &- 4)) == load32(b + (n &- 4)) }
    for k in 0..<n where a.load(fromByteOffset: k, as: UInt8.self) != b.load(fromByteOffset: k, as: UInt8.self) {
      return false
    }
    return true
  }
}
