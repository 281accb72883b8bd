import Logging
import SluiceCore

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

extension SluiceLogHandler {
  // MARK: - Precomputed fragments

  /// What a configuration needs on every call, computed once.
  final class Shared: Sendable {
    /// Unique for the life of the process (per-thread caches are tagged with it).
    let id: UInt64
    let configuration: Configuration
    // Hot fields, copied out of the configuration so a call does not copy all of it.
    let output: LogOutput
    let metrics: LogMetrics?
    let scanValues: Bool
    let includeSourceLocation: Bool
    let isOTel: Bool
    let traceContext: TraceContextSource
    /// `{"timestamp":"` (schema-specific).
    let timestampKey: [UInt8]
    let keys: LogSchema.Keys
    let encoder: MetadataEncoder
    /// `","level":"info","message":` and the like, per level (schema-specific).
    let levelFragments: [[UInt8]]
    let reserved: ReservedKeys
    let requestIDKey: String
    let userIDKey: String
    /// Whether ``LogContext``'s pre-encoded fields (default secret keys and marker) can be used.
    let contextFieldsPrecoded: Bool

    init(_ configuration: Configuration) {
      self.id = SharedID.next()
      self.configuration = configuration
      output = configuration.output
      metrics = configuration.metrics
      if let metrics = configuration.metrics, case .asynchronous = configuration.output.mode {
        let dropped = metrics.dropped
        configuration.output.reportDrops { dropped.increment(by: $0) }
      }
      scanValues = !configuration.valueDetectors.isEmpty || configuration.redaction != nil
      includeSourceLocation = configuration.includeSourceLocation
      isOTel = configuration.schema == .otel
      traceContext = configuration.traceContext
      let keys = configuration.schema.keys
      var ts: [UInt8] = [UInt8(ascii: "{"), UInt8(ascii: "\"")]
      JSONWriter.appendRaw(keys.timestamp, to: &ts)
      JSONWriter.appendRaw("\":\"", to: &ts)
      timestampKey = ts
      self.keys = keys
      self.encoder = MetadataEncoder(
        secrets: SecretKeys(configuration.secretKeys), marker: configuration.redactionMarker)
      self.reserved = Self.reservedKeys(configuration, keys)
      self.requestIDKey = keys.requestID.description
      self.userIDKey = keys.userID.description
      self.contextFieldsPrecoded =
        configuration.secretKeys == SecretKeys.defaultNames
        && configuration.redactionMarker == Configuration.defaultRedactionMarker
      levelFragments = Logger.Level.allCases.map { level in
        var f: [UInt8] = []
        JSONWriter.appendRaw("\",\"", to: &f)
        JSONWriter.appendRaw(keys.level, to: &f)
        JSONWriter.appendRaw("\":", to: &f)
        if configuration.schema == .otel {
          JSONWriter.appendString(
            level.rawValue.uppercased() == "WARNING" ? "WARN" : level.rawValue.uppercased(), to: &f)
          JSONWriter.appendRaw(",\"severity_number\":", to: &f)
          JSONWriter.appendInt(Int64(Self.otelSeverity(level)), to: &f)
        } else {
          JSONWriter.appendString(level.rawValue, to: &f)
        }
        f.append(UInt8(ascii: ","))
        f.append(UInt8(ascii: "\""))
        JSONWriter.appendRaw(keys.message, to: &f)
        JSONWriter.appendRaw("\":", to: &f)
        return f
      }
    }

    /// Keys the schema writes on every line (at the level where metadata goes).
    static func reservedKeys(_ c: Configuration, _ k: LogSchema.Keys) -> ReservedKeys {
      var names: [String]
      if c.schema == .otel {
        names = ["logger"]  // metadata goes inside `attributes`
      } else {
        names = [k.timestamp.description, k.level.description, k.message.description, k.logger.description]
        if c.service != nil { names.append(k.service.description) }
        if c.schema == .ecs { names.append("ecs.version") }
      }
      names += [k.errorType.description, k.errorMessage.description]
      if c.includeSourceLocation { names += [k.file.description, k.line.description, k.function.description] }
      return ReservedKeys(names)
    }

    static func otelSeverity(_ level: Logger.Level) -> Int {
      let same: LogLevel =
        switch level {
        case .trace: .trace
        case .debug: .debug
        case .info: .info
        case .notice: .notice
        case .warning: .warning
        case .error: .error
        case .critical: .critical
        }
      return same.otelSeverityNumber
    }
  }

  static func encodeAfterMessage(label: String, configuration: Configuration) -> [UInt8] {
    var f: [UInt8] = []
    let keys = configuration.schema.keys
    switch configuration.schema {
    case .sluice, .ecs:
      JSONWriter.appendRaw(",\"", to: &f)
      JSONWriter.appendRaw(keys.logger, to: &f)
      JSONWriter.appendRaw("\":", to: &f)
      JSONWriter.appendString(label, to: &f)
      if let service = configuration.service {
        JSONWriter.appendRaw(",\"", to: &f)
        JSONWriter.appendRaw(keys.service, to: &f)
        JSONWriter.appendRaw("\":", to: &f)
        JSONWriter.appendString(service, to: &f)
      }
      if configuration.schema == .ecs {
        JSONWriter.appendRaw(",\"ecs.version\":", to: &f)
        JSONWriter.appendString(LogSchema.ecsVersion, to: &f)
      }
    case .otel:
      if let service = configuration.service {
        JSONWriter.appendRaw(",\"resource\":{\"service.name\":", to: &f)
        JSONWriter.appendString(service, to: &f)
        f.append(UInt8(ascii: "}"))
      }
    }
    return f
  }
}

/// Hands out ``SluiceLogHandler/Shared/id``s.
enum SharedID {
  nonisolated(unsafe) private static var last: UInt64 = 0
  nonisolated(unsafe) private static var lock = pthread_mutex_t()

  static func next() -> UInt64 {
    pthread_mutex_lock(&lock)
    defer { pthread_mutex_unlock(&lock) }
    last += 1
    return last
  }
}
