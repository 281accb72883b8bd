import Yams

/// A value that stands in for a required one that could not be decoded, so decoding of the
/// rest of the file goes on. A configuration with a placeholder in it is never used: its
/// problems are reported and it is refused.
protocol ConfigPlaceholder {
  static var configPlaceholder: Self { get }
}

extension String: ConfigPlaceholder { static var configPlaceholder: String { "" } }
extension Int: ConfigPlaceholder { static var configPlaceholder: Int { 0 } }
extension Bool: ConfigPlaceholder { static var configPlaceholder: Bool { false } }
extension Double: ConfigPlaceholder { static var configPlaceholder: Double { 0 } }
extension Array: ConfigPlaceholder { static var configPlaceholder: [Element] { [] } }
extension Dictionary: ConfigPlaceholder { static var configPlaceholder: [Key: Value] { [:] } }

extension ConfigDecoder {
  /// Decodes a child value, recording a problem and answering nil instead of throwing.
  func attempt<T: Decodable>(_ type: T.Type, _ node: Node, key: any CodingKey) -> T? {
    let child = child(node, key)
    do {
      return try child.decodeValue(type)
    } catch let error as DecodingError {
      if let message = Self.choiceMessage(error, T.self) {
        let path = ConfigPath.string(child.codingPath)
        state.report(path, message, at: state.position(of: path))
      } else {
        state.record(error, at: child.codingPath)
      }
    } catch is ConfigDecodingAbandoned {
      // Already recorded deeper down.
    } catch {
      let path = ConfigPath.string(child.codingPath)
      state.report(path, "\(error)", at: state.position(of: path))
    }
    state.markFailed(ConfigPath.string(child.codingPath))
    return nil
  }

  /// For an enum value that is none of the cases: the value, the closest case and the cases.
  static func choiceMessage<T>(_ error: DecodingError, _ type: T.Type) -> String? {
    guard case .dataCorrupted(let ctx) = error, ctx.debugDescription.hasPrefix("Cannot initialize"),
      let value = ctx.debugDescription.components(separatedBy: "value ").last,
      let cases = T.self as? any CaseIterable.Type
    else { return nil }
    let names = caseNames(cases)
    guard !names.isEmpty else { return nil }
    let hint = KeySuggestion.closest(to: value, in: names).map { "did you mean '\($0)'?; " } ?? ""
    return "invalid value '\(value)' (\(hint)one of: \(names.joined(separator: ", ")))"
  }

  private static func caseNames<C: CaseIterable>(_ type: C.Type) -> [String] {
    type.allCases.compactMap { ($0 as? any RawRepresentable)?.rawValue as? String }
  }

  /// A placeholder for `T`, or an abandonment when there is none.
  func placeholder<T>(_ type: T.Type) throws -> T {
    if let p = T.self as? any ConfigPlaceholder.Type, let value = p.configPlaceholder as? T { return value }
    throw ConfigDecodingAbandoned()
  }
}

struct ConfigKeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
  let decoder: ConfigDecoder
  /// The mapping's keys and values, in file order.
  private let values: [String: Node]
  private let order: [String]

  var codingPath: [any CodingKey] { decoder.codingPath }

  init(decoder: ConfigDecoder, mapping: Node.Mapping) {
    self.decoder = decoder
    let path = ConfigPath.string(decoder.codingPath)
    var values: [String: Node] = [:]
    var order: [String] = []
    for (keyNode, value) in mapping {
      guard case .scalar(let k) = keyNode else {
        decoder.state.report(path, "a key must be a plain string, found \(keyNode.kindName)", at: keyNode.mark)
        continue
      }
      let key = k.string
      let keyPath = path.isEmpty ? key : "\(path).\(key)"
      // No key repeats: Yams refuses a repeated key while parsing (a syntax error, see
      // YAMLSyntax), and fragments merge theirs.
      guard values[key] == nil else { continue }
      // A scalar is reported where its value is; a mapping or list where its key is (a block
      // mapping's own position is its first key, a line below).
      let isScalar: Bool
      if case .scalar = value { isScalar = true } else { isScalar = false }
      decoder.state.note(keyPath, value: isScalar ? value.mark : keyNode.mark, key: keyNode.mark)
      values[key] = value
      order.append(key)
    }
    self.values = values
    self.order = order
  }

  var allKeys: [Key] { order.compactMap { Key(stringValue: $0) } }

  func contains(_ key: Key) -> Bool { values[key.stringValue] != nil }

  func decodeNil(forKey key: Key) throws -> Bool {
    guard let node = values[key.stringValue] else { return true }
    return decoder.child(node, key).isNull
  }

  func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
    guard let node = values[key.stringValue], !decoder.child(node, key).isNull else {
      let path = ConfigPath.string(codingPath + [key])
      let place = ConfigPath.string(codingPath)
      decoder.state.report(path, "required key is missing", at: decoder.state.position(of: place))
      decoder.state.markFailed(path)
      return try decoder.placeholder(type)
    }
    if let value = decoder.attempt(type, node, key: key) { return value }
    return try decoder.placeholder(type)
  }

  func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
    guard let node = values[key.stringValue], !decoder.child(node, key).isNull else { return nil }
    return decoder.attempt(type, node, key: key)
  }

  func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try decode(type as Bool.Type, key) }
  func decode(_ type: String.Type, forKey key: Key) throws -> String { try decode(type as String.Type, key) }
  func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try decode(type as Double.Type, key) }
  func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try decode(type as Int.Type, key) }
  private func decode<T: Decodable>(_ type: T.Type, _ key: Key) throws -> T { try decode(type, forKey: key) }

  func decodeIfPresent(_ type: Bool.Type, forKey key: Key) throws -> Bool? { try optional(type, key) }
  func decodeIfPresent(_ type: String.Type, forKey key: Key) throws -> String? { try optional(type, key) }
  func decodeIfPresent(_ type: Double.Type, forKey key: Key) throws -> Double? { try optional(type, key) }
  func decodeIfPresent(_ type: Int.Type, forKey key: Key) throws -> Int? { try optional(type, key) }
  private func optional<T: Decodable>(_ type: T.Type, _ key: Key) throws -> T? {
    try decodeIfPresent(type, forKey: key)
  }

  func nestedContainer<NestedKey: CodingKey>(
    keyedBy type: NestedKey.Type, forKey key: Key
  ) throws
    -> KeyedDecodingContainer<NestedKey>
  {
    try decoder.child(values[key.stringValue] ?? Node.mapping(Node.Mapping([])), key).container(keyedBy: type)
  }

  func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
    try decoder.child(values[key.stringValue] ?? Node.sequence([]), key).unkeyedContainer()
  }

  func superDecoder() throws -> any Decoder { decoder }
  func superDecoder(forKey key: Key) throws -> any Decoder {
    decoder.child(values[key.stringValue] ?? Node("", Tag(.null)), key)
  }
}

struct ConfigUnkeyedContainer: UnkeyedDecodingContainer {
  let decoder: ConfigDecoder
  let elements: [Node]
  private(set) var currentIndex = 0

  init(decoder: ConfigDecoder, elements: [Node]) {
    self.decoder = decoder
    self.elements = elements
    let path = ConfigPath.string(decoder.codingPath)
    for (i, e) in elements.enumerated() { decoder.state.note("\(path)[\(i)]", value: e.mark) }
  }

  var codingPath: [any CodingKey] { decoder.codingPath }
  var count: Int? { elements.count }
  var isAtEnd: Bool { currentIndex >= elements.count }

  mutating func decodeNil() throws -> Bool {
    guard !isAtEnd else { return true }
    if decoder.child(elements[currentIndex], ConfigIndexKey(currentIndex)).isNull {
      currentIndex += 1
      return true
    }
    return false
  }

  mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
    guard !isAtEnd else {
      throw DecodingError.valueNotFound(type, .init(codingPath: codingPath, debugDescription: "no more elements"))
    }
    let index = currentIndex
    currentIndex += 1
    if let value = decoder.attempt(type, elements[index], key: ConfigIndexKey(index)) { return value }
    return try decoder.placeholder(type)
  }

  mutating func nestedContainer<NestedKey: CodingKey>(
    keyedBy type: NestedKey.Type
  ) throws
    -> KeyedDecodingContainer<NestedKey>
  {
    defer { currentIndex += 1 }
    return try decoder.child(elements[currentIndex], ConfigIndexKey(currentIndex)).container(keyedBy: type)
  }

  mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
    defer { currentIndex += 1 }
    return try decoder.child(elements[currentIndex], ConfigIndexKey(currentIndex)).unkeyedContainer()
  }

  mutating func superDecoder() throws -> any Decoder {
    defer { currentIndex += 1 }
    return decoder.child(elements[currentIndex], ConfigIndexKey(currentIndex))
  }
}

struct ConfigSingleValue: SingleValueDecodingContainer {
  let decoder: ConfigDecoder
  var codingPath: [any CodingKey] { decoder.codingPath }

  func decodeNil() -> Bool { decoder.isNull }
  func decode(_ type: Bool.Type) throws -> Bool { try decoder.bool() }
  func decode(_ type: String.Type) throws -> String { try decoder.text("a string") }
  func decode(_ type: Double.Type) throws -> Double { try decoder.number() }
  func decode(_ type: Float.Type) throws -> Float { Float(try decoder.number()) }
  func decode(_ type: Int.Type) throws -> Int { try decoder.integer() }
  func decode(_ type: Int64.Type) throws -> Int64 { Int64(try decoder.integer()) }
  func decode(_ type: UInt64.Type) throws -> UInt64 {
    let v = try decoder.integer()
    guard v >= 0 else { throw decoder.mismatch("a non-negative integer", found: "\(v)") }
    return UInt64(v)
  }
  func decode<T: Decodable>(_ type: T.Type) throws -> T { try decoder.decodeValue(type) }
}
