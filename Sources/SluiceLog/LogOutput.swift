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
///   background thread writes the queue out in large writes. When the queue is full the line
///   is dropped and counted in ``droppedLines`` (and in `sluice_log_dropped_total` when
///   metrics are on) — never silently, never blocking the caller.
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
    /// `capacityBytes` bounds the memory the queue may hold.
    case asynchronous(capacityBytes: Int = 4 << 20)
  }

  public let destination: Destination
  public let mode: Mode
  private var fd: Int32
  private var fileSize: Int
  private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
  private let hasWork = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
  private let drained = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
  private var queue: [UInt8] = []
  private var writing = false
  private var closed = false
  private var dropped = 0
  private var writerThread: pthread_t?
  /// Called (outside the lock) with the number of lines dropped, for metrics. Guarded by `mutex`.
  private var onDrop: (@Sendable (Int) -> Void)?

  /// Standard output, synchronous: the default, for containers.
  public static let stdout = try! LogOutput(.standardOutput)
  /// Standard error, synchronous.
  public static let stderr = try! LogOutput(.standardError)

  public init(_ destination: Destination, mode: Mode = .synchronous) throws {
    self.destination = destination
    self.mode = mode
    switch destination {
    case .standardOutput: fd = 1
    case .standardError: fd = 2
    case .file(let path, _, _): fd = try Self.openAppend(path)
    }
    var st = stat()
    fileSize = fstat(fd, &st) == 0 ? Int(st.st_size) : 0
    pthread_mutex_init(mutex, nil)
    pthread_cond_init(hasWork, nil)
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
    closed = true
    pthread_cond_signal(hasWork)
    pthread_mutex_unlock(mutex)
    if let t = writerThread { pthread_join(t, nil) }
    if case .file = destination { close(fd) }
    pthread_cond_destroy(hasWork)
    pthread_cond_destroy(drained)
    pthread_mutex_destroy(mutex)
    mutex.deallocate()
    hasWork.deallocate()
    drained.deallocate()
  }

  /// Sets what is told about dropped lines (SluiceLog wires `sluice_log_dropped_total` here
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
    return dropped
  }

  /// Writes one complete line (including its newline).
  public func write(_ line: UnsafeRawBufferPointer) {
    pthread_mutex_lock(mutex)
    switch mode {
    case .synchronous:
      writeOut(line)
      pthread_mutex_unlock(mutex)
    case .asynchronous(let capacity):
      if queue.count + line.count > capacity {
        dropped += 1
        let report = onDrop
        pthread_mutex_unlock(mutex)
        report?(1)
        return
      }
      let wasEmpty = queue.isEmpty
      queue.append(contentsOf: line)
      if wasEmpty { pthread_cond_signal(hasWork) }
      pthread_mutex_unlock(mutex)
    }
  }

  /// Returns once everything logged before the call has been written.
  public func flush() {
    pthread_mutex_lock(mutex)
    while !queue.isEmpty || writing {
      pthread_cond_wait(drained, mutex)
    }
    pthread_mutex_unlock(mutex)
  }

  // MARK: - Writing

  /// Called with the mutex held (synchronous mode) or from the writer thread (asynchronous).
  private func writeOut(_ bytes: UnsafeRawBufferPointer) {
    if case .file(let path, let limit, let keep) = destination, limit > 0, fileSize > 0,
      fileSize + bytes.count > limit
    {
      rotate(path: path, keep: keep)
    }
    // A logger has nowhere to report its own write errors; what was written is counted.
    fileSize += FileDescriptorIO.writeAll(fd, bytes)
  }

  private func rotate(path: String, keep: Int) {
    close(fd)
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
    fd = (try? Self.openAppend(path)) ?? -1
    fileSize = 0
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
    var batch: [UInt8] = []
    pthread_mutex_lock(mutex)
    while true {
      while queue.isEmpty && !closed { pthread_cond_wait(hasWork, mutex) }
      if queue.isEmpty && closed { break }
      swap(&batch, &queue)
      writing = true
      pthread_mutex_unlock(mutex)
      // Write outside the lock so callers keep queueing meanwhile; in this mode only this
      // thread touches the descriptor. Batches hold whole lines only.
      batch.withUnsafeBytes { writeOut($0) }
      pthread_mutex_lock(mutex)
      writing = false
      batch.removeAll(keepingCapacity: true)
      if queue.isEmpty { pthread_cond_broadcast(drained) }
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
