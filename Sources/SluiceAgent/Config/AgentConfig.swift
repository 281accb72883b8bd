import Foundation
import SluiceCore

/// The agent's configuration, as read from YAML. Every key is documented in
/// docs/configuration.md; unknown keys are rejected.
public struct AgentConfig: Sendable, Decodable, Equatable {
  /// Where checkpoints, buffers and dead letters live.
  public var dataDir: String
  public var sources: [SourceConfig]
  public var pipeline: [TransformConfig]
  public var sinks: [SinkConfig]
  public var admin: AdminConfig
  /// How long a SIGTERM/SIGINT shutdown may spend flushing before it gives up (what is
  /// unsent then is not acknowledged, so it is read again after a restart).
  public var shutdownGrace: ConfigDuration
  /// How often acknowledged positions are written to `data_dir/checkpoints.json` (and once
  /// more at shutdown). After a crash, what was acknowledged since the last write is read
  /// again.
  public var checkpointInterval: ConfigDuration

  enum CodingKeys: String, CodingKey, CaseIterable {
    case dataDir = "data_dir", sources, pipeline, sinks, admin
    case shutdownGrace = "shutdown_grace", checkpointInterval = "checkpoint_interval"
  }

  public init(from decoder: any Decoder) throws {
    try decoder.rejectUnknownKeys(CodingKeys.self)
    let c = try decoder.container(keyedBy: CodingKeys.self)
    dataDir = try c.decodeIfPresent(String.self, forKey: .dataDir) ?? "./data"
    sources = try c.decode([SourceConfig].self, forKey: .sources)
    pipeline = try c.decodeIfPresent([TransformConfig].self, forKey: .pipeline) ?? [.init(type: .parse)]
    sinks = try c.decode([SinkConfig].self, forKey: .sinks)
    admin = try c.decodeIfPresent(AdminConfig.self, forKey: .admin) ?? AdminConfig()
    shutdownGrace = try c.decodeIfPresent(ConfigDuration.self, forKey: .shutdownGrace) ?? .seconds(25)
    checkpointInterval = try c.decodeIfPresent(ConfigDuration.self, forKey: .checkpointInterval) ?? .seconds(1)
  }
}

/// One pipeline step.
public struct TransformConfig: Sendable, Codable, Equatable {
  public enum Kind: String, Sendable, Codable, CaseIterable { case parse, redact, metrics }
  public var type: Kind
  /// For `redact`: which built-in detectors run, each with its settings (default: the
  /// default set, see docs/redaction.md). Written in config as a list of names or as a map
  /// from name to `{action, fields}`.
  public var detectors: [DetectorSettings]?
  /// For `redact`: the action of detectors that do not set one (default `mask`).
  public var action: RedactionAction?
  /// For `redact`: fields whose whole value is replaced (default: the secret names).
  public var denyFields: [String]?
  public var denyAction: RedactionAction?
  /// For `redact`: fields never scanned (default: ids and timestamps).
  public var allowFields: [String]?
  /// For `redact`: user-defined patterns (POSIX extended regular expressions).
  public var patterns: [PatternSettings]?
  /// For `redact` with the `hash` action: where the HMAC key comes from.
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
    case type, detectors, action, patterns
    case denyFields = "deny_fields", denyAction = "deny_action", allowFields = "allow_fields"
    case hashKeyFile = "hash_key_file", hashKeyEnv = "hash_key_env"
  }

  public init(type: Kind, detectors: [String]? = nil) {
    self.type = type
    self.detectors = detectors?.map { DetectorSettings(name: $0) }
  }

  public init(from decoder: any Decoder) throws {
    try decoder.rejectUnknownKeys(CodingKeys.self)
    let c = try decoder.container(keyedBy: CodingKeys.self)
    type = try c.decode(Kind.self, forKey: .type)
    if let names = try? c.decodeIfPresent([String].self, forKey: .detectors) {
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
}

/// The admin HTTP endpoint: `GET /metrics` (Prometheus text format) and `GET /healthz`.
public struct AdminConfig: Sendable, Codable, Equatable {
  /// `host:port`; loopback unless set otherwise. Port 0 picks a free port (logged at start).
  public var address: String = "127.0.0.1:9464"
  public var enabled: Bool = true

  enum CodingKeys: String, CodingKey, CaseIterable { case address, enabled }

  public init() {}

  public init(from decoder: any Decoder) throws {
    try decoder.rejectUnknownKeys(CodingKeys.self)
    let c = try decoder.container(keyedBy: CodingKeys.self)
    address = try c.decodeIfPresent(String.self, forKey: .address) ?? address
    enabled = try c.decodeIfPresent(Bool.self, forKey: .enabled) ?? enabled
  }

  /// The host and port parts of ``address``.
  public func hostAndPort() throws(ConfigError) -> (String, Int) {
    guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]),
      (0...65535).contains(port)
    else { throw ConfigError(path: "admin.address", message: "'\(address)' is not host:port") }
    var host = String(address[..<colon])
    if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
    return (host.isEmpty ? "127.0.0.1" : host, port)
  }
}
