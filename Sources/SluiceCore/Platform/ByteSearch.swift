import CByteSearch

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Substring and newline search in bytes: `memmem`, `memchr` and `memrchr` for exact needles, and an ASCII case-folding search
/// for the smart-case terms of queries. No allocation; safe from any number of threads.
public enum ByteSearch {
  /// The offset of the first occurrence of `needle` in `haystack`, or nil. An empty needle is
  /// found at 0.
  @inlinable
  public static func firstIndex(of needle: UnsafeRawBufferPointer, in haystack: UnsafeRawBufferPointer) -> Int? {
    guard let n = needle.baseAddress, !needle.isEmpty else { return 0 }
    guard let h = haystack.baseAddress, needle.count <= haystack.count else { return nil }
    guard let hit = sluice_memmem(h, haystack.count, n, needle.count) else { return nil }
    return UnsafeRawPointer(hit) - h
  }

  /// The offset of the first `needle` in `haystack[from...]`, or nil.
  @inlinable
  public static func firstIndex(
    of needle: UnsafeRawBufferPointer, in haystack: UnsafeRawBufferPointer, from: Int
  ) -> Int? {
    guard let h = haystack.baseAddress, haystack.count - from >= needle.count else { return nil }
    guard let n = needle.baseAddress, !needle.isEmpty else { return from }
    guard let hit = sluice_memmem(h + from, haystack.count - from, n, needle.count) else { return nil }
    return UnsafeRawPointer(hit) - h
  }

  /// The offset of the first newline in `bytes[from..<to]`, or nil (`memchr`).
  @inlinable
  public static func newline(in bytes: UnsafeRawBufferPointer, from: Int, to: Int) -> Int? {
    guard from < to, let base = bytes.baseAddress, let p = memchr(base + from, 0x0A, to - from) else { return nil }
    return UnsafeRawPointer(p) - base
  }

  /// The offset of the last newline in `bytes[from..<to]`, or nil (`memrchr`).
  @inlinable
  public static func lastNewline(in bytes: UnsafeRawBufferPointer, from: Int, to: Int) -> Int? {
    guard from < to, let base = bytes.baseAddress, let p = sluice_memrchr(base + from, 0x0A, to - from) else {
      return nil
    }
    return UnsafeRawPointer(p) - base
  }

  /// How many newlines `bytes[from..<to]` holds.
  public static func newlines(in bytes: UnsafeRawBufferPointer, from: Int, to: Int) -> Int {
    var n = 0
    var p = from
    while let nl = newline(in: bytes, from: p, to: to) {
      n += 1
      p = nl + 1
    }
    return n
  }

  /// Whether `haystack` contains `needle`.
  @inlinable
  public static func contains(_ needle: UnsafeRawBufferPointer, in haystack: UnsafeRawBufferPointer) -> Bool {
    firstIndex(of: needle, in: haystack) != nil
  }

  /// The offset of the first occurrence of `lowered` in `haystack` with ASCII letters compared
  /// case-insensitively, or nil. `lowered` must already be lower-case in ASCII (other bytes,
  /// UTF-8 included, compare exactly).
  public static func firstIndex(
    ofLowercased lowered: UnsafeRawBufferPointer, ignoringASCIICaseIn haystack: UnsafeRawBufferPointer
  ) -> Int? {
    let m = lowered.count
    guard m > 0 else { return 0 }
    guard let h = haystack.baseAddress, m <= haystack.count else { return nil }
    // Anchor on the first byte of the needle that is not a letter, when there is one: memchr
    // finds it at memory speed, and only its occurrences are verified.
    var anchor = -1
    for k in 0..<m where !isLowerLetter(lowered[k]) {
      anchor = k
      break
    }
    let last = haystack.count - m
    if anchor >= 0 {
      let byte = Int32(lowered[anchor])
      var p = 0
      while p <= last {
        guard let hit = memchr(h + p + anchor, byte, last - p + 1) else { return nil }
        let start = UnsafeRawPointer(hit) - h - anchor
        if equalFolded(h + start, lowered, m) { return start }
        p = start + 1
      }
      return nil
    }
    // All letters: find the first letter in either case, eight bytes at a time. Setting bit 5
    // of every byte maps both cases of a letter to the lower-case one (and some other bytes
    // onto letters: candidates are verified).
    let first = UInt64(lowered[0])
    let broadcast = first &* 0x0101_0101_0101_0101
    var p = 0
    while p + 8 <= last + 1 {
      let word = (h + p).loadUnaligned(as: UInt64.self) | 0x2020_2020_2020_2020
      let x = word ^ broadcast
      // Bytes of `x` that are zero: the candidates (the high bit of each such byte is set).
      var zero = (x &- 0x0101_0101_0101_0101) & ~x & 0x8080_8080_8080_8080
      while zero != 0 {
        let k = zero.trailingZeroBitCount / 8
        if equalFolded(h + p + k, lowered, m) { return p + k }
        zero &= zero &- 1
      }
      p += 8
    }
    while p <= last {
      if equalFolded(h + p, lowered, m) { return p }
      p += 1
    }
    return nil
  }

  @inline(__always)
  static func isLowerLetter(_ b: UInt8) -> Bool { b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z") }

  /// `b` with an ASCII upper-case letter made lower-case.
  @inline(__always)
  public static func foldASCII(_ b: UInt8) -> UInt8 {
    b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z") ? b | 0x20 : b
  }

  @inline(__always)
  static func equalFolded(_ a: UnsafeRawPointer, _ lowered: UnsafeRawBufferPointer, _ m: Int) -> Bool {
    for k in 0..<m where foldASCII(a.load(fromByteOffset: k, as: UInt8.self)) != lowered[k] { return false }
    return true
  }
}
