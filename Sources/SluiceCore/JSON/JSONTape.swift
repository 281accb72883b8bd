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

  /// Decodes the raw content of a JSON string (validated by ``JSONScanner``) into UTF-8.
  public static func unescape(_ raw: UnsafeRawBufferPointer, into out: inout [UInt8]) {
    let n = raw.count
    var i = 0
    while i < n {
      let c = raw[i]
      if c != 0x5C {
        out.append(c)
        i += 1
        continue
      }
      let e = raw[i + 1]
      i += 2
      switch e {
      case UInt8(ascii: "b"): out.append(0x08)
      case UInt8(ascii: "f"): out.append(0x0C)
      case UInt8(ascii: "n"): out.append(0x0A)
      case UInt8(ascii: "r"): out.append(0x0D)
      case UInt8(ascii: "t"): out.append(0x09)
      case UInt8(ascii: "u"):
        var scalar = hex4(raw, i)
        i += 4
        if scalar >= 0xD800 && scalar <= 0xDBFF && i + 6 <= n {
          let low = hex4(raw, i + 2)
          scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
          i += 6
        }
        appendScalar(scalar, to: &out)
      default: out.append(e)  // " \ /
      }
    }
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

  static func appendScalar(_ v: UInt32, to out: inout [UInt8]) {
    switch v {
    case 0..<0x80:
      out.append(UInt8(v))
    case 0x80..<0x800:
      out.append(UInt8(0xC0 | (v >> 6)))
      out.append(UInt8(0x80 | (v & 0x3F)))
    case 0x800..<0x10000:
      out.append(UInt8(0xE0 | (v >> 12)))
      out.append(UInt8(0x80 | ((v >> 6) & 0x3F)))
      out.append(UInt8(0x80 | (v & 0x3F)))
    default:
      out.append(UInt8(0xF0 | (v >> 18)))
      out.append(UInt8(0x80 | ((v >> 12) & 0x3F)))
      out.append(UInt8(0x80 | ((v >> 6) & 0x3F)))
      out.append(UInt8(0x80 | (v & 0x3F)))
    }
  }
}
