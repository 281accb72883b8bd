/// Read access to a scanned JSON text: its bytes plus the ``JSONToken`` tape of it.
///
/// Lookups walk the tape and compare raw key bytes; nothing is decoded unless asked for.
public enum JSONTape {
  /// The tape index of the token after the value at `index` (skipping whole containers).
  @inlinable
  public static func next(after index: Int, in tape: [JSONToken]) -> Int {
    let t = tape[index]
    return t.kind == .objectStart || t.kind == .arrayStart ? Int(t.end) : index + 1
  }

  /// The tape index of the value of member `key` in the object starting at `object`.
  ///
  /// The first matching member wins. Keys written with escapes are decoded for comparison.
  public static func member(
    _ key: UnsafeRawBufferPointer, inObjectAt object: Int, tape: [JSONToken], bytes: UnsafeRawBufferPointer
  ) -> Int? {
    guard object < tape.count, tape[object].kind == .objectStart else { return nil }
    var i = object + 1
    while i < tape.count, tape[i].kind == .key {
      let k = tape[i]
      if keyEquals(k, key, bytes) { return i + 1 }
      i = next(after: i + 1, in: tape)
    }
    return nil
  }

  /// Looks up a member by a dotted path: first the whole path as one key (as ECS writes
  /// `log.level`), then component by component through nested objects.
  public static func lookup(
    path: String, inObjectAt object: Int, tape: [JSONToken], bytes: UnsafeRawBufferPointer
  ) -> Int? {
    var path = path
    return path.withUTF8 { p -> Int? in
      let whole = UnsafeRawBufferPointer(p)
      if let v = member(whole, inObjectAt: object, tape: tape, bytes: bytes) { return v }
      guard whole.contains(UInt8(ascii: ".")) else { return nil }
      var current = object
      var start = 0
      for i in 0...whole.count where i == whole.count || whole[i] == UInt8(ascii: ".") {
        let part = UnsafeRawBufferPointer(rebasing: whole[start..<i])
        guard let v = member(part, inObjectAt: current, tape: tape, bytes: bytes) else { return nil }
        current = v
        start = i + 1
      }
      return current
    }
  }

  @inline(__always)
  static func keyEquals(
    _ token: JSONToken, _ key: UnsafeRawBufferPointer, _ bytes: UnsafeRawBufferPointer
  )
    -> Bool
  {
    let r = token.range
    if !token.hasEscapes {
      guard r.count == key.count else { return false }
      return memcmpEqual(bytes.baseAddress! + r.lowerBound, key.baseAddress, r.count)
    }
    var decoded: [UInt8] = []
    unescape(UnsafeRawBufferPointer(rebasing: bytes[r]), into: &decoded)
    return decoded.elementsEqual(key)
  }

  @inline(__always)
  static func memcmpEqual(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer?, _ n: Int) -> Bool {
    guard n > 0, let b else { return true }
    for k in 0..<n where a.load(fromByteOffset: k, as: UInt8.self) != b.load(fromByteOffset: k, as: UInt8.self) {
      return false
    }
    return true
  }

  /// Decodes the raw content of a JSON string (validated by ``JSONScanner``) into UTF-8,
  /// appended to `out` (through the buffer form below: the decoded text is never longer).
  public static func unescape(_ raw: UnsafeRawBufferPointer, into out: inout [UInt8]) {
    let start = out.count
    out.append(contentsOf: repeatElement(0, count: raw.count))
    let written = out.withUnsafeMutableBytes {
      unescape(raw, into: UnsafeMutableRawBufferPointer(rebasing: $0[start...]))
    }
    out.removeLast(raw.count - written)
  }

  /// Decodes the string token at `index` into a Swift `String`.
  public static func string(at index: Int, tape: [JSONToken], bytes: UnsafeRawBufferPointer) -> String {
    let t = tape[index]
    let raw = UnsafeRawBufferPointer(rebasing: bytes[t.range])
    if !t.hasEscapes { return String(decoding: raw, as: UTF8.self) }
    var decoded: [UInt8] = []
    decoded.reserveCapacity(raw.count)
    unescape(raw, into: &decoded)
    return String(decoding: decoded, as: UTF8.self)
  }

  @inline(__always)
  static func hex4(_ raw: UnsafeRawBufferPointer, _ i: Int) -> UInt32 {
    var v: UInt32 = 0
    for k in 0..<4 { v = v << 4 | (JSONScanner.hexDigit(raw[i + k]) ?? 0) }
    return v
  }

}

// MARK: - Reading without allocating

extension JSONTape {
  /// The value of the number token at `index`, exactly as `Double(String)` reads its literal.
  ///
  /// Literals with at most 19 significant digits whose integer significand is at most 2^53
  /// and whose decimal exponent is within ±22 (nearly every number a log carries: counts,
  /// status codes, `0.25`, `-0.5`, `1e3`) are converted without building a `String`: both
  /// the significand and the power of ten are exact doubles, so one IEEE multiplication or
  /// division rounds correctly, as `Double(String)` does (Clinger's fast path). Other
  /// literals go through `Double(String)`, which allocates only for literals longer than
  /// 15 bytes.
  public static func double(at index: Int, tape: [JSONToken], bytes: UnsafeRawBufferPointer) -> Double? {
    let literal = UnsafeRawBufferPointer(rebasing: bytes[tape[index].range])
    if let d = exactDouble(literal) { return d }
    return Double(String(decoding: literal, as: UTF8.self))
  }

  /// A JSON number literal's value when Clinger's fast path gives it exactly; nil otherwise
  /// (the caller then asks `Double(String)`).
  static func exactDouble(_ literal: UnsafeRawBufferPointer) -> Double? {
    let n = literal.count
    var i = 0
    let negative = n > 0 && literal[0] == UInt8(ascii: "-")
    if negative { i = 1 }
    var significand: UInt64 = 0
    var digits = 0
    var exponent = 0
    var sawDigit = false
    while i < n, literal[i] &- UInt8(ascii: "0") < 10 {
      let d = literal[i] &- UInt8(ascii: "0")
      sawDigit = true
      i += 1
      if significand == 0 && d == 0 { continue }
      guard digits < 19 else { return nil }
      significand = significand * 10 + UInt64(d)
      digits += 1
    }
    if i < n, literal[i] == UInt8(ascii: ".") {
      i += 1
      while i < n, literal[i] &- UInt8(ascii: "0") < 10 {
        let d = literal[i] &- UInt8(ascii: "0")
        sawDigit = true
        i += 1
        exponent -= 1
        if significand == 0 && d == 0 { continue }
        guard digits < 19 else { return nil }
        significand = significand * 10 + UInt64(d)
        digits += 1
      }
    }
    guard sawDigit else { return nil }
    if i < n, literal[i] | 0x20 == UInt8(ascii: "e") {
      i += 1
      var exponentNegative = false
      if i < n, literal[i] == UInt8(ascii: "-") || literal[i] == UInt8(ascii: "+") {
        exponentNegative = literal[i] == UInt8(ascii: "-")
        i += 1
      }
      var e = 0
      var sawExponentDigit = false
      while i < n, literal[i] &- UInt8(ascii: "0") < 10 {
        e = min(e * 10 + Int(literal[i] &- UInt8(ascii: "0")), 1_000_000)
        sawExponentDigit = true
        i += 1
      }
      guard sawExponentDigit else { return nil }
      exponent += exponentNegative ? -e : e
    }
    guard i == n else { return nil }
    if significand == 0 { return negative ? -0.0 : 0.0 }
    guard significand <= 1 << 53, exponent >= -22, exponent <= 22 else { return nil }
    let power = exactPowersOfTen[exponent < 0 ? -exponent : exponent]
    let magnitude = exponent < 0 ? Double(significand) / power : Double(significand) * power
    return negative ? -magnitude : magnitude
  }

  /// 10^0 … 10^22, the powers of ten a double holds exactly.
  static let exactPowersOfTen: [Double] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18,
    1e19, 1e20, 1e21, 1e22,
  ]

  /// Decodes the raw content of a JSON string into `out`, without allocating. The decoded text is never longer than `raw`, so an
  /// `out` of `raw.count` bytes always suffices.
  /// - Returns: the number of bytes written.
  public static func unescape(_ raw: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer) -> Int {
    precondition(out.count >= raw.count, "unescape: the output buffer is shorter than the input")
    let n = raw.count
    var i = 0
    var o = 0
    while i < n {
      let c = raw[i]
      if c != 0x5C {
        out[o] = c
        o += 1
        i += 1
        continue
      }
      let e = raw[i + 1]
      i += 2
      switch e {
      case UInt8(ascii: "b"): out[o] = 0x08; o += 1
      case UInt8(ascii: "f"): out[o] = 0x0C; o += 1
      case UInt8(ascii: "n"): out[o] = 0x0A; o += 1
      case UInt8(ascii: "r"): out[o] = 0x0D; o += 1
      case UInt8(ascii: "t"): out[o] = 0x09; o += 1
      case UInt8(ascii: "u"):
        var scalar = hex4(raw, i)
        i += 4
        if scalar >= 0xD800 && scalar <= 0xDBFF && i + 6 <= n {
          let low = hex4(raw, i + 2)
          scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
          i += 6
        }
        o += writeScalar(scalar, to: out, at: o)
      default: out[o] = e; o += 1  // " \ /
      }
    }
    return o
  }

  /// Writes `v` as UTF-8 at `out[at...]`.
  /// - Returns: the number of bytes written.
  @inline(__always)
  static func writeScalar(_ v: UInt32, to out: UnsafeMutableRawBufferPointer, at o: Int) -> Int {
    switch v {
    case 0..<0x80:
      out[o] = UInt8(v)
      return 1
    case 0x80..<0x800:
      out[o] = UInt8(0xC0 | (v >> 6))
      out[o + 1] = UInt8(0x80 | (v & 0x3F))
      return 2
    case 0x800..<0x10000:
      out[o] = UInt8(0xE0 | (v >> 12))
      out[o + 1] = UInt8(0x80 | ((v >> 6) & 0x3F))
      out[o + 2] = UInt8(0x80 | (v & 0x3F))
      return 3
    default:
      out[o] = UInt8(0xF0 | (v >> 18))
      out[o + 1] = UInt8(0x80 | ((v >> 12) & 0x3F))
      out[o + 2] = UInt8(0x80 | ((v >> 6) & 0x3F))
      out[o + 3] = UInt8(0x80 | (v & 0x3F))
      return 4
    }
  }
}
