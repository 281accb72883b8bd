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

  /// Appends `,"key":value` for each entry, keys sorted, skipping keys in `skip`.
  func appendMembers(_ metadata: Logger.Metadata, to out: inout [UInt8], skip: Set<String>? = nil) {
    let n = metadata.count
    if n == 0 { return }
    // Copy the entries once into a stack buffer and sort them there: no heap allocation,
    // and no dictionary lookups (with their retain/release pairs) inside the sort.
    withUnsafeTemporaryAllocation(of: (key: String, value: Logger.MetadataValue).self, capacity: n) { buf in
      var count = 0
      for entry in metadata {
        buf.initializeElement(at: count, to: entry)
        count += 1
      }
      // Insertion sort: metadata is small.
      var a = 1
      while a < count {
        if buf[a - 1].key > buf[a].key {
          let item = buf.moveElement(from: a)
          var b = a - 1
          while b >= 0 && buf[b].key > item.key {
            buf.initializeElement(at: b + 1, to: buf.moveElement(from: b))
            b -= 1
          }
          buf.initializeElement(at: b + 1, to: item)
        }
        a += 1
      }
      for k in 0..<count {
        if let skip, skip.contains(buf[k].key) { continue }
        out.append(UInt8(ascii: ","))
        appendMember(key: buf[k].key, value: buf[k].value, to: &out)
      }
      _ = UnsafeMutableBufferPointer(rebasing: buf[0..<count]).deinitialize()
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

  /// Appends a value with its natural JSON type.
  func append(_ value: Logger.MetadataValue, to out: inout [UInt8]) {
    switch value {
    case .string(let s):
      JSONWriter.appendString(s, to: &out)
    case .stringConvertible(let c):
      switch c {
      case let i as Int: JSONWriter.appendInt(Int64(i), to: &out)
      case let d as Double: JSONWriter.appendDouble(d, to: &out)
      case let b as Bool: JSONWriter.appendBool(b, to: &out)
      case let i as Int64: JSONWriter.appendInt(i, to: &out)
      case let i as Int32: JSONWriter.appendInt(Int64(i), to: &out)
      case let i as Int16: JSONWriter.appendInt(Int64(i), to: &out)
      case let i as Int8: JSONWriter.appendInt(Int64(i), to: &out)
      case let u as UInt: JSONWriter.appendUInt(UInt64(u), to: &out)
      case let u as UInt64: JSONWriter.appendUInt(u, to: &out)
      case let u as UInt32: JSONWriter.appendUInt(UInt64(u), to: &out)
      case let u as UInt16: JSONWriter.appendUInt(UInt64(u), to: &out)
      case let u as UInt8: JSONWriter.appendUInt(UInt64(u), to: &out)
      case let f as Float: JSONWriter.appendDouble(Double(f), to: &out)
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
