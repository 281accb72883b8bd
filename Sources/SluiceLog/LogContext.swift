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
  public private(set) var requestID: String?
  public private(set) var userID: String?
  /// Bound fields in the order they were first bound.
  public private(set) var fields: [(key: String, value: JSONValue)] = []
  /// `,"key":value` for every field, pre-encoded (secret keys already masked).
  private(set) var encodedFields: [UInt8] = []

  public init() {}

  /// The context of the current task.
  @TaskLocal public static var current = LogContext()

  /// Whether nothing is bound.
  public var isEmpty: Bool { requestID == nil && userID == nil && fields.isEmpty }

  /// This context with more bound (the new values win).
  public func adding(requestID: String? = nil, userID: String? = nil, fields: [String: JSONValue] = [:]) -> LogContext {
    var c = self
    if let requestID { c.requestID = requestID }
    if let userID { c.userID = userID }
    if !fields.isEmpty {
      for key in fields.keys.sorted() {
        let value = fields[key]!
        if let i = c.fields.firstIndex(where: { $0.key == key }) {
          c.fields[i].value = value
        } else {
          c.fields.append((key, value))
        }
      }
      c.encodedFields = Self.encode(c.fields)
    }
    return c
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
