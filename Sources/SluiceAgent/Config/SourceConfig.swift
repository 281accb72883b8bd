import Foundation
import Logging

/// One entry of `sources:`: a name, a `type:` and the settings of that type.
///
/// The envelope knows no kind: decoding reads `type:`, looks it up in ``SourceRegistry``
/// and lets that kind's settings type decode (and reject unknown keys in) the same mapping.
public struct SourceConfig: Sendable, Codable, Equatable {
  /// The kind's own settings, already decoded.
  public let settings: any SourceSettings

  /// The source's name: a metric label and the checkpoint key.
  public var name: String { settings.name }
  /// The `type:` value that selected the kind.
  public var type: String { Swift.type(of: settings).typeName }

  public init(_ settings: any SourceSettings) { self.settings = settings }

  /// The settings as a given kind, or nil if the source is of another kind.
  public func settings<S: SourceSettings>(as kind: S.Type) -> S? { settings as? S }

  enum EnvelopeKeys: String, CodingKey { case type }

  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: EnvelopeKeys.self)
    let type = try c.decode(String.self, forKey: .type)
    guard let kind = SourceRegistry.kind(named: type) else {
      throw DecodingError.dataCorruptedError(
        forKey: .type, in: c,
        debugDescription:
          "invalid value '\(type)' for 'type' (\(KeySuggestion.didYouMean(type, in: SourceRegistry.typeNames))known source types: \(SourceRegistry.typeNames.joined(separator: ", ")))"
      )
    }
    settings = try kind.init(from: decoder)
  }

  public static func == (a: SourceConfig, b: SourceConfig) -> Bool { a.settings.isEqual(to: b.settings) }
}

/// The configuration type of one source kind: it decodes its own keys, checks itself and
/// builds the running ``Source``. Adding a kind means writing one of these (plus its source)
/// and adding one line to ``SourceRegistry/kinds``.
public protocol SourceSettings: Sendable, Codable {
  /// The `type:` value that selects this kind, e.g. `file`.
  static var typeName: String { get }
  /// The source's name.
  var name: String { get }
  /// Checks what decoding cannot (ranges, patterns, combinations), adding every problem
  /// found to `issues` rather than stopping at the first. `path` is where this source sits
  /// in the file, e.g. `sources[1]`, for error messages.
  func validate(at path: String, into issues: inout ConfigIssues)
  /// The running source. `index` is the source's position in `sources:`; `health` is where
  /// it reports readiness (on the board, as a `source` component named after it) and the
  /// liveness of its loop (to the watchdog).
  func makeSource(index: Int, metrics: AgentMetrics, health: AgentHealth, logger: Logger) -> any Source
  /// Equality across the existential (kinds are `Equatable`; see the default below).
  func isEqual(to other: any SourceSettings) -> Bool
}

extension SourceSettings where Self: Equatable {
  public func isEqual(to other: any SourceSettings) -> Bool { (other as? Self) == self }
}

/// Where a source starts the first time it runs, with nothing checkpointed (a checkpointed
/// position always resumes).
public enum ReadFrom: String, Sendable, Codable, CaseIterable { case beginning, end }

/// The source kinds the agent knows: the one list a new kind is added to.
public enum SourceRegistry {
  static let kinds: [any SourceSettings.Type] = [
    FileSourceConfig.self,
    JournaldSourceConfig.self,
  ]

  static func kind(named name: String) -> (any SourceSettings.Type)? { kinds.first { $0.typeName == name } }

  /// The `type:` values, in registration order.
  public static var typeNames: [String] { kinds.map { $0.typeName } }
}

extension Decoder {
  /// Rejects keys that are neither `known` nor the envelope's `name` and `type`.
  func rejectUnknownSourceKeys<K: CodingKey & CaseIterable>(_ known: K.Type) throws {
    try rejectUnknownKeys(SourceKeys<K>.self)
  }
}

/// `K`'s keys plus `type` (which every source entry carries).
struct SourceKeys<K: CodingKey & CaseIterable>: CodingKey, CaseIterable {
  var stringValue: String
  var intValue: Int? { nil }
  init(stringValue: String) { self.stringValue = stringValue }
  init?(intValue: Int) { nil }
  static var allCases: [SourceKeys<K>] {
    [SourceKeys(stringValue: "type")] + K.allCases.map { SourceKeys(stringValue: $0.stringValue) }
  }
}
