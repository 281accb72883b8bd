import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix

/// POSTs batch bodies with async-http-client: one client per sink (``HTTPClientSource``),
/// keep-alive pooled connections (as many as the sink's `concurrency`), connect and request
/// time limits, and the sink's TLS settings.
struct HTTPTransport: SinkTransport {
  /// The client, rebuilt when the TLS files change.
  let clients: HTTPClientSource
  let url: String
  let headers: HTTPHeaders
  let timeout: Duration
  let retry: RetryConfig
  /// `Authorization`, if the sink has `auth` (read per request: files are re-read on change).
  let credentials: Credentials?
  /// Elasticsearch `_bulk`: a 2xx answer carries a status per event.
  let perEventResults: Bool

  /// - Parameter contentType: the encoding's media type.
  init(config: SinkConfig, contentType: String, logger: Logger) throws {
    self.credentials = try config.auth.map { try Credentials($0) }
    self.url = config.url ?? ""
    var h = HTTPHeaders()
    h.add(name: "Content-Type", value: contentType)
    if config.compression == .gzip { h.add(name: "Content-Encoding", value: "gzip") }
    h.add(name: "User-Agent", value: "sluice/\(SluiceVersion.string)")
    for (k, v) in config.headers.sorted(by: { $0.key < $1.key }) { h.replaceOrAdd(name: k, value: v) }
    self.headers = h
    self.timeout = config.timeout.duration
    self.retry = config.retry
    self.perEventResults = config.encoding == .elasticsearch
    self.clients = try HTTPClientSource(config: config, logger: logger)
  }

  func send(body: [UInt8]) async -> DeliveryOutcome {
    var request = HTTPClientRequest(url: url)
    request.method = .POST
    request.headers = headers
    if let credentials { request.headers.replaceOrAdd(name: "Authorization", value: credentials.authorization) }
    request.body = .bytes(ByteBuffer(bytes: body))
    do {
      let response = try await clients.client().execute(
        request, timeout: .nanoseconds(timeout.nanosecondsClamped))
      let status = Int(response.status.code)
      let wantsAll = perEventResults && (200..<300).contains(status)
      // Read the body (a bounded part of it, unless it carries per-event results) so the
      // connection can be reused.
      let limit = wantsAll ? 256 << 20 : 1024
      var kept = ByteBuffer()
      for try await var part in response.body where kept.readableBytes < limit {
        kept.writeBuffer(&part)
      }
      if wantsAll {
        let bytes = Array(buffer: kept)
        if let parsed = ElasticsearchBulkResponse.parse(bytes), parsed.errors {
          return .perEvent(parsed.items.map { .init(status: $0.status, reason: $0.reason) })
        }
        return .delivered
      }
      let text = String(
        buffer: kept.getSlice(at: kept.readerIndex, length: min(kept.readableBytes, 1024)) ?? ByteBuffer())
      return Self.classify(status: status, headers: response.headers, excerpt: text, retry: retry)
    } catch {
      if Self.isConnectFailure(error) { return .unreachable(reason: "connect: \(Self.describe(error))") }
      return .retryable(reason: "transport: \(Self.describe(error))", retryAfter: nil)
    }
  }

  /// Whether `error` says no connection was made (the client does not retry connects
  /// itself: ``HTTPClientSource`` turns that off, so a refused port fails at once).
  static func isConnectFailure(_ error: any Error) -> Bool {
    switch error {
    case is NIOConnectionError: return true
    case let e as IOError:
      return [ECONNREFUSED, EHOSTUNREACH, ENETUNREACH, EADDRNOTAVAIL, ETIMEDOUT].contains(e.errnoCode)
    case let e as HTTPClientError: return e == .connectTimeout
    case let e as ChannelError:
      if case .connectTimeout = e { return true }
      return false
    default: return false
    }
  }

  static func classify(status: Int, headers: HTTPHeaders, excerpt: String, retry: RetryConfig) -> DeliveryOutcome {
    if (200..<300).contains(status) { return .delivered }
    if retry.isRetryable(status) {
      let retryAfter = headers.first(name: "Retry-After").flatMap { RetryAfter.parse($0) }
      return .retryable(reason: "HTTP \(status)", retryAfter: retryAfter)
    }
    return .rejected(status: status, reason: "HTTP \(status)", responseExcerpt: excerpt)
  }

  static func describe(_ error: any Error) -> String {
    if let e = error as? HTTPClientError { return "\(e)" }
    return String(describing: error)
  }

  func shutdown() async {
    await clients.shutdown()
  }
}

/// The `Retry-After` header: delay-seconds, or an HTTP-date (RFC 9110: IMF-fixdate, and the
/// obsolete RFC 850 and asctime forms).
enum RetryAfter {
  static func parse(_ value: String, now: Date = Date()) -> Duration? {
    let v = value.trimmingCharacters(in: .whitespaces)
    if let seconds = Int(v) { return seconds >= 0 ? .seconds(seconds) : nil }
    for format in ["EEE, dd MMM yyyy HH:mm:ss zzz", "EEEE, dd-MMM-yy HH:mm:ss zzz", "EEE MMM d HH:mm:ss yyyy"] {
      let f = DateFormatter()
      f.locale = Locale(identifier: "en_US_POSIX")
      f.timeZone = TimeZone(identifier: "GMT")
      f.dateFormat = format
      if let date = f.date(from: v) {
        return .milliseconds(Int64(max(0, date.timeIntervalSince(now)) * 1000))
      }
    }
    return nil
  }
}

extension Duration {
  var nanosecondsClamped: Int64 {
    let (s, atto) = components
    if s > Int64.max / 1_000_000_000 { return .max }
    return s * 1_000_000_000 + atto / 1_000_000_000
  }
}
