/// Hashing and comparing short byte strings (field keys and paths) a word at a time: the
/// redactor looks up a verdict for every key of every event, and most keys are under 16
/// bytes, so two overlapping loads see all of a key's bytes.
enum KeyBytes {
  /// A 64-bit hash of `k`'s bytes and length (not stable across versions; for in-memory
  /// tables only).
  @inline(__always)
  static func hash(_ k: UnsafeRawBufferPointer) -> UInt64 {
    let n = k.count
    var a: UInt64 = 0
    var b: UInt64 = 0
    if let p = k.baseAddress {
      if n >= 8 {
        a = p.loadUnaligned(as: UInt64.self)
        b = p.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)
        var i = 8
        while i < n - 8 {  // keys over 16 bytes: mix, then add each middle word
          a = (a ^ (a >> 29)) &* 0xBF58_476D_1CE4_E5B9
          a ^= p.loadUnaligned(fromByteOffset: i, as: UInt64.self)
          i += 8
        }
      } else if n >= 4 {
        a = UInt64(p.loadUnaligned(as: UInt32.self))
        b = UInt64(p.loadUnaligned(fromByteOffset: n - 4, as: UInt32.self))
      } else if n > 0 {
        a =
          UInt64(p.load(as: UInt8.self)) | UInt64(p.load(fromByteOffset: n / 2, as: UInt8.self)) << 8
          | UInt64(p.load(fromByteOffset: n - 1, as: UInt8.self)) << 16
      }
    }
    var h = (a &* 0x9E37_79B9_7F4A_7C15) ^ (b &* 0xC2B2_AE3D_27D4_EB4F) ^ UInt64(n)
    h ^= h >> 29
    h &*= 0xBF58_476D_1CE4_E5B9
    h ^= h >> 32
    return h
  }

  /// Whether the `n` bytes at `x` and at `y` are equal.
  @inline(__always)
  static func equal(_ x: UnsafeRawPointer, _ y: UnsafeRawPointer, _ n: Int) -> Bool {
    if n >= 8 {
      var i = 0
      while i < n - 8 {
        if x.loadUnaligned(fromByteOffset: i, as: UInt64.self) != y.loadUnaligned(fromByteOffset: i, as: UInt64.self) {
          return false
        }
        i += 8
      }
      return x.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)
        == y.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)
    }
    if n >= 4 {
      return x.loadUnaligned(as: UInt32.self) == y.loadUnaligned(as: UInt32.self)
        && x.loadUnaligned(fromByteOffset: n - 4, as: UInt32.self)
          == y.loadUnaligned(fromByteOffset: n - 4, as: UInt32.self)
    }
    for i in 0..<n where x.load(fromByteOffset: i, as: UInt8.self) != y.load(fromByteOffset: i, as: UInt8.self) {
      return false
    }
    return true
  }
}
