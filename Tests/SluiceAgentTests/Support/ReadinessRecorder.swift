import Foundation
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// Polls an agent's `/readyz` from a thread of its own and records every change of the
/// answer (its HTTP status and each component's status), in order.
///
/// The thread is not one of the test's cooperative pool, which other tests running at the
/// same time may hold up for seconds: a state that lasts only a moment (a sink degraded for
/// the two seconds of its `unhealthy_after`) is seen even when the test task runs late. The
/// requests are plain HTTP/1.1 over a loopback socket, one connection each.
final class ReadinessRecorder: Sendable {
  private let port: Int
  private let state = Mutex<(history: [AdminRequests.Readiness], stopped: Bool)>(([], false))
  private let finished = DispatchSemaphore(value: 0)

  private init(port: Int) { self.port = port }

  /// Starts polling `http://127.0.0.1:<port>/readyz` every 10 ms until ``stop()``.
  static func start(port: Int) -> ReadinessRecorder {
    let recorder = ReadinessRecorder(port: port)
    let thread = Thread { [recorder] in
      while !recorder.state.withLock({ $0.stopped }) {
        if let answer = recorder.fetch() { recorder.record(answer) }
        usleep(10_000)
      }
      recorder.finished.signal()
    }
    thread.name = "ReadinessRecorder :\(port)"
    thread.start()
    return recorder
  }

  /// Stops polling and waits for the thread to end.
  func stop() {
    let already = state.withLock { s in
      defer { s.stopped = true }
      return s.stopped
    }
    if !already { finished.wait() }
  }

  deinit { stop() }

  /// Every distinct answer so far, oldest first.
  var history: [AdminRequests.Readiness] { state.withLock { $0.history } }

  /// Waits until an answer recorded after position `after` of ``history`` satisfies
  /// `condition`; returns its position and the answer, or nil once `timeout` passed.
  func waitFor(
    after: Int = -1, timeout: Duration = .seconds(30), _ condition: @Sendable (AdminRequests.Readiness) -> Bool
  ) async -> (index: Int, answer: AdminRequests.Readiness)? {
    let deadline = ContinuousClock.now + timeout
    while true {
      let h = history
      if let k = h.indices.first(where: { $0 > after && condition(h[$0]) }) { return (k, h[k]) }
      if ContinuousClock.now >= deadline { return nil }
      try? await Task.sleep(for: .milliseconds(20))
    }
  }

  private func record(_ answer: AdminRequests.Readiness) {
    state.withLock { s in
      if let last = s.history.last, last.httpStatus == answer.httpStatus,
        last.components.mapValues({ $0.status }) == answer.components.mapValues({ $0.status })
      {
        return
      }
      s.history.append(answer)
    }
  }

  /// One `GET /readyz`; nil if the agent did not answer in full.
  private func fetch() -> AdminRequests.Readiness? {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var timeout = timeval(tv_sec: 5, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = UInt16(port).bigEndian
    address.sin_addr.s_addr = in_addr_t(INADDR_LOOPBACK).bigEndian
    let connected = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
      }
    }
    guard connected else { return nil }
    let request = Array("GET /readyz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".utf8)
    guard request.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == request.count
    else { return nil }
    var response: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 16 << 10)
    while true {
      let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
      if n < 0 && errno == EINTR { continue }
      if n <= 0 { break }
      response += buffer[0..<n]
    }
    let text = String(decoding: response, as: UTF8.self)
    guard let split = text.range(of: "\r\n\r\n"), let status = Int(text.split(separator: " ").dropFirst().first ?? "")
    else { return nil }
    return try? AdminRequests.parseReadiness(status: status, body: String(text[split.upperBound...]))
  }
}
