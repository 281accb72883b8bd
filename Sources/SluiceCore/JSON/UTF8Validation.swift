/// UTF-8 well-formedness checks shared by the scanner and the writer (Unicode 15, table 3-7).
public enum UTF8Validation {
  /// Length of the well-formed UTF-8 sequence that starts at `i`, or 0 if the bytes there
  /// are not one (overlong forms, surrogates, code points above U+10FFFF, truncation).
  @inlinable
  public static func sequenceLength(_ p: UnsafePointer<UInt8>, _ n: Int, _ i: Int) -> Int {
    let b0 = p[i]
    if b0 < 0x80 { return 1 }
    @inline(__always) func cont(_ k: Int, _ lo: UInt8 = 0x80, _ hi: UInt8 = 0xBF) -> Bool {
      i + k < n && p[i + k] >= lo && p[i + k] <= hi
    }
    switch b0 {
    case 0xC2...0xDF:
      return cont(1) ? 2 : 0
    case 0xE0:
      return cont(1, 0xA0) && cont(2) ? 3 : 0
    case 0xE1...0xEC, 0xEE...0xEF:
      return cont(1) && cont(2) ? 3 : 0
    case 0xED:
      return cont(1, 0x80, 0x9F) && cont(2) ? 3 : 0
    case 0xF0:
      return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0
    case 0xF1...0xF3:
      return cont(1) && cont(2) && cont(3) ? 4 : 0
    case 0xF4:
      return cont(1, 0x80, 0x8F) && cont(2) && cont(3) ? 4 : 0
    default:
      return 0
    }
  }

  /// Whether all of `bytes` is well-formed UTF-8.
  public static func isValid(_ bytes: UnsafeRawBufferPointer) -> Bool {
    guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return true }
    let n = bytes.count
    var i = 0
    while i < n {
      if base[i] < 0x80 {
        i += 1
        continue
      }
      let len = sequenceLength(base, n, i)
      if len == 0 { return false }
      i += len
    }
    return true
  }
}
