import Foundation
import Yams

/// A `Decoder` over a composed YAML document that keeps going after a mistake.
///
/// The configuration types stay ordinary `Decodable` types. This decoder differs from
/// `YAMLDecoder` in three ways:
/// - every problem is recorded in ``ConfigDecodingState`` with the key path and the line and
///   column of the value, and decoding goes on: an optional key whose value is wrong decodes
///   as absent (its default applies), a required one as a ``ConfigPlaceholder`` value, a list
///   element as a placeholder element, so one pass finds every mistake in the file;
/// - unknown keys are recorded with a "did you mean" suggestion (see
///   ``Decoder/rejectUnknownKeys(_:)``) rather than thrown;
/// - scalars are interpolated from the environment (`${VAR}`, `${VAR:-default}`, `$${`) before
///   they are read, so an unset variable is reported where it is used.
///
/// Paths whose value was replaced are remembered (``ConfigDecodingState/failedPaths``): a
/// later check of a replaced value would only report a consequence of the same mistake.
struct ConfigDecoder: Decoder {
  let node: Node
  let state: ConfigDecodingState
  let codingPath: [any CodingKey]
  var userInfo: [CodingUserInfoKey: Any] { [:] }

  init(node: Node, state: ConfigDecodingState, codingPath: [any CodingKey] = []) {
    self.node = node
    self.state = state
    self.codingPath = codingPath
  }

  func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
    guard case .mapping(let mapping) = node else {
      throw DecodingError.typeMismatch(
        [String: Any].self,
        .init(codingPath: codingPath, debugDescription: "expected a mapping, found \(node.kindName)"))
    }
    return KeyedDecodingContainer(ConfigKeyedContainer<Key>(decoder: self, mapping: mapping))
  }

  func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
    guard case .sequence(let sequence) = node else {
      throw DecodingError.typeMismatch(
        [Any].self, .init(codingPath: codingPath, debugDescription: "expected a list, found \(node.kindName)"))
    }
    return ConfigUnkeyedContainer(decoder: self, elements: Array(sequence))
  }

  func singleValueContainer() throws -> any SingleValueDecodingContainer { ConfigSingleValue(decoder: self) }

  /// A decoder for a child value.
  func child(_ node: Node, _ key: any CodingKey) -> ConfigDecoder {
    ConfigDecoder(node: node, state: state, codingPath: codingPath + [key])
  }

  /// Decodes `T` from this decoder's node: scalars directly (after interpolation), anything
  /// else through `T.init(from:)`.
  func decodeValue<T: Decodable>(_ type: T.Type) throws -> T {
    if let scalar = try scalarValue(type) { return scalar }
    return try T(from: self)
  }

  /// `T` read from a scalar, for the scalar types; nil for every other type.
  private func scalarValue<T: Decodable>(_ type: T.Type) throws -> T? {
    switch type {
    case is String.Type: return try text("a string") as? T
    case is Bool.Type: return try bool() as? T
    case is Int.Type: return try integer() as? T
    case is Double.Type: return try number() as? T
    default: return nil
    }
  }

  /// The scalar's text after interpolation; `expected` names the wanted type for the error.
  func text(_ expected: String) throws -> String {
    guard case .scalar(let scalar) = node else {
      throw DecodingError.typeMismatch(
        String.self, .init(codingPath: codingPath, debugDescription: "expected \(expected), found \(node.kindName)"))
    }
    do {
      return try Interpolation.expand(scalar.string, environment: state.environment)
    } catch {
      throw DecodingError.dataCorrupted(.init(codingPath: codingPath, debugDescription: error.description))
    }
  }

  /// The scalar's text for a typed value: a quoted scalar is a string in YAML, so `"3"` is
  /// not the number 3 (a `set` step writes it as a string) — unless it holds a `${VAR}`
  /// reference, which YAML's flow style (`{concurrency: "${WORKERS}"}`) needs quoted.
  func typedText(_ expected: String) throws -> String {
    let t = try text(expected)
    if case .scalar(let s) = node, s.style != .plain && s.style != .any, !s.string.contains("${") {
      throw mismatch(expected, found: "\"\(t)\" (quoted, so a string)")
    }
    return t
  }

  func bool() throws -> Bool {
    let t = try typedText("true or false")
    switch t.lowercased() {
    case "true": return true
    case "false": return false
    default: throw mismatch("true or false", found: t)
    }
  }

  func integer() throws -> Int {
    let t = try typedText("an integer")
    if let v = Int(t.replacingOccurrences(of: "_", with: "")) { return v }
    if let d = Double(t), d.rounded() == d, abs(d) < 9e15 { return Int(d) }
    throw mismatch("an integer", found: t)
  }

  func number() throws -> Double {
    let t = try typedText("a number")
    if let v = Double(t.replacingOccurrences(of: "_", with: "")), v.isFinite { return v }
    throw mismatch("a number", found: t)
  }

  func mismatch(_ expected: String, found: String) -> DecodingError {
    let shown = found.hasPrefix("\"") ? found : "'\(found)'"
    return .typeMismatch(
      Any.self, .init(codingPath: codingPath, debugDescription: "expected \(expected), found \(shown)"))
  }

  var isNull: Bool {
    if case .scalar(let s) = node { return s.style == .plain && node.null != nil }
    return false
  }
}

/// What decoding found and where: problems, the replaced paths, and every value's position.
final class ConfigDecodingState {
  let environment: [String: String]
  /// The file and its own line for a line of the (possibly merged) document, for messages
  /// (`bad.yaml:10:41: …`).
  let locate: (Int) -> (file: String?, line: Int)
  private(set) var problems: [ConfigError] = []
  /// Paths whose value could not be decoded and was replaced (see ``ConfigDecoder``).
  private(set) var failedPaths: Set<String> = []
  /// The position of each key path's value (and of list elements, `sinks[0]`).
  private(set) var marks: [String: Mark] = [:]
  /// The position of each key path's key, where an unknown or duplicate key is reported.
  private(set) var keyMarks: [String: Mark] = [:]
  private var reported: Set<String> = []

  init(environment: [String: String], locate: @escaping (Int) -> (file: String?, line: Int)) {
    self.environment = environment
    self.locate = locate
  }

  /// A problem at `mark` of the document.
  func error(_ path: String, _ message: String, at mark: Mark?) -> ConfigError {
    guard let mark else { return ConfigError(path: path, message: message, file: locate(Int.max).file) }
    let (file, line) = locate(mark.line)
    return ConfigError(path: path, message: message, file: file, line: line, column: mark.column)
  }

  func note(_ path: String, value: Mark?, key: Mark? = nil) {
    if let value, marks[path] == nil { marks[path] = value }
    if let key, keyMarks[path] == nil { keyMarks[path] = key }
  }

  /// Records that `path`'s value was replaced. Its parent is remembered too: a check of the
  /// enclosing mapping (`multiline` needs a `preset` or a `pattern`) would otherwise report a
  /// consequence of the same mistake.
  func markFailed(_ path: String) {
    failedPaths.insert(path)
    if let cut = path.lastIndex(where: { $0 == "." || $0 == "[" }) { failedParents.insert(String(path[..<cut])) }
  }

  private var failedParents: Set<String> = []

  /// Records a problem once (a mapping decoded twice, by an envelope and by its kind, must
  /// not report its unknown keys twice).
  func report(_ path: String, _ message: String, at mark: Mark?) {
    guard reported.insert(path + "\u{0}" + message).inserted else { return }
    problems.append(error(path, message, at: mark))
  }

  /// The position of `path`'s key (for unknown and duplicate keys), else of its value.
  func keyMark(of path: String) -> Mark? { keyMarks[path] ?? position(of: path) }

  /// The position of `path`, or of its nearest enclosing path that has one.
  func position(of path: String) -> Mark? {
    var p = path
    while true {
      if let m = marks[p] ?? keyMarks[p] { return m }
      guard let cut = p.lastIndex(where: { $0 == "." || $0 == "[" }) else { return marks[""] }
      p = String(p[..<cut])
    }
  }

  /// Whether a check's problem at `path` would only repeat a decoding problem: `path` or a
  /// path enclosing it was replaced, or `path` directly encloses a replaced value.
  func isUnderFailed(_ path: String) -> Bool {
    if failedParents.contains(path) { return true }
    var p = path
    while true {
      if failedPaths.contains(p) { return true }
      guard let cut = p.lastIndex(where: { $0 == "." || $0 == "[" }) else { return false }
      p = String(p[..<cut])
    }
  }

  /// Records a `DecodingError` thrown by a type's own `init(from:)`.
  func record(_ error: DecodingError, at fallback: [any CodingKey]) {
    let (codingPath, message): ([any CodingKey], String)
    switch error {
    case .typeMismatch(let type, let ctx):
      codingPath = ctx.codingPath
      message =
        ctx.debugDescription.hasPrefix("expected") ? ctx.debugDescription : "expected \(ConfigPath.describe(type))"
    case .valueNotFound(let type, let ctx):
      codingPath = ctx.codingPath
      message = "expected \(ConfigPath.describe(type)), found nothing"
    case .keyNotFound(let key, let ctx):
      codingPath = ctx.codingPath + [key]
      message = "required key is missing"
    case .dataCorrupted(let ctx):
      codingPath = ctx.codingPath.isEmpty ? fallback : ctx.codingPath
      var m = ctx.debugDescription
      if m.hasPrefix("Cannot initialize"), let value = m.components(separatedBy: "value ").last {
        m = "invalid value '\(value)'"
      }
      if let underlying = ctx.underlyingError { m += " (\(underlying))" }
      message = m
    @unknown default:
      codingPath = fallback
      message = "\(error)"
    }
    let path = ConfigPath.string(codingPath)
    report(path, message, at: position(of: path))
  }
}

/// Thrown after a problem has been recorded, to abandon a value nothing can stand in for.
struct ConfigDecodingAbandoned: Error {}

/// Key paths as the messages write them: `sinks[0].batch.max_events`.
enum ConfigPath {
  static func string(_ codingPath: [any CodingKey]) -> String {
    var out = ""
    for key in codingPath {
      if let i = key.intValue {
        out += "[\(i)]"
      } else {
        out += out.isEmpty ? key.stringValue : ".\(key.stringValue)"
      }
    }
    return out
  }

  static func describe(_ type: Any.Type) -> String {
    switch type {
    case is String.Type: "a string"
    case is Int.Type: "an integer"
    case is Bool.Type: "true or false"
    case is Double.Type: "a number"
    default: "\(type)".hasPrefix("Array") ? "a list" : "a mapping"
    }
  }
}

extension Node {
  /// How a message names what was found instead.
  var kindName: String {
    switch self {
    case .scalar(let s): s.string.isEmpty ? "nothing" : "'\(s.string)'"
    case .mapping: "a mapping"
    case .sequence: "a list"
    case .alias: "an alias"
    }
  }
}

/// Index keys of list elements.
struct ConfigIndexKey: CodingKey {
  var intValue: Int?
  var stringValue: String { "\(intValue ?? 0)" }
  init(_ index: Int) { intValue = index }
  init?(intValue: Int) { self.intValue = intValue }
  init?(stringValue: String) { nil }
}
