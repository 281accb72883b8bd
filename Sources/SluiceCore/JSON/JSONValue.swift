/// A JSON value as a tree: the typed form of a record's fields.
///
/// Hot paths do not build trees (they work on the bytes and the ``JSONToken`` tape); this
/// type is for APIs that hand fields around, for tests and for tools.
public enum JSONValue: Sendable, Hashable {
  case null
  case bool(Bool)
  case int(Int64)
  case double(Double)
  case string(String)
  case array([JSONValue])
  /// Members in document order.
  case object([JSONMember])

  /// Parses one JSON text.
  public static func parse(
    _ bytes: [UInt8], scanner: JSONScanner = JSONScanner()
  ) throws(JSONScanError)
    -> JSONValue
  {
    var tape: [JSONToken] = []
    try scanner.scan(bytes, into: &tape)
    return bytes.withUnsafeBytes { build(at: 0, tape: tape, bytes: $0) }
  }

  /// Parses one JSON text.
  public static func parse(_ text: String) throws(JSONScanError) -> JSONValue {
    try parse(Array(text.utf8))
  }

  /// Materialises the value at tape index `index`.
  public static func build(at index: Int, tape: [JSONToken], bytes: UnsafeRawBufferPointer) -> JSONValue {
    let t = tape[index]
    switch t.kind {
    case .null: return .null
    case .true: return .bool(true)
    case .false: return .bool(false)
    case .string, .key: return .string(JSONTape.string(at: index, tape: tape, bytes: bytes))
    case .number:
      let literal = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[t.range]), as: UTF8.self)
      if !t.isFloat, let v = Int64(literal) { return .int(v) }
      return .double(Double(literal) ?? .nan)
    case .arrayStart:
      var items: [JSONValue] = []
      var i = index + 1
      while tape[i].kind != .arrayEnd {
        items.append(build(at: i, tape: tape, bytes: bytes))
        i = JSONTape.next(after: i, in: tape)
      }
      return .array(items)
    case .objectStart:
      var members: [JSONMember] = []
      var i = index + 1
      while tape[i].kind == .key {
        let key = JSONTape.string(at: i, tape: tape, bytes: bytes)
        members.append(JSONMember(key, build(at: i + 1, tape: tape, bytes: bytes)))
        i = JSONTape.next(after: i + 1, in: tape)
      }
      return .object(members)
    case .objectEnd, .arrayEnd:
      return .null
    }
  }

  /// Appends the compact JSON text of this value.
  public func write<O: JSONOutput>(to out: inout O) {
    switch self {
    case .null: JSONWriter.appendRaw("null", to: &out)
    case .bool(let b): JSONWriter.appendBool(b, to: &out)
    case .int(let v): JSONWriter.appendInt(v, to: &out)
    case .double(let v): JSONWriter.appendDouble(v, to: &out)
    case .string(let s): JSONWriter.appendString(s, to: &out)
    case .array(let items):
      out.append(UInt8(ascii: "["))
      for (k, item) in items.enumerated() {
        if k > 0 { out.append(UInt8(ascii: ",")) }
        item.write(to: &out)
      }
      out.append(UInt8(ascii: "]"))
    case .object(let members):
      out.append(UInt8(ascii: "{"))
      for (k, m) in members.enumerated() {
        if k > 0 { out.append(UInt8(ascii: ",")) }
        JSONWriter.appendString(m.key, to: &out)
        out.append(UInt8(ascii: ":"))
        m.value.write(to: &out)
      }
      out.append(UInt8(ascii: "}"))
    }
  }

  /// The compact JSON text of this value.
  public var jsonText: String {
    var out: [UInt8] = []
    write(to: &out)
    return String(decoding: out, as: UTF8.self)
  }

  /// The value of the first member named `key`, if this is an object that has one.
  public subscript(key: String) -> JSONValue? {
    guard case .object(let members) = self else { return nil }
    return members.first { $0.key == key }?.value
  }

  /// The string payload, if this is a string.
  public var stringValue: String? {
    if case .string(let s) = self { return s }
    return nil
  }
}

/// One member of a JSON object.
public struct JSONMember: Sendable, Hashable {
  public var key: String
  public var value: JSONValue

  public init(_ key: String, _ value: JSONValue) {
    self.key = key
    self.value = value
  }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
  ExpressibleByBooleanLiteral, ExpressibleByNilLiteral, ExpressibleByArrayLiteral,
  ExpressibleByDictionaryLiteral
{
  public init(stringLiteral value: String) { self = .string(value) }
  public init(integerLiteral value: Int64) { self = .int(value) }
  public init(floatLiteral value: Double) { self = .double(value) }
  public init(booleanLiteral value: Bool) { self = .bool(value) }
  public init(nilLiteral: ()) { self = .null }
  public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
  public init(dictionaryLiteral elements: (String, JSONValue)...) {
    self = .object(elements.map { JSONMember($0.0, $0.1) })
  }
}
