import SluiceCore

/// Converts a logfmt line (`key=value key2="quoted value" flag`) into a JSON object, in a
/// buffer reused from line to line.
///
/// - Keys are runs of `[A-Za-z0-9_.@/-]`; pairs are separated by spaces or tabs.
/// - An unquoted value runs to the next space or tab and may be empty. `true`/`false` become
///   booleans, a JSON number (`42`, `-1.5`, `2e3`) stays a number, anything else is a string
///   (`007`, `+1`, `null` and `0x1f` included).
/// - A quoted value is always a string; its escapes `\"`, `\\`, `\n`, `\r`, `\t`, `\b`, `\f`,
///   `\/` and `\uXXXX` (surrogate pairs joined) are decoded; any other backslash is kept as is.
/// - A key alone (a flag) becomes `true`.
/// - Invalid UTF-8 in values becomes U+FFFD, so the output is always valid JSON.
///
/// A line is logfmt only if every token has this shape and at least one is `key=value`;
/// otherwise ``convert(_:)`` returns false (an unterminated quote, a word with other
/// punctuation). Keys are written in line order; a repeated key is written twice (lookups
/// find the first).
struct LogfmtConverter {
  /// The JSON object of the last line converted.
  private(set) var json: [UInt8] = []
  /// Decoded quoted values, before escaping.
  private var scratch: [UInt8] = []

  /// Converts `line` into ``json``; false if it is not logfmt.
  mutating func convert(_ line: UnsafeRawBufferPointer) -> Bool {
    let n = line.count
    guard n > 0, FileDescriptor.find(UInt8(ascii: "="), in: line.baseAddress!, count: n) != nil else {
      return false
    }
    json.removeAll(keepingCapacity: true)
    json.append(UInt8(ascii: "{"))
    var pairs = 0
    var members = 0
    var i = 0
    while true {
      while i < n && (line[i] == 0x20 || line[i] == 0x09) { i += 1 }
      if i == n { break }
      let keyStart = i
      while i < n && Self.isKeyByte(line[i]) { i += 1 }
      guard i > keyStart else { return false }
      if members > 0 { json.append(UInt8(ascii: ",")) }
      members += 1
      json.append(UInt8(ascii: "\""))
      json.append(contentsOf: UnsafeRawBufferPointer(rebasing: line[keyStart..<i]))
      json.append(UInt8(ascii: "\""))
      json.append(UInt8(ascii: ":"))
      if i == n || line[i] == 0x20 || line[i] == 0x09 {
        JSONWriter.appendBool(true, to: &json)
        continue
      }
      guard line[i] == UInt8(ascii: "=") else { return false }
      i += 1
      pairs += 1
      if i < n && line[i] == UInt8(ascii: "\"") {
        guard let end = quotedEnd(line, from: i + 1) else { return false }
        guard end + 1 == n || line[end + 1] == 0x20 || line[end + 1] == 0x09 else { return false }
        unescape(UnsafeRawBufferPointer(rebasing: line[(i + 1)..<end]))
        json.append(UInt8(ascii: "\""))
        scratch.withUnsafeBytes { _ = JSONWriter.appendStringContent($0, to: &json) }
        json.append(UInt8(ascii: "\""))
        i = end + 1
      } else {
        let valueStart = i
        while i < n && line[i] != 0x20 && line[i] != 0x09 { i += 1 }
        appendUnquoted(UnsafeRawBufferPointer(rebasing: line[valueStart..<i]))
      }
    }
    json.append(UInt8(ascii: "}"))
    return pairs > 0
  }

  @inline(__always)
  static func isKeyByte(_ c: UInt8) -> Bool {
    switch c {
    case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
      UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "@"),
      UInt8(ascii: "/"), UInt8(ascii: "-"):
      true
    default: false
    }
  }

  /// The index of the quote closing a value whose content starts at `from`, or nil.
  private func quotedEnd(_ line: UnsafeRawBufferPointer, from: Int) -> Int? {
    var i = from
    while i < line.count {
      switch line[i] {
      case UInt8(ascii: "\\"): i += 2
      case UInt8(ascii: "\""): return i
      default: i += 1
      }
    }
    return nil
  }

  private mutating func appendUnquoted(_ value: UnsafeRawBufferPointer) {
    if Self.equals(value, "true") {
      JSONWriter.appendBool(true, to: &json)
    } else if Self.equals(value, "false") {
      JSONWriter.appendBool(false, to: &json)
    } else if Self.isJSONNumber(value) {
      json.append(contentsOf: value)
    } else {
      json.append(UInt8(ascii: "\""))
      JSONWriter.appendStringContent(value, to: &json)
      json.append(UInt8(ascii: "\""))
    }
  }

  private static func equals(_ value: UnsafeRawBufferPointer, _ text: StaticString) -> Bool {
    value.elementsEqual(UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
  }

  /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`
  static func isJSONNumber(_ v: UnsafeRawBufferPointer) -> Bool {
    let n = v.count
    var i = 0
    func isDigit(_ k: Int) -> Bool { k < n && v[k] >= UInt8(ascii: "0") && v[k] <= UInt8(ascii: "9") }
    if i < n && v[i] == UInt8(ascii: "-") { i += 1 }
    guard isDigit(i) else { return false }
    if v[i] == UInt8(ascii: "0") {
      i += 1
    } else {
      while isDigit(i) { i += 1 }
    }
    if i < n && v[i] == UInt8(ascii: ".") {
      i += 1
      guard isDigit(i) else { return false }
      while isDigit(i) { i += 1 }
    }
    if i < n && (v[i] == UInt8(ascii: "e") || v[i] == UInt8(ascii: "E")) {
      i += 1
      if i < n && (v[i] == UInt8(ascii: "+") || v[i] == UInt8(ascii: "-")) { i += 1 }
      guard isDigit(i) else { return false }
      while isDigit(i) { i += 1 }
    }
    return i == n
  }

  /// Decodes the escapes of a quoted value into ``scratch``.
  private mutating func unescape(_ raw: UnsafeRawBufferPointer) {
    scratch.removeAll(keepingCapacity: true)
    let n = raw.count
    var i = 0
    while i < n {
      let c = raw[i]
      guard c == UInt8(ascii: "\\"), i + 1 < n else {
        scratch.append(c)
        i += 1
        continue
      }
      let e = raw[i + 1]
      i += 2
      switch e {
      case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): scratch.append(e)
      case UInt8(ascii: "n"): scratch.append(0x0A)
      case UInt8(ascii: "r"): scratch.append(0x0D)
      case UInt8(ascii: "t"): scratch.append(0x09)
      case UInt8(ascii: "b"): scratch.append(0x08)
      case UInt8(ascii: "f"): scratch.append(0x0C)
      case UInt8(ascii: "u"):
        guard var scalar = Self.hex4(raw, i) else {
          scratch.append(UInt8(ascii: "\\"))
          scratch.append(e)
          continue
        }
        i += 4
        if scalar >= 0xD800 && scalar < 0xDC00, i + 6 <= n, raw[i] == UInt8(ascii: "\\"),
          raw[i + 1] == UInt8(ascii: "u"), let low = Self.hex4(raw, i + 2), low >= 0xDC00 && low < 0xE000
        {
          scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
          i += 6
        }
        appendUTF8(Unicode.Scalar(scalar) ?? "\u{FFFD}")
      default:
        scratch.append(UInt8(ascii: "\\"))
        scratch.append(e)
      }
    }
  }

  private mutating func appendUTF8(_ scalar: Unicode.Scalar) {
    for unit in UTF8.encode(scalar)! { scratch.append(unit) }
  }

  private static func hex4(_ raw: UnsafeRawBufferPointer, _ at: Int) -> UInt32? {
    guard at + 4 <= raw.count else { return nil }
    var v: UInt32 = 0
    for k in at..<(at + 4) {
      let c = raw[k]
      let d: UInt8
      switch c {
      case UInt8(ascii: "0")...UInt8(ascii: "9"): d = c - UInt8(ascii: "0")
      case UInt8(ascii: "a")...UInt8(ascii: "f"): d = c - UInt8(ascii: "a") + 10
      case UInt8(ascii: "A")...UInt8(ascii: "F"): d = c - UInt8(ascii: "A") + 10
      default: return nil
      }
      v = v << 4 | UInt32(d)
    }
    return v
  }
}
