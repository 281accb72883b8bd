extension PhoneDetector {
  /// The end of an extension written right after a number ending at `e`, or nil: an optional
  /// space, `ext`, `ext.`, `extension`, `x` (any case) or `;ext=`, an optional space, 1–6 digits,
  /// then a byte that is not a word byte, or the end.
  @inline(__always)
  static func extensionEnd(_ p: UnsafePointer<UInt8>, _ n: Int, _ e: Int) -> Int? {
    var i = e
    if i < n && p[i] == UInt8(ascii: " ") { i += 1 }
    guard i < n else { return nil }
    @inline(__always) func word(_ w: StaticString) -> Bool {
      let m = w.utf8CodeUnitCount
      guard i + m <= n else { return false }
      for q in 0..<m where p[i + q] | 0x20 != w.utf8Start[q] { return false }
      return true
    }
    if p[i] == UInt8(ascii: ";") {
      guard word(";ext=") else { return nil }
      i += 5
    } else if p[i] | 0x20 == UInt8(ascii: "x") {
      i += 1
    } else if word("ext") {
      i += 3
      if word("ension") {
        i += 6
      } else if i < n && p[i] == UInt8(ascii: ".") {
        i += 1
      }
    } else {
      return nil
    }
    if i < n && p[i] == UInt8(ascii: " ") { i += 1 }
    let ds = i
    while i < n && DetectorBytes.isDigit(p[i]) && i - ds <= 6 { i += 1 }
    guard i > ds && i - ds <= 6 && (i == n || !DetectorBytes.isWordByte(p[i])) else { return nil }
    return i
  }
}
