import Logging
import SluiceCore

/// Writes swift-log metadata as typed JSON: numbers and booleans as JSON numbers and
/// booleans, dictionaries and arrays as objects and arrays, in a stable (sorted) key order,
/// with secrets and sensitive values replaced by a marker.
struct MetadataEncoder: Sendable {
  let secrets: SecretKeys
  /// The marker's escaped JSON string content (a custom marker may contain `"` or `\`).
  let marker: [UInt8]

  init(secrets: SecretKeys, marker: String) {
    self.secrets = secrets
    var escaped: [UInt8] = []
    JSONWriter.appendStringContent(marker, to: &escaped)
    self.marker = escaped
  }

  /// Appends `,"key":value` for each entry, keys sorted, skipping keys in `skip`. A key the
  /// schema writes itself (in `reserved`) is written as `fields.<key>`, so no line has a key
  /// twice (logrus's convention).
  func appendMembers(
    _ metadata: Logger.Metadata, to out: inout [UInt8], skip: Set<String>? = nil, reserved: ReservedKeys? = nil
  ) {
    let n = metadata.count
    if n == 0 { return }
    // Copy keys and values once into stack buffers and sort an index array there: no heap
    // allocation, no dictionary lookups in the sort, and nothing but small integers moved.
    withUnsafeTemporaryAllocation(of: String.self, capacity: n) { keys in
      withUnsafeTemporaryAllocation(of: Logger.MetadataValue.self, capacity: n) { values in
        withUnsafeTemporaryAllocation(of: Int.self, capacity: n) { order in
          var count = 0
          for (key, value) in metadata {
            keys.initializeElement(at: count, to: key)
            values.initializeElement(at: count, to: value)
            order[count] = count
            count += 1
          }
          // Insertion sort of the indices: metadata is small.
          var a = 1
          while a < count {
            let item = order[a]
            var b = a - 1
            while b >= 0 && keys[order[b]] > keys[item] {
              order[b + 1] = order[b]
              b -= 1
            }
            order[b + 1] = item
            a += 1
          }
          for k in 0..<count {
            let i = order[k]
            if let skip, skip.contains(keys[i]) { continue }
            out.append(UInt8(ascii: ","))
            if let reserved, reserved.contains(keys[i]) {
              appendMember(key: "fields." + keys[i], value: values[i], to: &out)
            } else {
              appendMember(key: keys[i], value: values[i], to: &out)
            }
          }
          _ = UnsafeMutableBufferPointer(rebasing: keys[0..<count]).deinitialize()
          _ = UnsafeMutableBufferPointer(rebasing: values[0..<count]).deinitialize()
        }
      }
    }
  }

  /// Appends `"key":value` (no leading comma).
  @inline(__always)
  func appendMember(key: String, value: Logger.MetadataValue, to out: inout [UInt8]) {
    JSONWriter.appendString(key, to: &out)
    out.append(UInt8(ascii: ":"))
    if secrets.matches(key) {
      appendMarker(to: &out)
    } else {
      append(value, to: &out)
    }
  }

  func appendMarker(to out: inout [UInt8]) {
    out.append(UInt8(ascii: "\""))
    out.append(contentsOf: marker)
    out.append(UInt8(ascii: "\""))
  }

  /// Appends `,"key":value` for each context field, in order, masking secret keys at any depth.
  func appendFields(_ fields: [(key: String, value: JSONValue)], to out: inout [UInt8]) {
    for (key, value) in fields {
      out.append(UInt8(ascii: ","))
      appendMember(key: key, json: value, to: &out)
    }
  }

  private func appendMember(key: String, json value: JSONValue, to out: inout [UInt8]) {
    JSONWriter.appendString(key, to: &out)
    out.append(UInt8(ascii: ":"))
    if secrets.matches(key) {
      appendMarker(to: &out)
    } else {
      appendJSON(value, to: &out)
    }
  }

  /// Appends a JSON value, masking members under secret keys at any depth.
  private func appendJSON(_ value: JSONValue, to out: inout [UInt8]) {
    switch value {
    case .object(let members):
      out.append(UInt8(ascii: "{"))
      for (k, m) in members.enumerated() {
        if k > 0 { out.append(UInt8(ascii: ",")) }
        appendMember(key: m.key, json: m.value, to: &out)
      }
      out.append(UInt8(ascii: "}"))
    case .array(let items):
      out.append(UInt8(ascii: "["))
      for (k, item) in items.enumerated() {
        if k > 0 { out.append(UInt8(ascii: ",")) }
        appendJSON(item, to: &out)
      }
      out.append(UInt8(ascii: "]"))
    default:
      value.write(to: &out)
    }
  }

  static let int = ObjectIdentifier(Int.self)
  static let double = ObjectIdentifier(Double.self)
  static let bool = ObjectIdentifier(Bool.self)
  static let int64 = ObjectIdentifier(Int64.self)
  static let int32 = ObjectIdentifier(Int32.self)
  static let int16 = ObjectIdentifier(Int16.self)
  static let int8 = ObjectIdentifier(Int8.self)
  static let uint = ObjectIdentifier(UInt.self)
  static let uint64 = ObjectIdentifier(UInt64.self)
  static let uint32 = ObjectIdentifier(UInt32.self)
  static let uint16 = ObjectIdentifier(UInt16.self)
  static let uint8 = ObjectIdentifier(UInt8.self)
  static let float = ObjectIdentifier(Float.self)

  /// Appends a value with its natural JSON type.
  func append(_ value: Logger.MetadataValue, to out: inout [UInt8]) {
    switch value {
    case .string(let s):
      JSONWriter.appendString(s, to: &out)
    case .stringConvertible(let c):
      // Dispatch on the dynamic type's identity first: one pointer comparison each, and a
      // single cast that is known to succeed, instead of a chain of failing `as?` casts.
      let t = ObjectIdentifier(type(of: c))
      switch t {
      case Self.int: JSONWriter.appendInt(Int64(c as! Int), to: &out)
      case Self.double: JSONWriter.appendDouble(c as! Double, to: &out)
      case Self.bool: JSONWriter.appendBool(c as! Bool, to: &out)
      case Self.int64: JSONWriter.appendInt(c as! Int64, to: &out)
      case Self.int32: JSONWriter.appendInt(Int64(c as! Int32), to: &out)
      case Self.int16: JSONWriter.appendInt(Int64(c as! Int16), to: &out)
      case Self.int8: JSONWriter.appendInt(Int64(c as! Int8), to: &out)
      case Self.uint: JSONWriter.appendUInt(UInt64(c as! UInt), to: &out)
      case Self.uint64: JSONWriter.appendUInt(c as! UInt64, to: &out)
      case Self.uint32: JSONWriter.appendUInt(UInt64(c as! UInt32), to: &out)
      case Self.uint16: JSONWriter.appendUInt(UInt64(c as! UInt16), to: &out)
      case Self.uint8: JSONWriter.appendUInt(UInt64(c as! UInt8), to: &out)
      case Self.float: JSONWriter.appendDouble(Double(c as! Float), to: &out)
      default:
        if value.attributes[Sensitivity.self] == .sensitive {
          appendMarker(to: &out)
        } else {
          JSONWriter.appendString(c.description, to: &out)
        }
      }
    case .dictionary(let dict):
      out.append(UInt8(ascii: "{"))
      let start = out.count
      appendMembers(dict, to: &out)
      if out.count > start { out.remove(at: start) }  // the first member's comma
      out.append(UInt8(ascii: "}"))
    case .array(let items):
      out.append(UInt8(ascii: "["))
      for (k, item) in items.enumerated() {
        if k > 0 { out.append(UInt8(ascii: ",")) }
        append(item, to: &out)
      }
      out.append(UInt8(ascii: "]"))
    }
  }
}

/// Top-level keys a schema writes itself; metadata may not reuse them.
struct ReservedKeys: Sendable {
  private let names: Set<String>
  /// One bit per key length below 64: most keys are rejected without hashing.
  private let lengths: UInt64

  init(_ names: [String]) {
    self.names = Set(names)
    var mask: UInt64 = 0
    for n in names where n.utf8.count < 64 { mask |= 1 << UInt64(n.utf8.count) }
    self.lengths = mask
  }

  @inline(__always)
  func contains(_ key: String) -> Bool {
    let n = key.utf8.count
    guard n < 64, lengths & (1 << UInt64(n)) != 0 else { return false }
    return names.contains(key)
  }
}
