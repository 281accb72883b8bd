import SluiceCore

/// A YAML value written into events as JSON: scalars keep their YAML type (`3` is a
/// number, `true` a boolean, `"3"` and `prod` strings), mappings and lists nest.
struct ConfigJSONValue: Decodable, Sendable, Equatable {
  var value: JSONValue

  init(_ value: JSONValue) { self.value = value }

  init(from decoder: any Decoder) throws {
    if let keyed = try? decoder.container(keyedBy: AnyCodingKey.self) {
      var members: [JSONMember] = []
      for key in keyed.allKeys {
        members.append(JSONMember(key.stringValue, try keyed.decode(ConfigJSONValue.self, forKey: key).value))
      }
      value = .object(members)
      return
    }
    if var list = try? decoder.unkeyedContainer() {
      var items: [JSONValue] = []
      while !list.isAtEnd { items.append(try list.decode(ConfigJSONValue.self).value) }
      value = .array(items)
      return
    }
    let c = try decoder.singleValueContainer()
    if c.decodeNil() {
      value = .null
    } else if let b = try? c.decode(Bool.self) {
      value = .bool(b)
    } else if let i = try? c.decode(Int64.self) {
      value = .int(i)
    } else if let d = try? c.decode(Double.self), d.isFinite {
      value = .double(d)
    } else {
      value = .string(try c.decode(String.self))
    }
  }
}
