import Foundation

/// One entry of `pipeline:`: a `type:`, an optional `name:` and the settings of that type.
///
/// Like ``SourceConfig``, the envelope knows no kind: decoding reads `type:`, looks it up in
/// ``TransformRegistry`` and lets that kind's settings type decode (and reject unknown keys
/// in) the same mapping.
public struct TransformConfig: Sendable, Codable, Equatable {
  /// The kind's own settings, already decoded.
  public let settings: any TransformSettings
  /// The step's name: a metric label (`step`) and how errors and `/readyz` refer to it.
  /// Defaults to the type, with `_2`, `_3`, … for later steps of the same type.
  public internal(set) var name: String
  /// Whether `name:` was written in the file (a default name is assigned by ``AgentConfig``).
  let hasExplicitName: Bool

  /// The `type:` value that selected the kind.
  public var type: String { Swift.type(of: settings).typeName }

  public init(_ settings: any TransformSettings, name: String? = nil) {
    self.settings = settings
    self.name = name ?? Swift.type(of: settings).typeName
    self.hasExplicitName = name != nil
  }

  /// The settings as a given kind, or nil if the step is of another kind.
  public func settings<S: TransformSettings>(as kind: S.Type) -> S? { settings as? S }

  enum EnvelopeKeys: String, CodingKey { case type, name }

  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: EnvelopeKeys.self)
    let type = try c.decode(String.self, forKey: .type)
    guard let kind = TransformRegistry.kind(named: type) else {
      throw DecodingError.dataCorruptedError(
        forKey: .type, in: c,
        debugDescription:
          "invalid value '\(type)' for 'type' (\(KeySuggestion.didYouMean(type, in: TransformRegistry.typeNames))known step types: \(TransformRegistry.typeNames.joined(separator: ", ")))"
      )
    }
    let explicit = try c.decodeIfPresent(String.self, forKey: .name)
    settings = try kind.init(from: decoder)
    name = explicit ?? type
    hasExplicitName = explicit != nil
  }

  public static func == (a: TransformConfig, b: TransformConfig) -> Bool {
    a.name == b.name && a.settings.isEqual(to: b.settings)
  }
}

/// What a step's validation may look at besides its own settings: the whole pipeline (a
/// rule of one step can depend on another, as the metrics guard depends on what `redact`
/// steps protect) and the configured source names.
public struct PipelineContext: Sendable {
  public var steps: [TransformConfig]
  public var sourceNames: [String]
  /// The index in ``steps`` of the step being validated.
  public var index: Int

  /// Refuses a step that only makes sense on JSON objects when no earlier step (`parse`)
  /// makes events structured: before it, every event is a raw line.
  public func requireStructuredEvents(at path: String) throws(ConfigError) {
    guard !steps[..<index].contains(where: { $0.settings.structuresEvents }) else { return }
    throw ConfigError(
      path: path,
      message:
        "`\(steps[index].type)` must come after a `type: parse` step (before it, events are raw lines, not JSON objects)"
    )
  }

  /// Field names and patterns some step treats as sensitive (``TransformSettings/protectedFields``).
  public var protectedFields: [String] { steps.flatMap { $0.settings.protectedFields } }
}

/// The configuration type of one pipeline step kind: it decodes its own keys, checks
/// itself and builds the running ``EventTransform``. Adding a kind means writing one of
/// these (plus its transform) and adding one line to ``TransformRegistry/kinds``.
public protocol TransformSettings: Sendable, Codable {
  /// The `type:` value that selects this kind, e.g. `filter`.
  static var typeName: String { get }
  /// Checks what decoding cannot (ranges, queries, combinations), adding every problem found
  /// to `issues` rather than stopping at the first. `path` is where this step sits in the
  /// file, e.g. `pipeline[2]`, for error messages.
  func validate(at path: String, in pipeline: PipelineContext, into issues: inout ConfigIssues)
  /// Fields whose values this step treats as sensitive (a `redact` step's denied and scoped
  /// fields): other steps must not copy them into places redaction does not reach.
  var protectedFields: [String] { get }
  /// Whether events can be structured (JSON objects) after this step even if they were raw
  /// before: true for `parse`. Steps after the first such step see structured events.
  var structuresEvents: Bool { get }
  /// The running step. Called once per agent run, before any event flows.
  func makeTransform(_ context: TransformBuildContext) throws(ConfigError) -> any EventTransform
  /// Equality across the existential (kinds are `Equatable`; see the default below).
  func isEqual(to other: any TransformSettings) -> Bool
}

extension TransformSettings {
  public var protectedFields: [String] { [] }
  public var structuresEvents: Bool { false }
}

extension TransformSettings where Self: Equatable {
  public func isEqual(to other: any TransformSettings) -> Bool { (other as? Self) == self }
}

/// The step kinds the agent knows: the one list a new kind is added to.
public enum TransformRegistry {
  static let kinds: [any TransformSettings.Type] = [
    ParseSettings.self,
    RedactSettings.self,
    FilterSettings.self,
    SetFieldsSettings.self,
    RemoveFieldsSettings.self,
    MetricsSettings.self,
  ]

  static func kind(named name: String) -> (any TransformSettings.Type)? { kinds.first { $0.typeName == name } }

  /// The `type:` values, in registration order.
  public static var typeNames: [String] { kinds.map { $0.typeName } }
}

extension Decoder {
  /// Rejects keys that are neither `known` nor the envelope's `type` and `name`.
  func rejectUnknownTransformKeys<K: CodingKey & CaseIterable>(_ known: K.Type) throws {
    try rejectUnknownKeys(TransformKeys<K>.self)
  }
}

/// `K`'s keys plus `type` and `name` (which every step entry may carry).
struct TransformKeys<K: CodingKey & CaseIterable>: CodingKey, CaseIterable {
  var stringValue: String
  var intValue: Int? { nil }
  init(stringValue: String) { self.stringValue = stringValue }
  init?(intValue: Int) { nil }
  static var allCases: [TransformKeys<K>] {
    [TransformKeys(stringValue: "type"), TransformKeys(stringValue: "name")]
      + K.allCases.map { TransformKeys(stringValue: $0.stringValue) }
  }
}

/// Keys for a kind that has no settings of its own.
struct NoKeys: CodingKey, CaseIterable {
  var stringValue: String { "" }
  var intValue: Int? { nil }
  init?(stringValue: String) { nil }
  init?(intValue: Int) { nil }
  static var allCases: [NoKeys] { [] }
}
