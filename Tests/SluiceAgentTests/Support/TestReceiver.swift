import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTLS
import Logging
import NIOCore
import NIOSSL
import ServiceLifecycle
import Synchronization

/// A loopback HTTP server standing in for a log backend: it records every request body
/// (gunzipped with the real `gzip` tool when `Content-Encoding: gzip`) and lets a test wait
/// until a number of events has arrived.
final class TestReceiver: Sendable {
  struct Request: Sendable {
    var contentEncoding: String?
    var contentType: String?
    var authorization: String?
    var rawBody: [UInt8]
    var lines: [String]
  }

  private let state = Mutex<(requests: [Request], waiters: [(Int, CheckedContinuation<Void, Never>)])>(([], []))
  private let task: Mutex<Task<Void, any Error>?> = Mutex(nil)
  private let boundPort = Mutex(0)
  var port: Int { boundPort.withLock { $0 } }
  private let scheme: String

  var url: String { "\(scheme)://127.0.0.1:\(port)/ingest" }

  private init(scheme: String) { self.scheme = scheme }

  /// How the receiver answers: status and headers for the n-th request (0-based) and its
  /// decoded lines. Only 2xx answers count as received.
  typealias Responder = @Sendable (_ attempt: Int, _ lines: [String]) -> (Int, [(String, String)])

  private let attemptCount = Mutex(0)
  /// Every request, whatever it was answered.
  var attempts: Int { attemptCount.withLock { $0 } }

  /// Starts a receiver on a free loopback port; over TLS (https) when `tls` is given.
  static func start(
    tls: TLSConfiguration? = nil, respond: @escaping Responder = { _, _ in (200, []) }
  ) async throws -> TestReceiver {
    let receiver = TestReceiver(scheme: tls == nil ? "http" : "https")
    let ready = AsyncStream<Int>.makeStream()
    let router = Router()
    router.post("/ingest") { request, _ -> Response in
      let body = try await request.body.collect(upTo: 256 << 20)
      let raw = Array(buffer: body)
      let encoding = request.headers[.contentEncoding]
      let payload = encoding == "gzip" ? try TestReceiver.gunzip(raw) : raw
      let text = String(decoding: payload, as: UTF8.self)
      var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
      if lines.last == "" { lines.removeLast() }
      let attempt = receiver.attemptCount.withLock { n -> Int in
        defer { n += 1 }
        return n
      }
      let (status, headers) = respond(attempt, lines)
      if (200..<300).contains(status) {
        receiver.record(
          Request(
            contentEncoding: encoding, contentType: request.headers[.contentType],
            authorization: request.headers[.authorization], rawBody: raw, lines: lines))
      }
      var fields = HTTPFields()
      for (k, v) in headers { fields.append(HTTPField(name: HTTPField.Name(k)!, value: v)) }
      return Response(
        status: HTTPResponse.Status(code: status), headers: fields,
        body: ResponseBody(byteBuffer: ByteBuffer(string: "status \(status) for attempt \(attempt)")))
    }
    let app = Application(
      router: router,
      server: try tls.map { try .tls(.http1(), tlsConfiguration: $0) } ?? .http1(),
      configuration: .init(address: .hostname("127.0.0.1", port: 0)),
      onServerRunning: { channel in
        let p = channel.localAddress?.port ?? 0
        receiver.boundPort.withLock { $0 = p }
        ready.continuation.yield(p)
        ready.continuation.finish()
      },
      logger: {
        var l = Logger(label: "test-receiver")
        l.logLevel = .critical  // stopping by cancellation is expected; keep test output clean
        return l
      }())
    let task = Task { try await app.runService(gracefulShutdownSignals: []) }
    for await _ in ready.stream {}
    receiver.task.withLock { $0 = task }
    return receiver
  }

  func stop() {
    task.withLock { $0?.cancel() }
  }

  private func record(_ r: Request) {
    let ready = state.withLock { s -> [CheckedContinuation<Void, Never>] in
      s.requests.append(r)
      let total = s.requests.reduce(0) { $0 + $1.lines.count }
      let (done, waiting) = s.waiters.reduce(
        into: ([CheckedContinuation<Void, Never>](), [(Int, CheckedContinuation<Void, Never>)]())
      ) {
        if total >= $1.0 { $0.0.append($1.1) } else { $0.1.append($1) }
      }
      s.waiters = waiting
      return done
    }
    for c in ready { c.resume() }
  }

  var requests: [Request] { state.withLock { $0.requests } }
  var lines: [String] { state.withLock { $0.requests.flatMap(\.lines) } }

  /// Waits until at least `count` events have arrived; false if `timeout` passed first.
  func waitForEvents(_ count: Int, timeout: Duration = .seconds(60)) async -> Bool {
    await withTaskGroup(of: Bool.self) { group in
      group.addTask {
        await withCheckedContinuation { c in
          let now = self.state.withLock { s -> Bool in
            if s.requests.reduce(0, { $0 + $1.lines.count }) >= count { return true }
            s.waiters.append((count, c))
            return false
          }
          if now { c.resume() }
        }
        return true
      }
      group.addTask {
        try? await Task.sleep(for: timeout)
        return false
      }
      let first = await group.next() ?? false
      if !first {
        // Release the waiter so the group can finish.
        let pending = state.withLock { s -> [CheckedContinuation<Void, Never>] in
          defer { s.waiters.removeAll() }
          return s.waiters.map(\.1)
        }
        for c in pending { c.resume() }
      }
      group.cancelAll()
      return first
    }
  }

  /// Decompresses with the system's `gzip -dc`, an implementation independent of ours.
  static func gunzip(_ data: [UInt8]) throws -> [UInt8] {
    let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("body-\(UUID().uuidString).gz")
    try Data(data).write(to: tmp)
    defer { try? FileManager.default.removeItem(at: tmp) }
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/bin/gzip")
    p.arguments = ["-dc", tmp.path]
    let out = Pipe()
    p.standardOutput = out
    try p.run()
    let result = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    guard p.terminationStatus == 0 else { throw GunzipFailed(status: p.terminationStatus) }
    return Array(result)
  }

  struct GunzipFailed: Error { var status: Int32 }
}
