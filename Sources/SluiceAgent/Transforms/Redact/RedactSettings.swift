import SluiceCore

/// `type: redact`: finds and replaces personal data and secrets (docs/redaction.md).
public struct RedactSettings: TransformSettings, Equatable {
  public static let typeName = "redact"

  /// Which built-in detectors run, each with its settings (default: the default set, see
  /// docs/redaction.md). Written in config as a list of names or as a map from name to
  /// `{action, fields}`.
  public var detectors: [DetectorSettings]?
  /// The action of detectors that do not set one (default `mask`).
  public var action: RedactionAction?
  /// Fields whose whole value is replaced (default: the secret names).
  public var denyFields: [String]?
  public var denyAction: RedactionAction?
  /// Fields never scanned (default: ids and timestamps).
  public var allowFields: [String]?
  /// User-defined patterns (POSIX extended regular expressions).
  public var patterns: [PatternSettings]?
  /// For the `hash` action: where the HMAC key comes from.
  public var hashKeyFile: String?
  public var hashKeyEnv: String?

  /// One built-in detector's settings.
  public struct DetectorSettings: Sendable, Codable, Equatable {
    public var name: String
    public var action: RedactionAction?
    public var fields: [String]?

    public init(name: String, action: RedactionAction? = nil, fields: [String]? = nil) {
      self.name = name
      self.action = action
      self.fields = fields
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case name, action, fields }
    /// The keys of one entry of the map form (the name is the map key).
    enum SettingsKeys: String, CodingKey, CaseIterable { case action, fields }
  }

  /// One user-defined pattern.
  public struct PatternSettings: Sendable, Codable, Equatable {
    public var name: String
    public var regex: String
    public var action: RedactionAction?
    public var fields: [String]?

    enum CodingKeys: String, CodingKey, CaseIterable { case name, regex, action, fields }

    public init(from decoder: any Decoder) throws {
      try decoder.rejectUnknownKeys(CodingKeys.self)
      let c = try decoder.container(keyedBy: CodingKeys.self)
      name = try c.decode(String.self, forKey: .name)
      regex = try c.decode(String.self, forKey: .regex)
      action = try c.decodeIfPresent(RedactionAction.self, forKey: .action)
      fields = try c.decodeIfPresent([String].self, forKey: .fields)
    }
  }

  enum CodingKeys: String, CodingKey, CaseIterable {
    case detectors, action, patterns
    case denyFields = "deny_fields", denyAction = "deny_action", allowFields = "allow_fields"
    case hashKeyFile = "hash_key_file", hashKeyEnv = "hash_key_env"
  }

  public init(detectors: [String]? = nil) {
    self.detectors = detectors?.map { DetectorSettings(name: $0) }
  }

  public init(from decoder: any Decoder) throws {
    try decoder.rejectUnknownTransformKeys(CodingKeys.self)
    let c = try decoder.container(keyedBy: CodingKeys.self)
    if c.holdsList(forKey: .detectors), let names = try c.decodeIfPresent([String].self, forKey: .detectors) {
      detectors = names.map { DetectorSettings(name: $0) }
    } else if c.contains(.detectors) {
      // The map form: `{email: {action: partial}, card: {}}`.
      let map = try c.nestedContainer(keyedBy: AnyCodingKey.self, forKey: .detectors)
      var list: [DetectorSettings] = []
      for key in map.allKeys.sorted(by: { $0.stringValue < $1.stringValue }) {
        let d = try map.superDecoder(forKey: key)
        try d.rejectUnknownKeys(DetectorSettings.SettingsKeys.self)
        let s = try d.container(keyedBy: DetectorSettings.SettingsKeys.self)
        list.append(
          DetectorSettings(
            name: key.stringValue, action: try s.decodeIfPresent(RedactionAction.self, forKey: .action),
            fields: try s.decodeIfPresent([String].self, forKey: .fields)))
      }
      detectors = list
    }
    action = try c.decodeIfPresent(RedactionAction.self, forKey: .action)
    denyFields = try c.decodeIfPresent([String].self, forKey: .denyFields)
    denyAction = try c.decodeIfPresent(RedactionAction.self, forKey: .denyAction)
    allowFields = try c.decodeIfPresent([String].self, forKey: .allowFields)
    patterns = try c.decodeIfPresent([PatternSettings].self, forKey: .patterns)
    hashKeyFile = try c.decodeIfPresent(String.self, forKey: .hashKeyFile)
    hashKeyEnv = try c.decodeIfPresent(String.self, forKey: .hashKeyEnv)
  }

  public func validate(at path: String, in pipeline: PipelineContext, into issues: inout ConfigIssues) {
    _ = RedactPolicyBuilder.makePolicy(self, at: path, into: &issues)
  }

  /// The denied fields and every field a detector or pattern is scoped to.
  public var protectedFields: [String] {
    (denyFields ?? SecretKeys.defaultNames) + (detectors ?? []).flatMap { $0.fields ?? [] }
      + (patterns ?? []).flatMap { $0.fields ?? [] }
  }

  public func makeTransform(_ context: TransformBuildContext) throws(ConfigError) -> any EventTransform {
    let redactor = try RedactPolicyBuilder.makeRedactor(self, at: context.path)
    return RedactTransform(redactor: redactor, context: context)
  }
}
