import Foundation

/// A duration written as `250ms`, `5s`, `2m`, `1h`, or a bare number of seconds.
public struct ConfigDuration: Sendable, Hashable, Codable, CustomStringConvertible {
  public var nanoseconds: Int64

  public init(nanoseconds: Int64) { self.nanoseconds = nanoseconds }
  public static func milliseconds(_ ms: Int64) -> ConfigDuration { .init(nanoseconds: ms * 1_000_000) }
  public static func seconds(_ s: Int64) -> ConfigDuration { .init(nanoseconds: s * 1_000_000_000) }

  public var duration: Duration { .nanoseconds(nanoseconds) }
  public var seconds: Double { Double(nanoseconds) / 1e9 }

  /// Parses the text form; nil if it is not one.
  public init?(parsing text: String) {
    let t = text.trimmingCharacters(in: .whitespaces)
    let units: [(String, Double)] = [("ms", 1e6), ("us", 1e3), ("ns", 1), ("s", 1e9), ("m", 60e9), ("h", 3600e9)]
    for (suffix, scale) in units where t.hasSuffix(suffix) {
      guard let v = Double(t.dropLast(suffix.count)), v >= 0, v.isFinite else { return nil }
      self.nanoseconds = Int64(v * scale)
      return
    }
    guard let v = Double(t), v >= 0, v.isFinite else { return nil }
    self.nanoseconds = Int64(v * 1e9)
  }

  public init(from decoder: any Decoder) throws {
    let c = try decoder.singleValueContainer()
    if let n = try? c.decode(Double.self), n >= 0 {
      self.nanoseconds = Int64(n * 1e9)
      return
    }
    let s = try c.decode(String.self)
    guard let d = ConfigDuration(parsing: s) else {
      throw DecodingError.dataCorruptedError(
        in: c, debugDescription: "'\(s)' is not a duration (examples: 250ms, 5s, 2m, 1h)")
    }
    self = d
  }

  public func encode(to encoder: any Encoder) throws {
    var c = encoder.singleValueContainer()
    try c.encode(description)
  }

  public var description: String {
    if nanoseconds % 1_000_000_000 == 0 { return "\(nanoseconds / 1_000_000_000)s" }
    return "\(nanoseconds / 1_000_000)ms"
  }
}

/// A size in bytes written as `512`, `64KiB`, `1MiB`, `1GiB` (or KB/MB/GB, powers of 1000).
public struct ByteSize: Sendable, Hashable, Codable, CustomStringConvertible {
  public var bytes: Int

  public init(bytes: Int) { self.bytes = bytes }

  public init?(parsing text: String) {
    let t = text.trimmingCharacters(in: .whitespaces)
    let units: [(String, Int)] = [
      ("KiB", 1 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30), ("KB", 1000), ("MB", 1_000_000),
      ("GB", 1_000_000_000), ("B", 1),
    ]
    for (suffix, scale) in units where t.hasSuffix(suffix) {
      guard let v = Double(t.dropLast(suffix.count).trimmingCharacters(in: .whitespaces)), v >= 0
      else { return nil }
      self.bytes = Int(v * Double(scale))
      return
    }
    guard let v = Int(t), v >= 0 else { return nil }
    self.bytes = v
  }

  public init(from decoder: any Decoder) throws {
    let c = try decoder.singleValueContainer()
    if let n = try? c.decode(Int.self), n >= 0 {
      self.bytes = n
      return
    }
    let s = try c.decode(String.self)
    guard let v = ByteSize(parsing: s) else {
      throw DecodingError.dataCorruptedError(
        in: c, debugDescription: "'\(s)' is not a size (examples: 4096, 64KiB, 1MiB)")
    }
    self = v
  }

  public func encode(to encoder: any Encoder) throws {
    var c = encoder.singleValueContainer()
    try c.encode(bytes)
  }

  public var description: String { "\(bytes)B" }
}

/// Decoding helper: rejects keys a config section does not define, so typos fail loudly.
struct AnyCodingKey: CodingKey {
  var stringValue: String
  var intValue: Int?
  init(stringValue: String) { self.stringValue = stringValue }
  init?(intValue: Int) {
    self.stringValue = String(intValue)
    self.intValue = intValue
  }
}

extension Decoder {
  /// Refuses keys `K` does not list, so a typo fails loudly rather than being ignored. With a
  /// ``ConfigDecoder`` every unknown key is recorded (with a "did you mean" when one known key
  /// is close) and decoding goes on; with any other decoder the first one is thrown.
  func rejectUnknownKeys<K: CodingKey & CaseIterable>(_ known: K.Type) throws {
    let c = try container(keyedBy: AnyCodingKey.self)
    let names = K.allCases.map(\.stringValue)
    for key in c.allKeys where !names.contains(key.stringValue) {
      let message = Self.unknownKeyMessage(key.stringValue, known: names)
      guard let config = self as? ConfigDecoder else {
        throw DecodingError.dataCorrupted(.init(codingPath: codingPath + [key], debugDescription: message))
      }
      let path = ConfigPath.string(codingPath + [key])
      config.state.report(path, message, at: config.state.keyMark(of: path))
    }
  }

  static func unknownKeyMessage(_ key: String, known: [String]) -> String {
    if let hint = KeySuggestion.closest(to: key, in: known) { return "unknown key '\(key)' (did you mean '\(hint)'?)" }
    return "unknown key '\(key)' (known keys: \(known.joined(separator: ", ")))"
  }
}

extension KeyedDecodingContainer {
  /// Whether `key`'s value is a list (for keys written either as a list or as a mapping). Asks
  /// for the shape without decoding, so no decoder records a failed attempt as a problem.
  func holdsList(forKey key: Key) -> Bool {
    contains(key) && (try? nestedUnkeyedContainer(forKey: key)) != nil
  }
}
