import Foundation
import NIOCore

/// One output. Every key is documented in docs/sinks.md.
public struct SinkConfig: Sendable, Codable, Equatable {
  public enum Kind: String, Sendable, Codable, CaseIterable { case http, file, console }
  /// The wire format of an HTTP request body (or of the lines a file sink writes).
  public enum Encoding: String, Sendable, Codable, CaseIterable {
    case ndjson, jsonArray = "json_array", loki, elasticsearch, otlp
  }
  public enum Compression: String, Sendable, Codable, CaseIterable { case gzip, none }
  /// The gzip implementation: libdeflate (whole-buffer, the default) or zlib.
  public enum Compressor: String, Sendable, Codable, CaseIterable { case libdeflate, zlib }
  /// How the console sink prints events.
  public enum ConsoleFormat: String, Sendable, Codable, CaseIterable { case pretty, ndjson }

  public var name: String
  public var type: Kind
  /// For `http`: where batches are POSTed.
  public var url: String?
  /// For `file`: the NDJSON file appended to.
  public var path: String?
  public var encoding: Encoding
  public var compression: Compression
  /// Level 1 (fastest) to 9 (smallest) with zlib, to 12 with libdeflate.
  public var compressionLevel: Int
  /// Which library writes the gzip: `libdeflate` (default) or `zlib`.
  public var compressor: Compressor
  public var batch: BatchConfig
  public var headers: [String: String]
  /// For `http`: the time limit of one request, from sending to the end of the response.
  public var timeout: ConfigDuration
  /// For `http`: the time limit for opening a connection (TCP and TLS handshakes).
  public var connectTimeout: ConfigDuration
  /// For `http`: how many requests may be in flight at once, each batch compressed by its
  /// own sender: by default one per core the process may use (``defaultHTTPConcurrency``).
  /// Checkpoints still advance in order: a batch is acknowledged only when every batch
  /// before it is.
  public var concurrency: Int
  public var retry: RetryConfig
  /// For `http`: credentials sent in the `Authorization` header.
  public var auth: AuthConfig?
  /// For `http` with an `https` URL: trust and client certificates.
  public var tls: TLSConfig?
  /// For `encoding: loki`.
  public var loki: LokiConfig
  /// For `encoding: elasticsearch`.
  public var elasticsearch: ElasticsearchConfig
  /// For `encoding: otlp`.
  public var otlp: OTLPConfig
  /// Where sealed batches wait for delivery: memory (default) or disk.
  public var buffer: BufferConfig
  /// For `console`: `pretty` (default) or `ndjson`; and whether to colour pretty output
  /// (default: when standard output is a terminal and `NO_COLOR` is not set).
  public var format: ConsoleFormat
  public var color: Bool?
  /// For `file`: size-based rotation.
  public var rotate: RotateConfig
  /// How long deliveries may keep failing (and being retried) before `/readyz` reports the
  /// sink unhealthy rather than degraded. At least 1s; default 60s.
  public var unhealthyAfter: ConfigDuration

  enum CodingKeys: String, CodingKey, CaseIterable {
    case name, type, url, path, encoding, compression, batch, headers, timeout, retry, auth, tls, concurrency
    case compressor, compressionLevel = "compression_level", connectTimeout = "connect_timeout"
    case loki, elasticsearch, otlp, buffer, format, color, rotate
    case unhealthyAfter = "unhealthy_after"
  }

  /// An http sink's `concurrency` when the configuration does not set it: the cores this
  /// process may use (its cgroup's CPU quota or cpuset if it has one, as NIO counts them),
  /// at most 8. Each sender compresses its own batch, so compression uses every core.
  public static let defaultHTTPConcurrency = min(8, max(1, System.coreCount))

  public init(from decoder: any Decoder) throws {
    try decoder.rejectUnknownKeys(CodingKeys.self)
    let c = try decoder.container(keyedBy: CodingKeys.self)
    name = try c.decode(String.self, forKey: .name)
    type = try c.decode(Kind.self, forKey: .type)
    url = try c.decodeIfPresent(String.self, forKey: .url)
    path = try c.decodeIfPresent(String.self, forKey: .path)
    encoding = try c.decodeIfPresent(Encoding.self, forKey: .encoding) ?? .ndjson
    compression = try c.decodeIfPresent(Compression.self, forKey: .compression) ?? (type == .http ? .gzip : .none)
    compressionLevel = try c.decodeIfPresent(Int.self, forKey: .compressionLevel) ?? 6
    compressor = try c.decodeIfPresent(Compressor.self, forKey: .compressor) ?? .libdeflate
    batch = try c.decodeIfPresent(BatchConfig.self, forKey: .batch) ?? BatchConfig()
    headers = try c.decodeIfPresent([String: String].self, forKey: .headers) ?? [:]
    timeout = try c.decodeIfPresent(ConfigDuration.self, forKey: .timeout) ?? .seconds(30)
    connectTimeout = try c.decodeIfPresent(ConfigDuration.self, forKey: .connectTimeout) ?? .seconds(10)
    concurrency =
      try c.decodeIfPresent(Int.self, forKey: .concurrency) ?? (type == .http ? Self.defaultHTTPConcurrency : 1)
    retry = try c.decodeIfPresent(RetryConfig.self, forKey: .retry) ?? RetryConfig()
    auth = try c.decodeIfPresent(AuthConfig.self, forKey: .auth)
    tls = try c.decodeIfPresent(TLSConfig.self, forKey: .tls)
    loki = try c.decodeIfPresent(LokiConfig.self, forKey: .loki) ?? LokiConfig()
    elasticsearch = try c.decodeIfPresent(ElasticsearchConfig.self, forKey: .elasticsearch) ?? ElasticsearchConfig()
    otlp = try c.decodeIfPresent(OTLPConfig.self, forKey: .otlp) ?? OTLPConfig()
    buffer = try c.decodeIfPresent(BufferConfig.self, forKey: .buffer) ?? BufferConfig()
    format = try c.decodeIfPresent(ConsoleFormat.self, forKey: .format) ?? .pretty
    color = try c.decodeIfPresent(Bool.self, forKey: .color)
    rotate = try c.decodeIfPresent(RotateConfig.self, forKey: .rotate) ?? RotateConfig()
    unhealthyAfter = try c.decodeIfPresent(ConfigDuration.self, forKey: .unhealthyAfter) ?? .seconds(60)
  }
}

/// An HTTP sink's credentials. Secrets come from a file (re-read when it changes, as a
/// Kubernetes projected token is) or an environment variable — never from the configuration
/// itself, and they are never logged.
public struct AuthConfig: Sendable, Codable, Equatable {
  public enum Kind: String, Sendable, Codable, CaseIterable { case bearer, basic }
  public var type: Kind
  /// `bearer`: the token.
  public var tokenFile: String?
  public var tokenEnv: String?
  /// `basic`: the user name (not a secret) and the password.
  public var username: String?
  public var passwordFile: String?
  public var passwordEnv: String?

  enum CodingKeys: String, CodingKey, CaseIterable {
    case type, username
    case tokenFile = "token_file", tokenEnv = "token_env", passwordFile = "password_file", passwordEnv = "password_env"
  }

  public init(from decoder: any Decoder) throws {
    try decoder.rejectUnknownKeys(CodingKeys.self)
    let c = try decoder.container(keyedBy: CodingKeys.self)
    type = try c.decode(Kind.self, forKey: .type)
    tokenFile = try c.decodeIfPresent(String.self, forKey: .tokenFile)
    tokenEnv = try c.decodeIfPresent(String.self, forKey: .tokenEnv)
    username = try c.decodeIfPresent(String.self, forKey: .username)
    passwordFile = try c.decodeIfPresent(String.self, forKey: .passwordFile)
    passwordEnv = try c.decodeIfPresent(String.self, forKey: .passwordEnv)
  }
}

/// TLS for an `https` sink. Server certificates are verified against the system trust store
/// (plus `ca_file` when set) unless `insecure_skip_verify` is set, which logs a warning.
public struct TLSConfig: Sendable, Codable, Equatable {
  /// PEM file of CA certificates trusted in addition to the system's.
  public var caFile: String?
  /// PEM client certificate chain and key, for mutual TLS.
  public var certFile: String?
  public var keyFile: String?
  public var insecureSkipVerify: Bool = false

  enum CodingKeys: String, CodingKey, CaseIterable {
    case caFile = "ca_file", certFile = "cert_file", keyFile = "key_file"
    case insecureSkipVerify = "insecure_skip_verify"
  }

  public init() {}

  public init(from decoder: any Decoder) throws {
    try decoder.rejectUnknownKeys(CodingKeys.self)
    let c = try decoder.container(keyedBy: CodingKeys.self)
    caFile = try c.decodeIfPresent(String.self, forKey: .caFile)
    certFile = try c.decodeIfPresent(String.self, forKey: .certFile)
    keyFile = try c.decodeIfPresent(String.self, forKey: .keyFile)
    insecureSkipVerify = try c.decodeIfPresent(Bool.self, forKey: .insecureSkipVerify) ?? false
  }
}

/// When a sink's open batch is sent: whichever limit is reached first.
public struct BatchConfig: Sendable, Codable, Equatable {
  public var maxEvents: Int = 1000
  /// Uncompressed payload size.
  public var maxBytes: ByteSize = ByteSize(bytes: 1 << 20)
  public var maxAge: ConfigDuration = .seconds(1)

  enum CodingKeys: String, CodingKey, CaseIterable {
    case maxEvents = "max_events", maxBytes = "max_bytes", maxAge = "max_age"
  }

  public init() {}

  public init(from decoder: any Decoder) throws {
    try decoder.rejectUnknownKeys(CodingKeys.self)
    let c = try decoder.container(keyedBy: CodingKeys.self)
    maxEvents = try c.decodeIfPresent(Int.self, forKey: .maxEvents) ?? maxEvents
    maxBytes = try c.decodeIfPresent(ByteSize.self, forKey: .maxBytes) ?? maxBytes
    maxAge = try c.decodeIfPresent(ConfigDuration.self, forKey: .maxAge) ?? maxAge
  }
}

/// Which failures are retried, and how long to wait between attempts (exponential backoff
/// with full jitter; a server's `Retry-After` replaces the draw, capped by
/// `max_retry_after`). Attempts are unlimited: a batch is retried until delivered, refused
/// for good (dead-lettered), or the shutdown grace period ends.
public struct RetryConfig: Sendable, Codable, Equatable {
  public var initialBackoff: ConfigDuration = .milliseconds(200)
  public var maxBackoff: ConfigDuration = .seconds(30)
  public var maxRetryAfter: ConfigDuration = .seconds(60)
  /// The backoff cap when no connection could be made at all (refused, unreachable): short,
  /// so delivery resumes soon after the sink comes back. Unset: 500 ms, or `max_backoff` if
  /// that is shorter (``connectBackoffCap``).
  public var maxConnectBackoff: ConfigDuration?

  /// The cap in force after a failed connect.
  public var connectBackoffCap: ConfigDuration {
    maxConnectBackoff ?? min(.milliseconds(500), maxBackoff)
  }
  /// HTTP statuses retried: numbers, or a class such as `5xx`. A class never covers 501
  /// (Not Implemented will not change by retrying); list 501 itself to retry it.
  /// Every other status outside 2xx is refused for good and dead-lettered.
  public var statuses: [StatusPattern] = [.exact(408), .exact(429), .serverErrors]

  enum CodingKeys: String, CodingKey, CaseIterable {
    case initialBackoff = "initial_backoff", maxBackoff = "max_backoff", maxRetryAfter = "max_retry_after"
    case maxConnectBackoff = "max_connect_backoff"
    case statuses
  }

  public init() {}

  public init(from decoder: any Decoder) throws {
    try decoder.rejectUnknownKeys(CodingKeys.self)
    let c = try decoder.container(keyedBy: CodingKeys.self)
    initialBackoff = try c.decodeIfPresent(ConfigDuration.self, forKey: .initialBackoff) ?? initialBackoff
    maxBackoff = try c.decodeIfPresent(ConfigDuration.self, forKey: .maxBackoff) ?? maxBackoff
    maxRetryAfter = try c.decodeIfPresent(ConfigDuration.self, forKey: .maxRetryAfter) ?? maxRetryAfter
    maxConnectBackoff = try c.decodeIfPresent(ConfigDuration.self, forKey: .maxConnectBackoff)
    statuses = try c.decodeIfPresent([StatusPattern].self, forKey: .statuses) ?? statuses
  }

  /// Whether a response with `status` is worth another attempt.
  public func isRetryable(_ status: Int) -> Bool {
    statuses.contains { $0.matches(status) }
  }

  /// One entry of ``statuses``.
  public enum StatusPattern: Sendable, Codable, Equatable {
    case exact(Int)
    /// `Nxx`: every status of class N (for 5xx, all but 501).
    case statusClass(Int)

    static let serverErrors = StatusPattern.statusClass(5)

    func matches(_ status: Int) -> Bool {
      switch self {
      case .exact(let s): return s == status
      case .statusClass(let k): return status / 100 == k && status != 501
      }
    }

    public init(from decoder: any Decoder) throws {
      let c = try decoder.singleValueContainer()
      if let n = try? c.decode(Int.self) {
        guard (100...599).contains(n) else {
          throw DecodingError.dataCorruptedError(in: c, debugDescription: "\(n) is not an HTTP status")
        }
        self = .exact(n)
        return
      }
      let s = try c.decode(String.self).lowercased()
      if s.count == 3, s.hasSuffix("xx"), let k = Int(s.prefix(1)), (1...5).contains(k) {
        self = .statusClass(k)
      } else if let n = Int(s), (100...599).contains(n) {
        self = .exact(n)
      } else {
        throw DecodingError.dataCorruptedError(
          in: c, debugDescription: "'\(s)' is not an HTTP status or a class such as 5xx")
      }
    }

    public func encode(to encoder: any Encoder) throws {
      var c = encoder.singleValueContainer()
      switch self {
      case .exact(let s): try c.encode(s)
      case .statusClass(let k): try c.encode("\(k)xx")
      }
    }
  }
}

/// Loki push API settings: which labels every stream carries.
public struct LokiConfig: Sendable, Codable, Equatable {
  /// Fixed labels on every stream (default `{job: sluice}`, so no stream is ever label-less).
  public var labels: [String: String] = ["job": "sluice"]
  /// Labels taken from event fields: label name → field path. Keep these low-cardinality
  /// (level, namespace, container); never ids or user data.
  public var labelFields: [String: String] = [
    "level": "level", "namespace": "k8s.namespace.name", "container": "k8s.container.name",
  ]

  enum CodingKeys: String, CodingKey, CaseIterable { case labels, labelFields = "label_fields" }

  public init() {}

  public init(from decoder: any Decoder) throws {
    try decoder.rejectUnknownKeys(CodingKeys.self)
    let c = try decoder.container(keyedBy: CodingKeys.self)
    labels = try c.decodeIfPresent([String: String].self, forKey: .labels) ?? labels
    labelFields = try c.decodeIfPresent([String: String].self, forKey: .labelFields) ?? labelFields
  }
}

/// Elasticsearch / OpenSearch `_bulk` settings.
public struct ElasticsearchConfig: Sendable, Codable, Equatable {
  public enum Action: String, Sendable, Codable, CaseIterable { case create, index }
  /// The target index or data stream; `%Y`, `%m` and `%d` are taken from the event's time (UTC).
  public var index: String = "logs-sluice"
  /// `create` (required by data streams) or `index`.
  public var action: Action = .create

  enum CodingKeys: String, CodingKey, CaseIterable { case index, action }

  public init() {}

  public init(from decoder: any Decoder) throws {
    try decoder.rejectUnknownKeys(CodingKeys.self)
    let c = try decoder.container(keyedBy: CodingKeys.self)
    index = try c.decodeIfPresent(String.self, forKey: .index) ?? index
    action = try c.decodeIfPresent(Action.self, forKey: .action) ?? action
  }
}

/// OTLP/HTTP JSON settings.
public struct OTLPConfig: Sendable, Codable, Equatable {
  /// Fixed resource attributes, e.g. `{deployment.environment: prod}`.
  public var resource: [String: String] = [:]
  /// Event fields moved to the resource (records are grouped by them). Nil: the encoder's
  /// default list (service.*, host.name, k8s.*, container.id).
  public var resourceFields: [String]?

  enum CodingKeys: String, CodingKey, CaseIterable { case resource, resourceFields = "resource_fields" }

  public init() {}

  public init(from decoder: any Decoder) throws {
    try decoder.rejectUnknownKeys(CodingKeys.self)
    let c = try decoder.container(keyedBy: CodingKeys.self)
    resource = try c.decodeIfPresent([String: String].self, forKey: .resource) ?? resource
    resourceFields = try c.decodeIfPresent([String].self, forKey: .resourceFields)
  }
}

/// Where a sink's sealed batches wait for delivery, and what happens when that is full.
public struct BufferConfig: Sendable, Codable, Equatable {
  public enum Kind: String, Sendable, Codable, CaseIterable { case memory, disk }
  /// When the buffer is full: `block` (the sources pause: backpressure), `drop_oldest` or
  /// `drop_newest` (the dropped events are counted in `sluice_events_dropped_total`).
  public enum Policy: String, Sendable, Codable, CaseIterable {
    case block, dropOldest = "drop_oldest", dropNewest = "drop_newest"
  }

  public var type: Kind = .memory
  /// Memory buffer: at most this many events waiting (beyond the batch being filled).
  public var maxEvents: Int = 20_000
  /// Waiting bytes, uncompressed. Default 16MiB in memory, 1GiB on disk.
  public var maxBytes: ByteSize?
  public var policy: Policy = .block
  /// Disk buffer: size of one segment file.
  public var segmentBytes: ByteSize = ByteSize(bytes: 8 << 20)

  enum CodingKeys: String, CodingKey, CaseIterable {
    case type, policy, maxEvents = "max_events", maxBytes = "max_bytes", segmentBytes = "segment_bytes"
  }

  public init() {}

  public init(from decoder: any Decoder) throws {
    try decoder.rejectUnknownKeys(CodingKeys.self)
    let c = try decoder.container(keyedBy: CodingKeys.self)
    type = try c.decodeIfPresent(Kind.self, forKey: .type) ?? type
    maxEvents = try c.decodeIfPresent(Int.self, forKey: .maxEvents) ?? maxEvents
    maxBytes = try c.decodeIfPresent(ByteSize.self, forKey: .maxBytes)
    policy = try c.decodeIfPresent(Policy.self, forKey: .policy) ?? policy
    segmentBytes = try c.decodeIfPresent(ByteSize.self, forKey: .segmentBytes) ?? segmentBytes
  }

  /// ``maxBytes`` with its per-type default.
  public var byteLimit: Int { maxBytes?.bytes ?? (type == .memory ? 16 << 20 : 1 << 30) }
}

/// Size-based rotation of a file sink: `path` → `path.1` → … → `path.<max_files>`.
public struct RotateConfig: Sendable, Codable, Equatable {
  /// Rotate before a write would make the file larger than this; 0: never.
  public var maxBytes: ByteSize = ByteSize(bytes: 100 << 20)
  /// Rotated files kept.
  public var maxFiles: Int = 5

  enum CodingKeys: String, CodingKey, CaseIterable { case maxBytes = "max_bytes", maxFiles = "max_files" }

  public init() {}

  public init(from decoder: any Decoder) throws {
    try decoder.rejectUnknownKeys(CodingKeys.self)
    let c = try decoder.container(keyedBy: CodingKeys.self)
    maxBytes = try c.decodeIfPresent(ByteSize.self, forKey: .maxBytes) ?? maxBytes
    maxFiles = try c.decodeIfPresent(Int.self, forKey: .maxFiles) ?? maxFiles
  }
}
