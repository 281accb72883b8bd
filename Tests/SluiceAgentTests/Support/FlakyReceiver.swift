import Dispatch
import Foundation
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// A loopback HTTP/1.1 server that misbehaves on request: it answers late, answers with any
/// status and headers, or resets the TCP connection (RST) in the middle of a request or after
/// reading it — things a framework server cannot be made to do.
///
/// It is written directly on POSIX sockets. One thread accepts; each connection gets its own
/// thread, so any number of keep-alive connections are served at once. Every blocking call
/// (`accept`, `recv`, `send`, a response delay) waits in `poll(2)` together with a stop pipe,
/// which is how ``stop()`` reaches them all at once.
///
/// HTTP support: several requests per connection (keep-alive; pipelined requests too),
/// `Connection: close` from either side, HTTP/1.0 (closes unless `Connection: keep-alive`),
/// `Content-Length` bodies and `Transfer-Encoding: chunked` bodies (decoded; trailers ignored),
/// and `Expect: 100-continue` (answered with `100 Continue` when the body is first read). Any
/// method and any path are accepted; what to answer is up to `decide`. Requests the server
/// cannot frame (a malformed head, `Content-Length` or chunk, a transfer coding other than
/// `chunked`, a head over 64 KiB, a body over 256 MiB) are answered 400, 501, 431 or 413 and
/// the connection closed; `decide` is not called for them when the head already shows it.
///
/// ```swift
/// let sink = try FlakyReceiver.start { attempt, _ in
///   attempt == 0 ? .resetMidRequest : .respond(status: 200)
/// }
/// defer { sink.stop() }
/// // ... point the agent at sink.url ...
/// #expect(await sink.waitUntil(timeout: .seconds(30)) { $0.count == 1 })
/// ```
final class FlakyReceiver: Sendable {
  /// What to do with one request.
  enum Action: Sendable {
    /// Reads the whole body, waits `delay`, then answers. `Content-Length` is added unless given
    /// in `headers` (and never for 1xx, 204 and 304). The connection is kept open unless the
    /// request or `headers` say `Connection: close`, or the request is HTTP/1.0 without
    /// `Connection: keep-alive`.
    ///
    /// The delay runs out even if the client gives up meanwhile: like a backend that processed
    /// the request, a 2xx is then added to ``FlakyReceiver/accepted`` although nobody reads the
    /// answer (the source of duplicates after client timeouts). Only ``FlakyReceiver/stop()``
    /// cuts it short, closing the connection unanswered.
    case respond(status: Int, headers: [(String, String)] = [], body: String = "", delay: Duration = .zero)
    /// Read part of the request body, then reset the connection (RST) without answering.
    ///
    /// "Part" is the first half (rounded down) of a `Content-Length` body — strictly less than
    /// all of it when there is one — or the first bytes of a chunked body; with no body the
    /// reset follows the head. Bytes that had already arrived are dropped with the connection.
    /// If `decide` looked at `request.body`, the body has been read in full and the reset comes
    /// after it, as with `.resetAfterRequest`. The client sees the RST whether or not it had
    /// finished writing: a body small enough for the socket buffers (up to a few hundred KiB on
    /// loopback) is usually all written, so the client fails while waiting for the answer; a
    /// bigger one fails while being written.
    case resetMidRequest
    /// Read the whole request, then reset without answering (the client cannot know whether it
    /// was processed). The request is not added to ``FlakyReceiver/accepted``.
    case resetAfterRequest
  }

  /// One request as received.
  struct Request: Sendable {
    /// The request method, such as `POST`.
    var method: String
    /// The request target exactly as sent: the path and any query, such as `/ingest?x=1`.
    var path: String
    /// The header fields in arrival order, names as sent.
    var headers: [(String, String)]
    /// The body, raw as received: not decompressed (see `TestReceiver.gunzip`), but with any
    /// chunked transfer coding removed.
    ///
    /// In the request given to `decide`, the body is read from the connection the first time
    /// this is asked for (waiting for all of it); until then none of it has been read, which
    /// is what lets `.resetMidRequest` stop halfway. Empty if the body could not be read (the
    /// client went away, or sent a malformed chunk): whatever `decide` then returns, the
    /// connection is closed, with a 400 for a malformed body.
    var body: [UInt8] {
      get { (try? source.load().get()) ?? [] }
      set { source = BodySource(newValue) }
    }
    fileprivate var source: BodySource

    init(method: String, path: String, headers: [(String, String)], body: [UInt8]) {
      self.init(method: method, path: path, headers: headers, source: BodySource(body))
    }

    fileprivate init(method: String, path: String, headers: [(String, String)], source: BodySource) {
      self.method = method
      self.path = path
      self.headers = headers
      self.source = source
    }

    /// The value of the first header field called `name` (compared case-insensitively).
    func header(_ name: String) -> String? {
      headers.first { $0.0.caseInsensitiveCompare(name) == .orderedSame }?.1
    }
  }

  /// Chooses the action for a request. It is called once per request, on the connection's
  /// thread, as soon as the request *head* has been read: the body is read only if `decide`
  /// reads `request.body` (see ``Request/body``) or, after it returns, if the action needs it.
  /// So a decision may go by the content, at the price of having read all of it.
  ///
  /// `attempt` counts, from 0, the requests `decide` has been called for, across all
  /// connections, in the order their heads were read. `decide` should not block for long: a
  /// thread inside it cannot be interrupted by ``stop()``.
  typealias Decide = @Sendable (_ attempt: Int, _ request: Request) -> Action

  private let core: Core

  private init(core: Core) { self.core = core }

  deinit { core.stop() }

  /// Starts a receiver on 127.0.0.1, on a free port or on `port` (to bring a sink back where a
  /// stopped one was); it serves until ``stop()``.
  ///
  /// `decide` is called once per request, after its head was read and before its body is,
  /// with the request and its 0-based attempt number; see ``Decide``.
  static func start(
    port: Int = 0, decide: @escaping @Sendable (_ attempt: Int, _ request: Request) -> Action
  ) throws -> FlakyReceiver {
    let core = try Core(port: port, decide: decide)
    core.startAccepting()
    return FlakyReceiver(core: core)
  }

  /// The port the receiver listens on.
  var port: Int { core.port }

  /// `http://127.0.0.1:<port>/ingest`.
  var url: String { "http://127.0.0.1:\(port)/ingest" }

  /// The requests answered with a 2xx status, with their bodies, in answer order. A request is
  /// added just before its answer is written, so a client that has seen a 2xx finds it here.
  var accepted: [Request] { core.state.withLock { $0.accepted } }

  /// How many requests `decide` has been called for, whatever became of them.
  var attempts: Int { core.state.withLock { $0.attempts } }

  /// How many TCP connections have been accepted, to tell keep-alive reuse from reconnects.
  var connections: Int { core.state.withLock { $0.connections } }

  /// Waits until `predicate(accepted)` is true or `timeout` has passed, and returns whether it
  /// became true.
  ///
  /// The predicate is checked at once, on the caller's task, and then again whenever requests
  /// have been accepted, on a thread of its own: never on a connection's thread, so a costly
  /// predicate delays no answer, and when requests arrive faster than it runs, it skips to
  /// the latest `accepted`. A zero timeout just checks once. Once the receiver is stopped
  /// nothing more is accepted, so a pending wait returns its last answer (false, unless the
  /// last requests made it true); a cancelled one returns false.
  func waitUntil(timeout: Duration, _ predicate: @escaping @Sendable ([Request]) -> Bool) async -> Bool {
    let core = self.core
    let id = core.state.withLock { s in
      defer { s.nextWaiterID += 1 }
      return s.nextWaiterID
    }
    return await withTaskCancellationHandler {
      await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
        let (snapshot, stopped) = core.state.withLock { s in
          s.waiters[id] = Core.Waiter(predicate: predicate, continuation: continuation)
          return (s.accepted, s.stopped)
        }
        let met = predicate(snapshot)
        if met || stopped || timeout <= .zero || Task.isCancelled { return core.finishWaiter(id, met) }
        let timer = Task {
          try? await Task.sleep(for: timeout)
          core.finishWaiter(id, false)
        }
        let pending = core.state.withLock { s in
          s.waiters[id]?.timer = timer
          return s.waiters[id] != nil
        }
        if !pending { timer.cancel() }
      }
    } onCancel: {
      core.finishWaiter(id, false)
    }
  }

  /// Stops the receiver: closes the listener and every connection (a request waiting for its
  /// delay is closed unanswered), ends pending ``waitUntil(timeout:_:)`` calls, and returns once
  /// the receiver's threads have ended — at most 5 seconds, which only a `decide` that blocks
  /// can make it wait. Safe to call more than once; also done on `deinit`.
  func stop() { core.stop() }

  /// A socket call that failed while starting.
  struct SocketError: Error, CustomStringConvertible {
    var call: String
    var code: Int32
    var description: String { "\(call): \(String(cString: strerror(code)))" }
  }
}

extension FlakyReceiver {
  /// The listener, the stop pipe and the state the threads share. The threads hold this, not
  /// the `FlakyReceiver`, so dropping the receiver stops it.
  fileprivate final class Core: Sendable {
    struct Waiter {
      var predicate: @Sendable ([Request]) -> Bool
      var continuation: CheckedContinuation<Bool, Never>
      var timer: Task<Void, Never>? = nil
    }

    struct State {
      var accepted: [Request] = []
      var attempts = 0
      var connections = 0
      var stopped = false
      var pipeClosed = false
      var waiters: [Int: Waiter] = [:]
      var nextWaiterID = 0
      /// Whether `accepted` changed (or the receiver stopped) since the waiters were checked.
      var changed = false
      /// Whether a thread is checking the waiters.
      var checking = false
    }

    let state = Mutex(State())
    let decide: Decide
    let listener: Int32
    let port: Int
    /// Becomes readable (and stays so) on stop: every wait polls it too.
    let stopRead: Int32
    let stopWrite: Int32
    /// Entered by the acceptor and by every connection thread.
    let threads = DispatchGroup()

    init(port requested: Int, decide: @escaping Decide) throws {
      self.decide = decide
      let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
      guard fd >= 0 else { throw SocketError(call: "socket", code: errno) }
      var one: Int32 = 1
      setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
      var address = sockaddr_in()
      address.sin_family = sa_family_t(AF_INET)
      address.sin_port = UInt16(clamping: requested).bigEndian
      address.sin_addr.s_addr = in_addr_t(INADDR_LOOPBACK).bigEndian
      var length = socklen_t(MemoryLayout<sockaddr_in>.size)
      let failed = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { a -> String? in
          if bind(fd, a, length) != 0 { return "bind 127.0.0.1:\(requested)" }
          if listen(fd, 128) != 0 { return "listen" }
          if getsockname(fd, a, &length) != 0 { return "getsockname" }
          return nil
        }
      }
      if let call = failed {
        let code = errno
        close(fd)
        throw SocketError(call: call, code: code)
      }
      var ends: [Int32] = [-1, -1]
      guard pipe(&ends) == 0 else {
        let code = errno
        close(fd)
        throw SocketError(call: "pipe", code: code)
      }
      for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
      listener = fd
      port = Int(UInt16(bigEndian: address.sin_port))
      stopRead = ends[0]
      stopWrite = ends[1]
    }

    func startAccepting() {
      threads.enter()
      let thread = Thread { [self] in
        acceptLoop()
        threads.leave()
      }
      thread.name = "FlakyReceiver accept :\(port)"
      thread.start()
    }

    private func acceptLoop() {
      defer { close(listener) }
      while wait(for: listener, events: POLLIN) == .ready {
        let fd = accept(listener, nil, nil)
        if fd < 0 {
          switch errno {
          case EINTR, EAGAIN, ECONNABORTED, EPROTO: continue
          default: return  // the listener is unusable; clients will see connections refused
          }
        }
        // Not inherited by processes the tests start (Glibc has no `accept4` for Swift).
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        state.withLock { $0.connections += 1 }
        threads.enter()
        let thread = Thread { [self] in
          Connection(fd: fd, core: self).serve()
          threads.leave()
        }
        thread.name = "FlakyReceiver connection :\(port)"
        thread.start()
      }
    }

    enum WaitResult { case ready, timedOut, stopped }

    /// Waits until `fd` has one of `events` (any error or hang-up counts as ready: the next
    /// call on it reports it), the timeout passes, or the receiver stops. `fd` -1 just sleeps.
    func wait(for fd: Int32, events: Int32, timeoutMilliseconds: Int32 = -1) -> WaitResult {
      var fds = [
        pollfd(fd: fd, events: Int16(events), revents: 0), pollfd(fd: stopRead, events: Int16(POLLIN), revents: 0),
      ]
      while true {
        let n = poll(&fds, nfds_t(fds.count), timeoutMilliseconds)
        if n < 0 {
          if errno == EINTR { continue }
          return .stopped
        }
        if fds[1].revents != 0 { return .stopped }
        return n == 0 ? .timedOut : .ready
      }
    }

    /// The next attempt number.
    func countAttempt() -> Int {
      state.withLock { s in
        defer { s.attempts += 1 }
        return s.attempts
      }
    }

    /// Adds an answered request.
    func record(_ request: Request) {
      state.withLock { $0.accepted.append(request) }
      checkWaiters()
    }

    /// Has the waiters checked against the latest `accepted`, on a thread of their own that runs
    /// until nothing changed during its last round.
    func checkWaiters() {
      let start = state.withLock { s in
        guard !s.waiters.isEmpty else { return false }
        s.changed = true
        if s.checking { return false }
        s.checking = true
        return true
      }
      guard start else { return }
      let thread = Thread { [self] in
        while true {
          let round = state.withLock { s -> ([Request], [Int: @Sendable ([Request]) -> Bool], Bool)? in
            guard s.changed else {
              s.checking = false
              return nil
            }
            s.changed = false
            return (s.accepted, s.waiters.mapValues(\.predicate), s.stopped)
          }
          guard let (snapshot, predicates, stopped) = round else { return }
          for (id, predicate) in predicates {
            let met = predicate(snapshot)
            if met || stopped { finishWaiter(id, met) }
          }
        }
      }
      thread.name = "FlakyReceiver waiters :\(port)"
      thread.start()
    }

    /// Ends a wait with `result`, unless it already ended.
    func finishWaiter(_ id: Int, _ result: Bool) {
      guard let waiter = state.withLock({ $0.waiters.removeValue(forKey: id) }) else { return }
      waiter.timer?.cancel()
      waiter.continuation.resume(returning: result)
    }

    func stop() {
      let first = state.withLock { s in
        defer { s.stopped = true }
        return !s.stopped
      }
      if first {
        var byte: UInt8 = 1
        _ = write(stopWrite, &byte, 1)
        checkWaiters()  // a last round ends every wait
      }
      // Close the pipe only once no thread can poll it any more; if one is stuck in `decide`,
      // leak it rather than let its number be reused under that thread.
      guard threads.wait(timeout: .now() + 5) == .success else { return }
      let closeNow = state.withLock { s in
        defer { s.pipeClosed = true }
        return !s.pipeClosed
      }
      if closeNow {
        close(stopRead)
        close(stopWrite)
      }
    }
  }

  /// A request body that is read from its connection when first asked for, under a lock, so
  /// that it is read once whichever thread asks.
  fileprivate final class BodySource: Sendable {
    private enum State {
      case unread(Connection, Connection.Framing)
      case read(Result<[UInt8], Connection.Failure>)
    }

    private let state: Mutex<State>

    init(_ bytes: [UInt8]) { state = Mutex(.read(.success(bytes))) }

    init(connection: Connection, framing: Connection.Framing) { state = Mutex(.unread(connection, framing)) }

    /// The whole body, read the first time.
    func load() -> Result<[UInt8], Connection.Failure> {
      state.withLock { s in
        if case .unread(let connection, let framing) = s {
          do throws(Connection.Failure) {
            s = .read(.success(try connection.readBody(framing)))
          } catch {
            s = .read(.failure(error))
          }
        }
        guard case .read(let result) = s else { preconditionFailure("a body is read once it was asked for") }
        return result
      }
    }

    /// For a mid-request reset: reads part of the body, if none of it was read yet (the body
    /// then reads as empty); throws what went wrong if reading it failed.
    func readPart() throws(Connection.Failure) {
      let failure = state.withLock { s -> Connection.Failure? in
        switch s {
        case .read(.failure(let error)): return error
        case .read(.success): return nil
        case .unread(let connection, let framing):
          s = .read(.success([]))
          do throws(Connection.Failure) {
            try connection.readPart(framing)
            return nil
          } catch {
            return error
          }
        }
      }
      if let failure { throw failure }
    }
  }

  /// One accepted connection, served by its own thread. Only that thread touches it, except
  /// that the body of the current request may be read through its ``BodySource``, under that
  /// source's lock; the thread itself reads the body that way too, and reads the connection
  /// directly again only once the source has been settled.
  fileprivate final class Connection: @unchecked Sendable {
    static let maxHead = 64 << 10
    static let maxBody = 256 << 20

    let fd: Int32
    let core: Core
    /// Received bytes; those before `consumed` have been used.
    var inbox: [UInt8] = []
    var consumed = 0
    var scratch = [UInt8](repeating: 0, count: 64 << 10)
    /// Whether the client waits for `100 Continue` before it sends the body.
    var continueOwed = false
    var unread: Int { inbox.count - consumed }

    init(fd: Int32, core: Core) {
      self.fd = fd
      self.core = core
    }

    /// How a connection ends: a FIN after the client has had a chance to read the answer, an
    /// RST, or (on stop) a plain close.
    enum Ending { case graceful, reset, abrupt }

    enum Framing {
      case none
      case length(Int)
      case chunked

      var hasBody: Bool {
        if case .none = self { false } else { true }
      }
    }

    struct Head {
      var method: String
      var path: String
      var minorVersion: Int
      var headers: [(String, String)]

      func tokens(_ name: String) -> [String] {
        headers.filter { $0.0.caseInsensitiveCompare(name) == .orderedSame }
          .flatMap { $0.1.split(separator: ",") }
          .map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
      }
    }

    /// Why a connection ends before its next request: the peer or the receiver went away, the
    /// action was a reset, or the request is malformed and gets this status before closing.
    enum Failure: Error {
      case gone
      case reset
      case refuse(Int)
    }

    func serve() {
      var ending = Ending.graceful
      do throws(Failure) {
        while try serveOne() {}
      } catch {
        switch error {
        case .gone: ending = .abrupt
        case .reset: ending = .reset
        case .refuse(let status):
          let answer = Self.response(status: status, headers: [("Connection", "close")], body: "")
          if !send(answer) { ending = .abrupt }
        }
      }
      finish(ending)
    }

    /// Serves one request; returns whether the connection stays open for another.
    func serveOne() throws(Failure) -> Bool {
      let head = try readHead()
      let framing = try framing(of: head)
      continueOwed = framing.hasBody && head.minorVersion >= 1 && head.tokens("Expect").contains("100-continue")
      let source = BodySource(connection: self, framing: framing)
      let attempt = core.countAttempt()
      let action = core.decide(
        attempt, Request(method: head.method, path: head.path, headers: head.headers, source: source))
      switch action {
      case .resetMidRequest:
        try source.readPart()
        throw .reset
      case .resetAfterRequest:
        _ = try source.load().get()
        throw .reset
      case .respond(let status, var headers, let body, let delay):
        let bytes = try source.load().get()
        if delay > .zero {
          guard core.wait(for: -1, events: 0, timeoutMilliseconds: Self.milliseconds(delay)) == .timedOut else {
            throw .gone
          }
        }
        let requested = head.tokens("Connection")
        let answered = Head(method: "", path: "", minorVersion: 1, headers: headers).tokens("Connection")
        // HTTP/1.0 closes by default; a request with both framings may be smuggling, so close.
        let keepAlive =
          !requested.contains("close") && !answered.contains("close")
          && (head.minorVersion >= 1 || requested.contains("keep-alive"))
          && !(head.tokens("Transfer-Encoding").count > 0 && head.tokens("Content-Length").count > 0)
        if answered.isEmpty {
          if !keepAlive {
            headers.append(("Connection", "close"))
          } else if head.minorVersion == 0 {
            headers.append(("Connection", "keep-alive"))
          }
        }
        if (200..<300).contains(status) {
          core.record(Request(method: head.method, path: head.path, headers: head.headers, body: bytes))
        }
        let answer = Self.response(status: status, headers: headers, body: head.method == "HEAD" ? nil : body)
        guard send(answer) else { throw .gone }
        return keepAlive
      }
    }

    func finish(_ ending: Ending) {
      switch ending {
      case .reset:
        var option = linger(l_onoff: 1, l_linger: 0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &option, socklen_t(MemoryLayout<linger>.size))
      case .graceful:
        // Closing with unread bytes pending would send an RST that can destroy the answer
        // before the client reads it: half-close, then drain until the client closes.
        shutdown(fd, Int32(SHUT_WR))
        var drained = 0
        while drained < 1 << 20, core.wait(for: fd, events: POLLIN, timeoutMilliseconds: 1000) == .ready {
          let n = recv(fd, &scratch, scratch.count, Int32(MSG_DONTWAIT))
          if n < 0, errno == EAGAIN || errno == EINTR { continue }
          if n <= 0 { break }
          drained += n
        }
      case .abrupt:
        break
      }
      close(fd)
    }

    // MARK: Reading

    /// Receives more bytes into `inbox`; throws `.gone` at end of stream, on error or on stop.
    func fill() throws(Failure) {
      if consumed > 0, consumed >= inbox.count / 2 {
        inbox.removeFirst(consumed)
        consumed = 0
      }
      while true {
        guard core.wait(for: fd, events: POLLIN) == .ready else { throw .gone }
        let n = recv(fd, &scratch, scratch.count, Int32(MSG_DONTWAIT))
        if n > 0 {
          inbox.append(contentsOf: scratch[0..<n])
          return
        }
        if n < 0, errno == EAGAIN || errno == EINTR { continue }
        throw .gone
      }
    }

    /// The index just past the first `pattern` in the unread bytes, reading more as needed;
    /// `.refuse(status)` once `limit` unread bytes hold no `pattern`.
    func readThrough(_ pattern: [UInt8], limit: Int, status: Int) throws(Failure) -> Int {
      var from = consumed
      while true {
        if inbox.count - from >= pattern.count {
          for i in from...(inbox.count - pattern.count) where inbox[i..<(i + pattern.count)].elementsEqual(pattern) {
            return i + pattern.count
          }
          from = inbox.count - pattern.count + 1
        }
        if unread >= limit { throw .refuse(status) }
        let before = consumed
        try fill()
        from -= before - consumed  // `fill` may have moved the unread bytes to the front
      }
    }

    func take(upTo end: Int) -> [UInt8] {
      defer { consumed = end }
      return Array(inbox[consumed..<end])
    }

    func readHead() throws(Failure) -> Head {
      // Tolerate empty lines before a request line.
      while true {
        if unread == 0 {
          try fill()
          continue
        }
        if inbox[consumed] == 13 || inbox[consumed] == 10 {
          consumed += 1
          continue
        }
        break
      }
      let end = try readThrough(Array("\r\n\r\n".utf8), limit: Self.maxHead, status: 431)
      let text = String(decoding: take(upTo: end).dropLast(4), as: UTF8.self)
      var lines = text.components(separatedBy: "\r\n")
      let requestLine = lines.removeFirst().split(separator: " ", omittingEmptySubsequences: false)
      guard requestLine.count == 3, !requestLine[0].isEmpty, !requestLine[1].isEmpty else { throw .refuse(400) }
      let minor: Int
      switch requestLine[2] {
      case "HTTP/1.1": minor = 1
      case "HTTP/1.0": minor = 0
      default: throw .refuse(requestLine[2].hasPrefix("HTTP/") ? 505 : 400)
      }
      var headers: [(String, String)] = []
      for line in lines {
        guard let colon = line.firstIndex(of: ":"), colon != line.startIndex,
          !line[..<colon].contains(where: { $0 == " " || $0 == "\t" })
        else { throw .refuse(400) }
        headers.append(
          (
            String(line[..<colon]),
            line[line.index(after: colon)...].trimmingCharacters(in: CharacterSet(charactersIn: " \t"))
          ))
      }
      return Head(method: String(requestLine[0]), path: String(requestLine[1]), minorVersion: minor, headers: headers)
    }

    func framing(of head: Head) throws(Failure) -> Framing {
      let codings = head.tokens("Transfer-Encoding")
      if !codings.isEmpty {
        guard codings == ["chunked"] else { throw .refuse(501) }
        return .chunked
      }
      let lengths = head.tokens("Content-Length")
      guard let first = lengths.first else { return .none }
      guard lengths.allSatisfy({ $0 == first }), first.allSatisfy(\.isASCII), let n = Int(first), n >= 0 else {
        throw .refuse(400)
      }
      guard n <= Self.maxBody else { throw .refuse(413) }
      return n == 0 ? .none : .length(n)
    }

    /// Waits until `count` unread bytes are buffered.
    func need(_ count: Int) throws(Failure) {
      while unread < count { try fill() }
    }

    /// Sends the `100 Continue` the client waits for, if it has not been sent.
    func sendContinueIfOwed() throws(Failure) {
      guard continueOwed else { return }
      continueOwed = false
      guard send(Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)) else { throw .gone }
    }

    func readBody(_ framing: Framing) throws(Failure) -> [UInt8] {
      try sendContinueIfOwed()
      switch framing {
      case .none:
        return []
      case .length(let n):
        try need(n)
        return take(upTo: consumed + n)
      case .chunked:
        var body: [UInt8] = []
        while true {
          let lineEnd = try readThrough(Array("\r\n".utf8), limit: 4096, status: 400)
          let line = String(decoding: take(upTo: lineEnd).dropLast(2), as: UTF8.self)
          let digits = line.prefix { $0 != ";" }.trimmingCharacters(in: CharacterSet(charactersIn: " \t"))
          guard !digits.isEmpty, digits.count <= 8, let size = Int(digits, radix: 16) else { throw .refuse(400) }
          if size == 0 {
            // Trailer fields, up to an empty line; ignored.
            while true {
              let end = try readThrough(Array("\r\n".utf8), limit: Self.maxHead, status: 431)
              if take(upTo: end).count == 2 { return body }
            }
          }
          guard body.count + size <= Self.maxBody else { throw .refuse(413) }
          try need(size + 2)
          body += inbox[consumed..<(consumed + size)]
          guard inbox[consumed + size] == 13, inbox[consumed + size + 1] == 10 else { throw .refuse(400) }
          consumed += size + 2
        }
      }
    }

    /// Reads the part of the body that `.resetMidRequest` reads.
    func readPart(_ framing: Framing) throws(Failure) {
      try sendContinueIfOwed()
      switch framing {
      case .none: return
      case .length(let n): try need(n / 2)
      case .chunked: try need(1)
      }
    }

    // MARK: Writing

    /// Writes all of `bytes`; false if the peer or the receiver went away first.
    func send(_ bytes: [UInt8]) -> Bool {
      var offset = 0
      while offset < bytes.count {
        guard core.wait(for: fd, events: POLLOUT) == .ready else { return false }
        let n = bytes.withUnsafeBytes {
          Glibc.send(fd, $0.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT))
        }
        if n > 0 {
          offset += n
        } else if n < 0, errno == EAGAIN || errno == EINTR {
          continue
        } else {
          return false
        }
      }
      return true
    }

    /// A whole response; `body` nil for a HEAD request.
    static func response(status: Int, headers: [(String, String)], body: String?) -> [UInt8] {
      var text = "HTTP/1.1 \(status) \(reason(status))\r\n"
      for (name, value) in headers { text += "\(name): \(value)\r\n" }
      let bodyless = (100..<200).contains(status) || status == 204 || status == 304
      let payload = Array((body ?? "").utf8)
      if !bodyless, !headers.contains(where: { $0.0.caseInsensitiveCompare("Content-Length") == .orderedSame }) {
        text += "Content-Length: \(payload.count)\r\n"
      }
      text += "\r\n"
      return Array(text.utf8) + (bodyless || body == nil ? [] : payload)
    }

    static func reason(_ status: Int) -> String {
      switch status {
      case 200: "OK"
      case 201: "Created"
      case 202: "Accepted"
      case 204: "No Content"
      case 400: "Bad Request"
      case 401: "Unauthorized"
      case 403: "Forbidden"
      case 404: "Not Found"
      case 408: "Request Timeout"
      case 409: "Conflict"
      case 411: "Length Required"
      case 413: "Content Too Large"
      case 415: "Unsupported Media Type"
      case 429: "Too Many Requests"
      case 431: "Request Header Fields Too Large"
      case 500: "Internal Server Error"
      case 501: "Not Implemented"
      case 502: "Bad Gateway"
      case 503: "Service Unavailable"
      case 504: "Gateway Timeout"
      case 505: "HTTP Version Not Supported"
      default: "Status \(status)"
      }
    }

    /// `duration` in whole milliseconds, rounded up, within what `poll` takes.
    static func milliseconds(_ duration: Duration) -> Int32 {
      let (seconds, attoseconds) = duration.components
      let ms = seconds.multipliedReportingOverflow(by: 1000)
      if ms.overflow || ms.partialValue >= Int64(Int32.max) { return Int32.max }
      return Int32(clamping: ms.partialValue + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000)
    }
  }
}
