import HTTPTypes
import Hummingbird
import Logging
import SluiceLog

/// Correlation ids for Hummingbird: every request gets a request id, bound as SluiceLog
/// context for everything logged while it is handled, echoed in the response, and logged
/// once more in one completion line.
///
/// ```swift
/// let router = Router()
/// router.add(middleware: RequestIDMiddleware(logger: Logger(label: "http")))
/// ```
///
/// - The id is read from `X-Request-ID` (configurable). A value longer than `maxLength` or
///   with characters outside `A–Z a–z 0–9 - _ . :` is *replaced* by a generated id, so a
///   value carrying newlines or quotes is never logged or echoed raw.
/// - Bound for the request: `request_id`, `http.method`, `url.path`.
/// - Completion line: `request completed` with `http.route`, `http.status_code` and
///   `duration_ms` (error level for 5xx, info otherwise).
/// - A handler error is logged with the request id (`request failed`, with `error.type`
///   and `error.message`); an `HTTPResponseError` becomes its response, with the id header.
public struct RequestIDMiddleware<Context: RequestContext>: RouterMiddleware {
  public struct Configuration: Sendable {
    /// The header read and echoed.
    public var headerName: String
    /// Longest accepted incoming id.
    public var maxLength: Int
    /// Log one line per completed request.
    public var logCompletion: Bool
    /// Makes a new id (default: 32 random hex digits).
    public var generate: @Sendable () -> String

    public init(
      headerName: String = "X-Request-ID", maxLength: Int = 128, logCompletion: Bool = true,
      generate: @escaping @Sendable () -> String = RequestID.generate
    ) {
      self.headerName = headerName
      self.maxLength = maxLength
      self.logCompletion = logCompletion
      self.generate = generate
    }
  }

  let logger: Logger
  let configuration: Configuration
  let header: HTTPField.Name

  public init(logger: Logger, configuration: Configuration = Configuration()) {
    self.logger = logger
    self.configuration = configuration
    self.header = HTTPField.Name(configuration.headerName) ?? HTTPField.Name("X-Request-ID")!
  }

  public func handle(
    _ request: Request, context: Context, next: (Request, Context) async throws -> Response
  ) async throws -> Response {
    let start = ContinuousClock.now
    let incoming = request.headers[header]
    let id: String
    if let incoming, RequestID.isValid(incoming, maxLength: configuration.maxLength) {
      id = incoming
    } else {
      id = configuration.generate()
    }
    return try await withLogContext(
      requestID: id,
      fields: ["http.method": .string(request.method.rawValue), "url.path": .string(request.uri.path)]
    ) {
      do {
        var response = try await next(request, context)
        response.headers[header] = id
        complete(context, status: Int(response.status.code), start: start)
        return response
      } catch {
        let status = (error as? any HTTPResponseError)?.status.code ?? 500
        logger.error(
          "request failed", error: error,
          metadata: ["http.status_code": .stringConvertible(Int(status)), "http.route": route(context)])
        if let httpError = error as? any HTTPResponseError {
          var response = try httpError.response(from: request, context: context)
          response.headers[header] = id
          complete(context, status: Int(response.status.code), start: start)
          return response
        }
        complete(context, status: 500, start: start)
        throw error
      }
    }
  }

  private func route(_ context: Context) -> Logger.MetadataValue {
    .string(context.endpointPath ?? "unmatched")
  }

  private func complete(_ context: Context, status: Int, start: ContinuousClock.Instant) {
    guard configuration.logCompletion else { return }
    let elapsed = ContinuousClock.now - start
    let ms = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
    logger.log(
      level: status >= 500 ? .error : .info, "request completed",
      metadata: [
        "http.route": route(context), "http.status_code": .stringConvertible(status),
        "duration_ms": .stringConvertible((ms * 1000).rounded() / 1000),
      ])
  }
}

/// Request id validation and generation.
public enum RequestID {
  /// Whether `value` is safe to log and echo: 1…`maxLength` characters of `A–Z a–z 0–9 - _ . :`.
  public static func isValid(_ value: String, maxLength: Int = 128) -> Bool {
    let utf8 = value.utf8
    guard !utf8.isEmpty, utf8.count <= maxLength else { return false }
    for c in utf8 {
      switch c {
      case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
        UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
        UInt8(ascii: ":"):
        continue
      default:
        return false
      }
    }
    return true
  }

  /// 128 random bits as 32 lower-case hex digits.
  @Sendable public static func generate() -> String {
    var rng = SystemRandomNumberGenerator()
    let hi = rng.next() as UInt64
    let lo = rng.next() as UInt64
    let h = String(hi, radix: 16)
    let l = String(lo, radix: 16)
    return String(repeating: "0", count: 16 - h.count) + h + String(repeating: "0", count: 16 - l.count) + l
  }
}
