import Foundation
import SluiceCore

/// The agent's configuration, as read from YAML. Every key is documented in
/// docs/configuration.md; unknown keys are rejected.
public struct AgentConfig: Sendable, Codable, Equatable {
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

  /// Gives unnamed steps their type as name, with `_2`, `_3`, … for later steps of a type.
  static func namingSteps(_ steps: [TransformConfig]) -> [TransformConfig] {
    var seen: [String: Int] = [:]
    return steps.map { step in
      var step = step
      let n = (seen[step.type] ?? 0) + 1
      seen[step.type] = n
      if !step.hasExplicitName { step.name = n == 1 ? step.type : "\(step.type)_\(n)" }
      return step
    }
  }

  public init(from decoder: any Decoder) throws {
    try decoder.rejectUnknownKeys(CodingKeys.self)
    let c = try decoder.container(keyedBy: CodingKeys.self)
    dataDir = try c.decodeIfPresent(String.self, forKey: .dataDir) ?? "./data"
    sources = try c.decode([SourceConfig].self, forKey: .sources)
    pipeline = Self.namingSteps(
      try c.decodeIfPresent([TransformConfig].self, forKey: .pipeline) ?? [.init(ParseSettings())])
    sinks = try c.decode([SinkConfig].self, forKey: .sinks)
    admin = try c.decodeIfPresent(AdminConfig.self, forKey: .admin) ?? AdminConfig()
    shutdownGrace = try c.decodeIfPresent(ConfigDuration.self, forKey: .shutdownGrace) ?? .seconds(25)
    checkpointInterval = try c.decodeIfPresent(ConfigDuration.self, forKey: .checkpointInterval) ?? .seconds(1)
  }
}

/// The admin HTTP endpoint: `GET /metrics` (Prometheus text, or OpenMetrics on request),
/// `GET /healthz` (liveness) and `GET /readyz` (readiness); see docs/metrics.md.
public struct AdminConfig: Sendable, Codable, Equatable {
  /// `host:port`; loopback unless set otherwise. Port 0 picks a free port (logged at start).
  public var address: String = "127.0.0.1:9464"
  public var enabled: Bool = true
  /// Liveness: how long the pipeline or a source loop may stay busy without progress
  /// before `/healthz` fails.
  public var stallAfter: ConfigDuration = .seconds(60)
  /// `POST /-/reload` is served only when the endpoint listens on loopback, unless this is set.
  public var allowRemoteReload: Bool = false

  enum CodingKeys: String, CodingKey, CaseIterable {
    case address, enabled
    case stallAfter = "stall_after", allowRemoteReload = "allow_remote_reload"
  }

  public init() {}

  public init(from decoder: any Decoder) throws {
    try decoder.rejectUnknownKeys(CodingKeys.self)
    let c = try decoder.container(keyedBy: CodingKeys.self)
    address = try c.decodeIfPresent(String.self, forKey: .address) ?? address
    enabled = try c.decodeIfPresent(Bool.self, forKey: .enabled) ?? enabled
    stallAfter = try c.decodeIfPresent(ConfigDuration.self, forKey: .stallAfter) ?? stallAfter
    allowRemoteReload = try c.decodeIfPresent(Bool.self, forKey: .allowRemoteReload) ?? allowRemoteReload
  }

  /// Whether `POST /-/reload` is served: on a loopback address, or when allowed remotely.
  public var servesReload: Bool {
    guard let (host, _) = try? hostAndPort() else { return false }
    return allowRemoteReload || host == "localhost" || host == "::1" || host.hasPrefix("127.")
  }

  /// Checks the address (when the endpoint is enabled) and `stall_after`, adding every
  /// problem found to `issues`. `path` is where this mapping sits in the file, `admin`.
  public func validate(at path: String, into issues: inout ConfigIssues) {
    if enabled {
      do { _ = try hostAndPort() } catch { issues.add("\(path).address", error.message) }
    }
    if stallAfter.nanoseconds < 1_000_000_000 { issues.add("\(path).stall_after", "must be at least 1s") }
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
