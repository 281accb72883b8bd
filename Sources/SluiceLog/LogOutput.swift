import SluiceCore

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Where a ``SluiceLogHandler`` writes its lines, and how.
///
/// - **Synchronous** (default, lossless): each line is written with one `write(2)` before
///   the log call returns, under a lock, so lines never interleave and a crash loses nothing
///   already logged.
/// - **Asynchronous**: the caller only copies the line into a bounded in-memory queue; a
///   background thread writes the queue out in large writes, at the latest `flushInterval`
///   after the first queued line (or as soon as a batch's worth is queued). The caller wakes
///   the writer at most once per batch, so a log call costs no system call. When the queue is
///   full the line is dropped and counted in ``droppedLines`` (and in
///   `sluice_log_dropped_total` when metrics are on) — never silently, never blocking the
///   caller.
///
/// Every output is flushed on ``flush()`` and at process exit (`atexit`).
/// A file destination can rotate by size: `app.log` → `app.log.1` → … → `app.log.<keep>`.
public final class LogOutput: @unchecked Sendable {
  // @unchecked: all mutable state is guarded by `mutex` (a pthread mutex, shared with the
  // condition variables the background writer waits on).

  /// Where lines go.
  public enum Destination: Sendable {
    case standardOutput
    case standardError
    /// A file, appended to. `rotateAtBytes` 0 disables rotation; `keep` rotated files are kept.
    case file(path: String, rotateAtBytes: Int = 0, keep: Int = 5)
  }

  /// Synchronous (lossless) or asynchronous (bounded, counted drops).
  public enum Mode: Sendable, Equatable {
    case synchronous
    /// `capacityBytes` bounds the memory the queue may hold; queued lines are written within
    /// `flushIntervalMilliseconds` (sooner when a quarter of the capacity, at most 256 KiB, is queued, on ``LogOutput/flush()``
    /// and at exit).
    case asynchronous(capacityBytes: Int = 4 << 20, flushIntervalMilliseconds: Int = 20)
  }

  /// Queued bytes at which the asynchronous writer is woken without waiting for the interval
  /// (a quarter of the queue, at most 256 KiB): few wake-ups, and a batch stays in cache.
  private let batchBytes: Int

  public let destination: Destination
  public let mode: Mode
  private let mutex: UnsafeMutablePointer<pthread_mutex_t>
  private let hasWork: UnsafeMutablePointer<pthread_cond_t>
  private let drained: UnsafeMutablePointer<pthread_cond_t>
  /// Mutable state, guarded by `mutex`, behind a pointer so that using it costs no
  /// exclusivity checks.
  private struct State {
    var fd: Int32
    var fileSize = 0
    /// Lines waiting for the writer thread (asynchronous mode).
    var queue = ByteBuffer(capacity: 4096)
    var writing = false
    var closed = false
    var dropped = 0
    /// Writer thread (asynchronous mode): waiting for a first line, waiting out the flush
    /// interval, whether it has already been told to hurry, whether someone waits for it.
    var writerIdle = false
    var writerBatching = false
    var hurried = false
    var flushRequested = false
  }
  private let state: UnsafeMutablePointer<State>
  private var writerThread: pthread_t?
  /// Called (outside the lock) with the number of lines dropped, for metrics. Guarded by `mutex`.
  private var onDrop: (@Sendable (Int) -> Void)?

  /// Standard output, synchronous: the default, for containers.
  public static let stdout = try! LogOutput(.standardOutput)
  /// Standard error, synchronous.
  public static let stderr = try! LogOutput(.standardError)

  public init(_ destination: Destination, mode: Mode = .synchronous) throws {
    // Open first: a throw before every stored property is set runs no deinit.
    let fd: Int32
    switch destination {
    case .standardOutput: fd = 1
    case .standardError: fd = 2
    case .file(let path, _, _): fd = try Self.openAppend(path)
    }
    self.destination = destination
    self.mode = mode
    if case .asynchronous(let capacity, _) = mode {
      batchBytes = max(1, min(capacity / 4, 256 << 10))
    } else {
      batchBytes = 0
    }
    mutex = .allocate(capacity: 1)
    hasWork = .allocate(capacity: 1)
    drained = .allocate(capacity: 1)
    state = .allocate(capacity: 1)
    var st = stat()
    state.initialize(to: State(fd: fd, fileSize: fstat(fd, &st) == 0 ? Int(st.st_size) : 0))
    // Adaptive: a contended lock spins briefly before sleeping (critical sections are a copy).
    var mutexAttributes = pthread_mutexattr_t()
    pthread_mutexattr_init(&mutexAttributes)
    #if canImport(Glibc)
      pthread_mutexattr_settype(&mutexAttributes, Int32(PTHREAD_MUTEX_ADAPTIVE_NP))
    #endif
    pthread_mutex_init(mutex, &mutexAttributes)
    pthread_mutexattr_destroy(&mutexAttributes)
    var attributes = pthread_condattr_t()
    pthread_condattr_init(&attributes)
    pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
    pthread_cond_init(hasWork, &attributes)
    pthread_condattr_destroy(&attributes)
    pthread_cond_init(drained, nil)
    if case .asynchronous = mode { startWriter() }
    OutputRegistry.register(self)
  }

  /// A file destination (see ``Destination/file(path:rotateAtBytes:keep:)``).
  public static func file(
    _ path: String, rotateAtBytes: Int = 0, keep: Int = 5, mode: Mode = .synchronous
  ) throws -> LogOutput {
    try LogOutput(.file(path: path, rotateAtBytes: rotateAtBytes, keep: keep), mode: mode)
  }

  deinit {
    flush()
    pthread_mutex_lock(mutex)
    state.pointee.closed = true
    pthread_cond_signal(hasWork)
    pthread_mutex_unlock(mutex)
    if let t = writerThread { pthread_join(t, nil) }
    if case .file = destination { close(state.pointee.fd) }
    pthread_cond_destroy(hasWork)
    pthread_cond_destroy(drained)
    pthread_mutex_destroy(mutex)
    mutex.deallocate()
    hasWork.deallocate()
    drained.deallocate()
    state.pointee.queue.deallocate()
    state.deinitialize(count: 1)
    state.deallocate()
  }

  /// Sets what is told about state.pointee.dropped lines (SluiceLog wires `sluice_log_dropped_total` here
  /// when metrics are configured). The first handler set wins.
  func reportDrops(to handler: @escaping @Sendable (Int) -> Void) {
    pthread_mutex_lock(mutex)
    if onDrop == nil { onDrop = handler }
    pthread_mutex_unlock(mutex)
  }

  /// Lines dropped because the asynchronous queue was full.
  public var droppedLines: Int {
    pthread_mutex_lock(mutex)
    defer { pthread_mutex_unlock(mutex) }
    return state.pointee.dropped
  }

  /// Writes one complete line (including its newline).
  public func write(_ line: UnsafeRawBufferPointer) {
    pthread_mutex_lock(mutex)
    switch mode {
    case .synchronous:
      writeOut(line)
      pthread_mutex_unlock(mutex)
    case .asynchronous(let capacity, _):
      if state.pointee.queue.count + line.count > capacity {
        state.pointee.dropped += 1
        let report = onDrop
        pthread_mutex_unlock(mutex)
        report?(1)
        return
      }
      state.pointee.queue.append(bytes: line)
      // Wake the writer only when it sleeps without a deadline, or when a batch is full.
      if state.pointee.writerIdle {
        state.pointee.writerIdle = false
        pthread_cond_signal(hasWork)
      } else if state.pointee.writerBatching && !state.pointee.hurried && state.pointee.queue.count >= batchBytes {
        state.pointee.hurried = true
        pthread_cond_signal(hasWork)
      }
      pthread_mutex_unlock(mutex)
    }
  }

  /// Returns once everything logged before the call has been written.
  public func flush() {
    pthread_mutex_lock(mutex)
    if !state.pointee.queue.isEmpty || state.pointee.writing {
      state.pointee.flushRequested = true
      pthread_cond_signal(hasWork)
    }
    while !state.pointee.queue.isEmpty || state.pointee.writing {
      pthread_cond_wait(drained, mutex)
    }
    pthread_mutex_unlock(mutex)
  }

  // MARK: - Writing

  /// Called with the mutex held (synchronous mode) or from the writer thread (asynchronous).
  private func writeOut(_ bytes: UnsafeRawBufferPointer) {
    if case .file(let path, let limit, let keep) = destination, limit > 0, state.pointee.fileSize > 0,
      state.pointee.fileSize + bytes.count > limit
    {
      rotate(path: path, keep: keep)
    }
    // A logger has nowhere to report its own write errors; what was written is counted.
    state.pointee.fileSize += FileDescriptorIO.writeAll(state.pointee.fd, bytes)
  }

  private func rotate(path: String, keep: Int) {
    close(state.pointee.fd)
    if keep <= 0 {
      unlink(path)
    } else {
      unlink("\(path).\(keep)")
      var k = keep - 1
      while k >= 1 {
        rename("\(path).\(k)", "\(path).\(k + 1)")
        k -= 1
      }
      rename(path, "\(path).1")
    }
    state.pointee.fd = (try? Self.openAppend(path)) ?? -1
    state.pointee.fileSize = 0
  }

  static func openAppend(_ path: String) throws -> Int32 {
    let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
    guard fd >= 0 else { throw LogOutputError(path: path, errno: errno) }
    return fd
  }

  // MARK: - Background writer (asynchronous mode)

  private func startWriter() {
    let context = Unmanaged.passUnretained(self).toOpaque()
    var thread = pthread_t()
    let rc = pthread_create(
      &thread, nil,
      { arg in
        #if canImport(Darwin)
          let output = Unmanaged<LogOutput>.fromOpaque(arg)
        #else
          let output = Unmanaged<LogOutput>.fromOpaque(arg!)
        #endif
        // No strong reference for the thread's lifetime (it would keep the output alive for
        // ever): `deinit` stops this thread and joins it before the memory goes away.
        output._withUnsafeGuaranteedRef { $0.runWriter() }
        return nil
      }, context)
    precondition(rc == 0, "cannot start the log writer thread")
    writerThread = thread
  }

  private func runWriter() {
    guard case .asynchronous(_, let intervalMilliseconds) = mode else { return }
    let interval = Int64(max(0, intervalMilliseconds)) * 1_000_000
    var batch = ByteBuffer(capacity: 4096)
    defer { batch.deallocate() }
    pthread_mutex_lock(mutex)
    while true {
      while state.pointee.queue.isEmpty && !state.pointee.closed {
        state.pointee.writerIdle = true
        pthread_cond_wait(hasWork, mutex)
      }
      state.pointee.writerIdle = false
      if state.pointee.queue.isEmpty && state.pointee.closed { break }
      // Let lines gather for up to the interval, unless a batch is full or someone waits.
      if interval > 0 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let deadlineNanos = Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec) + interval
        var deadline = timespec(tv_sec: Int(deadlineNanos / 1_000_000_000), tv_nsec: Int(deadlineNanos % 1_000_000_000))
        state.pointee.writerBatching = true
        while state.pointee.queue.count < batchBytes && !state.pointee.flushRequested && !state.pointee.closed {
          if pthread_cond_timedwait(hasWork, mutex, &deadline) == ETIMEDOUT { break }
        }
        state.pointee.writerBatching = false
      }
      state.pointee.hurried = false
      swap(&batch, &state.pointee.queue)
      state.pointee.writing = true
      pthread_mutex_unlock(mutex)
      // Write outside the lock so callers keep queueing meanwhile; in this mode only this
      // thread touches the descriptor. Batches hold whole lines only.
      writeOut(batch.bytes)
      pthread_mutex_lock(mutex)
      state.pointee.writing = false
      batch.reset(shrinkingAbove: 4 << 20, to: 64 << 10)
      if state.pointee.queue.isEmpty {
        state.pointee.flushRequested = false
        pthread_cond_broadcast(drained)
      }
    }
    pthread_cond_broadcast(drained)
    pthread_mutex_unlock(mutex)
  }
}

/// A log file could not be opened.
public struct LogOutputError: Error, CustomStringConvertible {
  public var path: String
  public var errno: Int32
  public var description: String { "cannot open log file \(path): \(String(cString: strerror(errno)))" }
}

/// Flushes every live output at process exit.
enum OutputRegistry {
  final class Weak {
    weak var output: LogOutput?
    init(_ o: LogOutput) { output = o }
  }
  nonisolated(unsafe) static var outputs: [Weak] = []
  nonisolated(unsafe) static var lock = pthread_mutex_t()
  nonisolated(unsafe) static var installed = false

  static func register(_ output: LogOutput) {
    pthread_mutex_lock(&lock)
    defer { pthread_mutex_unlock(&lock) }
    outputs.removeAll { $0.output == nil }
    outputs.append(Weak(output))
    if !installed {
      installed = true
      atexit { OutputRegistry.flushAll() }
    }
  }

  static func flushAll() {
    pthread_mutex_lock(&lock)
    let live = outputs.compactMap(\.output)
    pthread_mutex_unlock(&lock)
    for o in live { o.flush() }
  }
}
