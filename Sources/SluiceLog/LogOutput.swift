import Synchronization

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Where a ``SluiceLogHandler`` writes its lines: a thread-safe, synchronous writer to a
/// file descriptor. Each line is written with one `write(2)` call while holding a lock, so
/// lines from concurrent tasks never interleave.
public final class LogOutput: Sendable {
  /// The descriptor written to.
  public let fileDescriptor: Int32
  private let ownsDescriptor: Bool
  private let lock = Mutex<Void>(())

  /// Standard output: the default, for containers.
  public static let stdout = LogOutput(fileDescriptor: 1, ownsDescriptor: false)
  /// Standard error.
  public static let stderr = LogOutput(fileDescriptor: 2, ownsDescriptor: false)

  init(fileDescriptor: Int32, ownsDescriptor: Bool) {
    self.fileDescriptor = fileDescriptor
    self.ownsDescriptor = ownsDescriptor
  }

  /// Opens (creating if needed) a file to append lines to.
  public static func file(_ path: String) throws -> LogOutput {
    let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
    guard fd >= 0 else { throw LogOutputError(path: path, errno: errno) }
    return LogOutput(fileDescriptor: fd, ownsDescriptor: true)
  }

  deinit {
    if ownsDescriptor { close(fileDescriptor) }
  }

  /// Writes `bytes` completely (retrying short writes and EINTR); errors are swallowed, as a
  /// logger has nowhere to report them.
  public func write(_ bytes: UnsafeRawBufferPointer) {
    guard var p = bytes.baseAddress else { return }
    var remaining = bytes.count
    lock.withLock { _ in
      while remaining > 0 {
        let n = Glibc.write(fileDescriptor, p, remaining)
        if n < 0 {
          if errno == EINTR { continue }
          return
        }
        remaining -= n
        p += n
      }
    }
  }
}

/// A log file could not be opened.
public struct LogOutputError: Error, CustomStringConvertible {
  public var path: String
  public var errno: Int32
  public var description: String { "cannot open log file \(path): \(String(cString: strerror(errno)))" }
}
