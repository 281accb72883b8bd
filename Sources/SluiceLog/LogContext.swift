import Logging
import SluiceCore

/// Request-scoped context — request id, user id and any typed fields — bound once and
/// carried by every log line written inside the scope, across `await`, child tasks,
/// `async let` and task groups (it is a task-local value).
///
/// ```swift
/// try await withLogContext(requestID: id, userID: user.id, fields: ["tenant": "acme"]) {
///   logger.info("charging card")          // carries request_id, user_id, tenant
///   async let receipt = sendReceipt()     // so does everything in child tasks
/// }
/// ```
///
/// Nested scopes add to the outer one; a key bound again in an inner scope overrides it.
/// Fields are encoded to JSON once, when the scope is entered, not on every log call.
public struct LogContext: Sendable {
  /// What is bound, immutable and shared: reading the context costs one reference, or
  /// nothing at all when nothing is bound.
  final class Storage: Sendable {
    let requestID: String?
    let userID: String?
    let fields: [(key: String, value: JSONValue)]
    /// `,"key":value` for every field, pre-encoded (secret keys already masked).
    let encodedFields: [UInt8]

    init(requestID: String?, userID: String?, fields: [(key: String, value: JSONValue)], encodedFields: [UInt8]) {
      self.requestID = requestID
      self.userID = userID
      self.fields = fields
      self.encodedFields = encodedFields
    }
  }

  let storage: Storage?

  public init() { storage = nil }

  init(storage: Storage?) { self.storage = storage }

  public var requestID: String? { storage?.requestID }
  public var userID: String? { storage?.userID }
  /// Bound fields in the order they were first bound.
  public var fields: [(key: String, value: JSONValue)] { storage?.fields ?? [] }
  /// `,"key":value` for every field, pre-encoded (secret keys already masked).
  var encodedFields: [UInt8] { storage?.encodedFields ?? [] }

  /// The context of the current task.
  @TaskLocal public static var current = LogContext()

  /// Whether nothing is bound.
  public var isEmpty: Bool { storage == nil }

  /// This context with more bound (the new values win).
  public func adding(requestID: String? = nil, userID: String? = nil, fields: [String: JSONValue] = [:]) -> LogContext {
    if requestID == nil && userID == nil && fields.isEmpty { return self }
    var merged = self.fields
    for key in fields.keys.sorted() {
      let value = fields[key]!
      if let i = merged.firstIndex(where: { $0.key == key }) {
        merged[i].value = value
      } else {
        merged.append((key, value))
      }
    }
    return LogContext(
      storage: Storage(
        requestID: requestID ?? self.requestID, userID: userID ?? self.userID, fields: merged,
        encodedFields: fields.isEmpty ? encodedFields : Self.encode(merged)))
  }

  /// Default secret keys and marker; a handler configured otherwise re-encodes the fields.
  static let encoder = MetadataEncoder(
    secrets: SecretKeys(), marker: SluiceLogHandler.Configuration.defaultRedactionMarker)

  static func encode(_ fields: [(key: String, value: JSONValue)]) -> [UInt8] {
    var out: [UInt8] = []
    encoder.appendFields(fields, to: &out)  // secret keys masked at any depth
    return out
  }

  /// The context as swift-log metadata, for handlers other than SluiceLog's.
  public var metadata: Logger.Metadata {
    var m: Logger.Metadata = [:]
    if let requestID { m["request_id"] = .string(requestID) }
    if let userID { m["user_id"] = .string(userID) }
    for (key, value) in fields { m[key] = value.metadataValue }
    return m
  }

  /// A metadata provider exposing the current context, so that every `Logger` in the process
  /// picks it up, whatever its handler: `LoggingSystem.bootstrap(factory, metadataProvider: LogContext.metadataProvider)`.
  /// (``SluiceLogHandler`` reads the context directly, without building metadata per call.)
  public static let metadataProvider = Logger.MetadataProvider { LogContext.current.metadata }
}

/// Runs `operation` with request-scoped log context added to the current one.
public func withLogContext<R>(
  requestID: String? = nil, userID: String? = nil, fields: [String: JSONValue] = [:],
  isolation: isolated (any Actor)? = #isolation,
  _ operation: () async throws -> R
) async rethrows -> R {
  try await LogContext.$current.withValue(
    LogContext.current.adding(requestID: requestID, userID: userID, fields: fields), operation: operation,
    isolation: isolation)
}

/// Runs synchronous `operation` with request-scoped log context added to the current one.
public func withLogContext<R>(
  requestID: String? = nil, userID: String? = nil, fields: [String: JSONValue] = [:], _ operation: () throws -> R
) rethrows -> R {
  try LogContext.$current.withValue(
    LogContext.current.adding(requestID: requestID, userID: userID, fields: fields), operation: operation)
}

extension JSONValue {
  /// This value as swift-log metadata.
  public var metadataValue: Logger.MetadataValue {
    switch self {
    case .null: .string("null")
    case .bool(let b): .stringConvertible(b)
    case .int(let i): .stringConvertible(i)
    case .double(let d): .stringConvertible(d)
    case .string(let s): .string(s)
    case .array(let items): .array(items.map(\.metadataValue))
    case .object(let members):
      .dictionary(Dictionary(members.map { ($0.key, $0.value.metadataValue) }, uniquingKeysWith: { _, b in b }))
    }
  }
}
