/// Appends JSON text to a byte buffer: escaped strings, numbers and literals.
///
/// Every function appends to a caller-owned ``JSONOutput`` (`[UInt8]` or ``ByteBuffer``), so
/// a writer that reuses its buffer allocates nothing per call once the buffer has grown.
public enum JSONWriter {

  /// The character after the backslash for a byte that must be escaped.
  @inlinable
  @inline(__always)
  static func escape(_ c: UInt8) -> UInt8 {
    switch c {
    case 0x08: UInt8(ascii: "b")
    case 0x09: UInt8(ascii: "t")
    case 0x0A: UInt8(ascii: "n")
    case 0x0C: UInt8(ascii: "f")
    case 0x0D: UInt8(ascii: "r")
    case 0x22: UInt8(ascii: "\"")
    case 0x5C: UInt8(ascii: "\\")
    default: UInt8(ascii: "u")
    }
  }

  @inlinable
  @inline(__always)
  static func hexDigit(_ v: UInt8) -> UInt8 { v < 10 ? UInt8(ascii: "0") &+ v : UInt8(ascii: "a") &+ (v &- 10) }

  /// U+FFFD REPLACEMENT CHARACTER in UTF-8.
  public static let replacementCharacter: [UInt8] = [0xEF, 0xBF, 0xBD]

  /// Appends `value` as a quoted, escaped JSON string.
  @inlinable
  public static func appendString<O: JSONOutput>(_ value: String, to out: inout O) {
    out.append(UInt8(ascii: "\""))
    appendStringContent(value, to: &out)
    out.append(UInt8(ascii: "\""))
  }

  /// Appends the escaped content of `value`, without quotes.
  @inlinable
  public static func appendStringContent<O: JSONOutput>(_ value: String, to out: inout O) {
    var value = value
    value.withUTF8 { buf in
      _ = appendStringContent(UnsafeRawBufferPointer(buf), to: &out)
    }
  }

  /// Appends `bytes` as the escaped content of a JSON string, without quotes.
  ///
  /// Ill-formed UTF-8 is replaced by U+FFFD, one replacement per maximal ill-formed
  /// subpart start byte, so the output is always valid JSON and valid UTF-8.
  /// - Returns: the number of replacements made.
  @inlinable
  @discardableResult
  public static func appendStringContent<O: JSONOutput>(_ bytes: UnsafeRawBufferPointer, to out: inout O) -> Int {
    guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return 0 }
    let n = bytes.count
    var replaced = 0
    var runStart = 0
    var i = 0
    // (No reserveCapacity here: it grows to the exact size asked, which defeats the array's
    // geometric growth when called once per value.)
    while i < n {
      // Skip eight plain bytes at a time: none below 0x20, none `"` or `\`, none above 0x7F.
      while i + 8 <= n {
        let w = UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self)
        let high: UInt64 = 0x8080_8080_8080_8080
        let ones: UInt64 = 0x0101_0101_0101_0101
        let control = (w &- 0x2020_2020_2020_2020) & ~w
        let q = w ^ 0x2222_2222_2222_2222
        let b = w ^ 0x5C5C_5C5C_5C5C_5C5C
        let special = (w | control | ((q &- ones) & ~q) | ((b &- ones) & ~b)) & high
        if special != 0 { break }
        i += 8
      }
      if i >= n { break }
      let c = base[i]
      if c < 0x80 {
        // Plain ASCII needs no table lookup (and no lazy-global check) per byte.
        if c >= 0x20 && c != 0x22 && c != 0x5C {
          i += 1
          continue
        }
        let e = escape(c)
        if runStart < i { out.append(bytes: UnsafeRawBufferPointer(start: base + runStart, count: i - runStart)) }
        out.append(UInt8(ascii: "\\"))
        out.append(e)
        if e == UInt8(ascii: "u") {
          out.append(UInt8(ascii: "0"))
          out.append(UInt8(ascii: "0"))
          out.append(hexDigit(c >> 4))
          out.append(hexDigit(c & 0xF))
        }
        i += 1
        runStart = i
        continue
      }
      let len = UTF8Validation.sequenceLength(base, n, i)
      if len == 3 && c == 0xE2 && base[i + 1] == 0x80 && (base[i + 2] == 0xA8 || base[i + 2] == 0xA9) {
        // U+2028 and U+2029 are valid in JSON but end lines in JavaScript and some splitters.
        if runStart < i { out.append(bytes: UnsafeRawBufferPointer(start: base + runStart, count: i - runStart)) }
        appendRaw(base[i + 2] == 0xA8 ? "\\u2028" : "\\u2029", to: &out)
        i += 3
        runStart = i
        continue
      }
      if len > 0 {
        i += len
        continue
      }
      if runStart < i { out.append(bytes: UnsafeRawBufferPointer(start: base + runStart, count: i - runStart)) }
      out.append(0xEF)  // U+FFFD
      out.append(0xBF)
      out.append(0xBD)
      replaced += 1
      i += 1
      // Skip the continuation bytes that belonged to the broken sequence.
      while i < n && base[i] & 0xC0 == 0x80 { i += 1 }
      runStart = i
    }
    if runStart < n { out.append(bytes: UnsafeRawBufferPointer(start: base + runStart, count: n - runStart)) }
    return replaced
  }

  /// Appends a signed integer in decimal.
  @inlinable
  public static func appendInt<O: JSONOutput>(_ value: Int64, to out: inout O) {
    if value < 0 {
      out.append(UInt8(ascii: "-"))
      appendUInt(value.magnitude, to: &out)
    } else {
      appendUInt(UInt64(value), to: &out)
    }
  }

  /// Appends an unsigned integer in decimal.
  @inlinable
  public static func appendUInt<O: JSONOutput>(_ value: UInt64, to out: inout O) {
    if value < 10 {
      out.append(UInt8(ascii: "0") &+ UInt8(value))
      return
    }
    var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes: room for 20 digits
    var v = value
    var count = 0
    withUnsafeMutableBytes(of: &digits) { buf in
      while v > 0 {
        buf[23 - count] = UInt8(ascii: "0") &+ UInt8(v % 10)
        v /= 10
        count += 1
      }
      out.append(bytes: UnsafeRawBufferPointer(rebasing: buf[(24 - count)...]))
    }
  }

  /// Appends a floating point number. Non-finite values, which JSON cannot represent as
  /// numbers, are written as the strings `"NaN"`, `"Infinity"` and `"-Infinity"`.
  @inlinable
  public static func appendDouble<O: JSONOutput>(_ value: Double, to out: inout O) {
    if !value.isFinite {
      let text: StaticString = value.isNaN ? "\"NaN\"" : (value < 0 ? "\"-Infinity\"" : "\"Infinity\"")
      appendRaw(text, to: &out)
      return
    }
    if value == value.rounded(.towardZero) && abs(value) < 1e15 {
      // Integral values: "3.0" rather than "3" keeps the type visible to readers.
      appendInt(Int64(value), to: &out)
      out.append(UInt8(ascii: "."))
      out.append(UInt8(ascii: "0"))
      return
    }
    if appendShortDecimal(value, to: &out) { return }
    var text = value.description  // shortest round-trip form; fits the small-string buffer
    text.withUTF8 { out.append(bytes: UnsafeRawBufferPointer($0)) }
  }

  /// The common case of ``appendDouble(_:to:)`` without `description`: a value of moderate
  /// size with at most six decimals that round-trips (`12.5`, `0.75`, `99.95`). Writes it and
  /// returns true, or writes nothing and returns false.
  ///
  /// `m / 10^k` is correctly rounded, as is parsing the text `m·10^-k`, so when the division
  /// gives back `value` exactly, the text reads back as `value`; trying `k` from 1 upwards
  /// finds the fewest decimals, as the shortest round-trip form has.
  @inlinable
  static func appendShortDecimal<O: JSONOutput>(_ value: Double, to out: inout O) -> Bool {
    let magnitude = abs(value)
    guard magnitude >= 1e-3 && magnitude < 1e9 else { return false }
    var k = 1
    var scale = 10.0
    while k <= 6 {
      let m = (magnitude * scale).rounded()
      if m / scale == magnitude {
        let digits = UInt64(m)
        var pow: UInt64 = 1
        for _ in 0..<k { pow *= 10 }
        if value < 0 { out.append(UInt8(ascii: "-")) }
        appendUInt(digits / pow, to: &out)
        out.append(UInt8(ascii: "."))
        var fraction = digits % pow
        // Exactly k fraction digits with leading zeros; the last one is non-zero (a smaller
        // k would have matched otherwise).
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 6) { buf in
          var i = k - 1
          while i >= 0 {
            buf[i] = UInt8(ascii: "0") &+ UInt8(fraction % 10)
            fraction /= 10
            i -= 1
          }
          out.append(bytes: UnsafeRawBufferPointer(UnsafeMutableBufferPointer(rebasing: buf[0..<k])))
        }
        return true
      }
      k += 1
      scale *= 10
    }
    return false
  }

  /// Appends `true` or `false`.
  @inlinable
  public static func appendBool<O: JSONOutput>(_ value: Bool, to out: inout O) {
    appendRaw(value ? "true" : "false", to: &out)
  }

  /// Appends ASCII text verbatim.
  @inlinable
  public static func appendRaw<O: JSONOutput>(_ text: StaticString, to out: inout O) {
    out.append(bytes: UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
  }
}
