import Foundation
import Yams

/// A configuration problem, with where it is.
public struct ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
  /// Dotted path of the offending key, e.g. `sinks[0].url`; empty for the whole file.
  public var path: String
  public var message: String

  public init(path: String, message: String) {
    self.path = path
    self.message = message
  }

  public var description: String { path.isEmpty ? message : "\(path): \(message)" }
}

/// Reads, decodes and validates agent configuration.
public enum ConfigLoader {
  /// Loads a YAML file.
  public static func load(path: String) throws(ConfigError) -> AgentConfig {
    let text: String
    do {
      text = try String(contentsOfFile: path, encoding: .utf8)
    } catch {
      throw ConfigError(path: "", message: "cannot read \(path): \((error as NSError).localizedDescription)")
    }
    return try parse(yaml: text)
  }

  /// Decodes and validates YAML text.
  public static func parse(yaml: String) throws(ConfigError) -> AgentConfig {
    let config: AgentConfig
    do {
      config = try YAMLDecoder().decode(AgentConfig.self, from: yaml)
    } catch let error as DecodingError {
      throw describe(error)
    } catch let error as YamlError {
      throw ConfigError(path: "", message: "not valid YAML: \(error)")
    } catch {
      throw ConfigError(path: "", message: "\(error)")
    }
    try validate(config)
    return config
  }

  /// Checks what decoding cannot: names, references, ranges, URLs.
  public static func validate(_ c: AgentConfig) throws(ConfigError) {
    if c.sources.isEmpty { throw ConfigError(path: "sources", message: "at least one source is required") }
    if c.sinks.isEmpty { throw ConfigError(path: "sinks", message: "at least one sink is required") }
    if c.checkpointInterval.nanoseconds < 10_000_000 {
      throw ConfigError(path: "checkpoint_interval", message: "must be at least 10ms")
    }
    var names = Set<String>()
    for (i, s) in c.sources.enumerated() {
      let at = "sources[\(i)]"
      if s.name.isEmpty { throw ConfigError(path: "\(at).name", message: "must not be empty") }
      if !names.insert(s.name).inserted {
        throw ConfigError(path: "\(at).name", message: "duplicate source name '\(s.name)'")
      }
      try s.settings.validate(at: at)
    }
    names.removeAll()
    for (i, s) in c.sinks.enumerated() {
      let at = "sinks[\(i)]"
      if s.name.isEmpty { throw ConfigError(path: "\(at).name", message: "must not be empty") }
      if !names.insert(s.name).inserted {
        throw ConfigError(path: "\(at).name", message: "duplicate sink name '\(s.name)'")
      }
      switch s.type {
      case .http:
        guard let url = s.url else { throw ConfigError(path: "\(at).url", message: "required for an http sink") }
        guard let u = URL(string: url), let scheme = u.scheme?.lowercased(), scheme == "http" || scheme == "https",
          u.host != nil
        else { throw ConfigError(path: "\(at).url", message: "'\(url)' is not an http:// or https:// URL") }
        if let auth = s.auth {
          do {
            _ = try Credentials(auth)
          } catch {
            throw ConfigError(path: "\(at).auth", message: "\(error)")
          }
        }
      case .file:
        if (s.path ?? "").isEmpty { throw ConfigError(path: "\(at).path", message: "required for a file sink") }
      case .console:
        break
      }
      if s.type != .http && s.auth != nil {
        throw ConfigError(path: "\(at).auth", message: "only for http sinks")
      }
      if !(1...9).contains(s.compressionLevel) {
        throw ConfigError(path: "\(at).compression_level", message: "must be 1 to 9")
      }
      if s.batch.maxEvents < 1 { throw ConfigError(path: "\(at).batch.max_events", message: "must be at least 1") }
      if s.batch.maxBytes.bytes < 1024 {
        throw ConfigError(path: "\(at).batch.max_bytes", message: "must be at least 1KiB")
      }
      if s.batch.maxAge.nanoseconds < 1_000_000 {
        throw ConfigError(path: "\(at).batch.max_age", message: "must be at least 1ms")
      }
      if s.retry.initialBackoff.nanoseconds <= 0 || s.retry.maxBackoff < s.retry.initialBackoff {
        throw ConfigError(path: "\(at).retry", message: "need 0 < initial_backoff <= max_backoff")
      }
      try validateDelivery(s, at: at)
    }
    names.removeAll()
    let sourceNames = c.sources.map(\.name)
    for (i, t) in c.pipeline.enumerated() {
      let at = "pipeline[\(i)]"
      if t.name.isEmpty { throw ConfigError(path: "\(at).name", message: "must not be empty") }
      if !names.insert(t.name).inserted {
        throw ConfigError(path: "\(at).name", message: "duplicate step name '\(t.name)'")
      }
      try t.settings.validate(at: at, in: PipelineContext(steps: c.pipeline, sourceNames: sourceNames, index: i))
    }
    if c.admin.enabled { _ = try c.admin.hostAndPort() }
    if c.admin.stallAfter.nanoseconds < 1_000_000_000 {
      throw ConfigError(path: "admin.stall_after", message: "must be at least 1s")
    }
    if c.dataDir.isEmpty { throw ConfigError(path: "data_dir", message: "must not be empty") }
  }

  /// The HTTP, encoding, buffer and rotation settings of one sink.
  static func validateDelivery(_ s: SinkConfig, at: String) throws(ConfigError) {
    if s.type != .http {
      for (set, key) in [
        (s.encoding != .ndjson, "encoding"), (s.tls != nil, "tls"), (s.concurrency != 1, "concurrency"),
        (!s.headers.isEmpty, "headers"), (s.compression != .none, "compression"),
      ] where set {
        throw ConfigError(path: "\(at).\(key)", message: "only for http sinks")
      }
    }
    if !(1...64).contains(s.concurrency) {
      throw ConfigError(path: "\(at).concurrency", message: "must be 1 to 64")
    }
    if s.timeout.nanoseconds < 1_000_000 { throw ConfigError(path: "\(at).timeout", message: "must be at least 1ms") }
    if s.connectTimeout.nanoseconds < 1_000_000 {
      throw ConfigError(path: "\(at).connect_timeout", message: "must be at least 1ms")
    }
    if let tls = s.tls {
      if let url = s.url, !url.lowercased().hasPrefix("https://") {
        throw ConfigError(path: "\(at).tls", message: "set, but the url is not https://")
      }
      if (tls.certFile == nil) != (tls.keyFile == nil) {
        throw ConfigError(path: "\(at).tls", message: "cert_file and key_file go together")
      }
      for (file, key) in [(tls.caFile, "ca_file"), (tls.certFile, "cert_file"), (tls.keyFile, "key_file")] {
        if let file, !FileManager.default.isReadableFile(atPath: file) {
          throw ConfigError(path: "\(at).tls.\(key)", message: "cannot read \(file)")
        }
      }
    }
    if s.encoding == .loki {
      for name in Array(s.loki.labels.keys) + Array(s.loki.labelFields.keys) where !LokiEncoder.validateLabelName(name)
      {
        throw ConfigError(path: "\(at).loki", message: "'\(name)' is not a Loki label name ([a-zA-Z_][a-zA-Z0-9_]*)")
      }
      if s.loki.labels.isEmpty {
        throw ConfigError(
          path: "\(at).loki.labels", message: "needs at least one fixed label (an event may have none of label_fields)")
      }
    }
    if s.encoding == .elasticsearch && s.elasticsearch.index.isEmpty {
      throw ConfigError(path: "\(at).elasticsearch.index", message: "must not be empty")
    }
    let b = s.buffer
    if b.maxEvents < 1 { throw ConfigError(path: "\(at).buffer.max_events", message: "must be at least 1") }
    if b.byteLimit < 64 * 1024 {
      throw ConfigError(path: "\(at).buffer.max_bytes", message: "must be at least 64KiB")
    }
    if b.type == .disk && !(64 * 1024...1 << 30).contains(b.segmentBytes.bytes) {
      throw ConfigError(path: "\(at).buffer.segment_bytes", message: "must be 64KiB to 1GiB")
    }
    if s.type == .file {
      if s.rotate.maxBytes.bytes < 0 {
        throw ConfigError(path: "\(at).rotate.max_bytes", message: "must not be negative")
      }
      if s.rotate.maxFiles < 1 { throw ConfigError(path: "\(at).rotate.max_files", message: "must be at least 1") }
    }
  }

  static func describe(_ error: DecodingError) -> ConfigError {
    func path(_ codingPath: [any CodingKey]) -> String {
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
    switch error {
    case .keyNotFound(let key, let ctx):
      return ConfigError(path: path(ctx.codingPath + [key]), message: "required key is missing")
    case .typeMismatch(let type, let ctx):
      return ConfigError(path: path(ctx.codingPath), message: "expected \(describe(type))")
    case .valueNotFound(let type, let ctx):
      return ConfigError(path: path(ctx.codingPath), message: "expected \(describe(type)), found nothing")
    case .dataCorrupted(let ctx):
      var message = ctx.debugDescription
      if message.hasPrefix("Cannot initialize"), let last = ctx.codingPath.last {
        message = "invalid value for '\(last.stringValue)'"
      }
      if let underlying = ctx.underlyingError { message += " (\(underlying))" }
      return ConfigError(path: path(ctx.codingPath), message: message)
    @unknown default:
      return ConfigError(path: "", message: "\(error)")
    }
  }

  static func describe(_ type: Any.Type) -> String {
    switch type {
    case is String.Type: "a string"
    case is Int.Type: "an integer"
    case is Bool.Type: "true or false"
    case is Double.Type: "a number"
    default:
      if "\(type)".hasPrefix("Array") {
        "a list"
      } else if "\(type)".hasPrefix("Dictionary") {
        "a mapping"
      } else {
        "a mapping"
      }
    }
  }
}

extension ConfigDuration: Comparable {
  public static func < (a: ConfigDuration, b: ConfigDuration) -> Bool { a.nanoseconds < b.nanoseconds }
}
