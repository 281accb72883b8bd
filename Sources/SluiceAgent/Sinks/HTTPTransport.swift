import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// POSTs batch bodies with async-http-client (pooled keep-alive connections).
struct HTTPTransport: SinkTransport {
  let client: HTTPClient
  let url: String
  let headers: HTTPHeaders
  let timeout: Duration
  /// `Authorization`, if the sink has `auth` (read per request: files are re-read on change).
  let credentials: Credentials?

  init(config: SinkConfig, client: HTTPClient) throws {
    self.credentials = try config.auth.map { try Credentials($0) }
    self.client = client
    self.url = config.url ?? ""
    var h = HTTPHeaders()
    h.add(name: "Content-Type", value: "application/x-ndjson")
    if config.compression == .gzip { h.add(name: "Content-Encoding", value: "gzip") }
    h.add(name: "User-Agent", value: "sluice/\(SluiceVersion.string)")
    for (k, v) in config.headers.sorted(by: { $0.key < $1.key }) { h.replaceOrAdd(name: k, value: v) }
    self.headers = h
    self.timeout = config.timeout.duration
  }

  func send(body: [UInt8]) async -> DeliveryOutcome {
    var request = HTTPClientRequest(url: url)
    request.method = .POST
    request.headers = headers
    if let credentials { request.headers.replaceOrAdd(name: "Authorization", value: credentials.authorization) }
    request.body = .bytes(ByteBuffer(bytes: body))
    do {
      let response = try await client.execute(request, timeout: .nanoseconds(timeout.nanosecondsClamped))
      let status = Int(response.status.code)
      // Read (a bounded part of) the body so the connection can be reused.
      var excerpt = ByteBuffer()
      for try await var part in response.body {
        if excerpt.readableBytes < 1024 { excerpt.writeBuffer(&part) }
      }
      let text = String(
        buffer: excerpt.getSlice(at: excerpt.readerIndex, length: min(excerpt.readableBytes, 1024)) ?? ByteBuffer())
      return Self.classify(status: status, headers: response.headers, excerpt: text)
    } catch {
      return .retryable(reason: "transport: \(Self.describe(error))", retryAfter: nil)
    }
  }

  static func classify(status: Int, headers: HTTPHeaders, excerpt: String) -> DeliveryOutcome {
    switch status {
    case 200..<300:
      return .delivered
    case 408, 429, 500, 502...599:
      let retryAfter = headers.first(name: "Retry-After").flatMap(RetryAfter.parse)
      return .retryable(reason: "HTTP \(status)", retryAfter: retryAfter)
    default:
      return .rejected(status: status, reason: "HTTP \(status)", responseExcerpt: excerpt)
    }
  }

  static func describe(_ error: any Error) -> String {
    if let e = error as? HTTPClientError { return "\(e)" }
    return String(describing: error)
  }

  func shutdown() async {}
}

/// The `Retry-After` header: delay-seconds, or an HTTP-date.
enum RetryAfter {
  static func parse(_ value: String) -> Duration? {
    let v = value.trimmingCharacters(in: .whitespaces)
    if let seconds = Int(v), seconds >= 0 { return .seconds(seconds) }
    let f = DateFormatter()
    f.locale = Locale(identifier: "en_US_POSIX")
    f.timeZone = TimeZone(identifier: "GMT")
    f.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
    guard let date = f.date(from: v) else { return nil }
    let delta = date.timeIntervalSinceNow
    return .milliseconds(Int64(max(0, delta) * 1000))
  }
}

extension Duration {
  var nanosecondsClamped: Int64 {
    let (s, atto) = components
    if s > Int64.max / 1_000_000_000 { return .max }
    return s * 1_000_000_000 + atto / 1_000_000_000
  }
}
