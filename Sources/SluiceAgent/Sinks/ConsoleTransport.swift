import Foundation
import SluiceCore
import Synchronization

/// Writes batches to a file descriptor (standard output for `type: console`): either as
/// they are (`ndjson`) or one human-readable line per event through ``PrettyPrinter``
/// (`pretty`).
///
/// The descriptor is not owned: ``shutdown()`` leaves it open.
struct ConsoleTransport: SinkTransport {
  /// How events are printed.
  enum Mode: Sendable, Equatable {
    /// The NDJSON body as it is.
    case ndjson
    /// One ``PrettyPrinter`` line per event, coloured with ANSI sequences if `color`.
    case pretty(color: Bool)
  }

  let fd: Int32
  let mode: Mode
  private let pretty: PrettyState?

  /// Pretty output is written whenever this much has been formatted, so a large batch
  /// does not need a buffer of its own size.
  static let flushBytes = 64 << 10

  /// The printer and output buffer, reused across batches. `send` is called by one task
  /// at a time, so the lock is never contended.
  private final class PrettyState: Sendable {
    struct Buffers {
      var printer: PrettyPrinter
      var out: [UInt8] = []
    }
    let buffers: Mutex<Buffers>

    init(color: Bool) {
      buffers = Mutex(Buffers(printer: PrettyPrinter(color: color)))
    }
  }

  /// Writes to `fd` (standard output by default) in `mode`.
  init(fd: Int32 = STDOUT_FILENO, mode: Mode) {
    self.fd = fd
    self.mode = mode
    if case .pretty(let color) = mode {
      pretty = PrettyState(color: color)
    } else {
      pretty = nil
    }
  }

  /// Whether pretty output to `fd` should be coloured when the configuration does not say:
  /// only when `fd` is a terminal and `NO_COLOR` is unset or empty (https://no-color.org).
  static func shouldColor(
    fd: Int32 = STDOUT_FILENO, environment: [String: String] = ProcessInfo.processInfo.environment
  ) -> Bool {
    isatty(fd) == 1 && (environment["NO_COLOR"] ?? "").isEmpty
  }

  func send(body: [UInt8]) async -> DeliveryOutcome {
    guard let pretty else { return outcome(write(body)) }
    return pretty.buffers.withLock { b -> DeliveryOutcome in
      b.out.removeAll(keepingCapacity: true)
      let error = body.withUnsafeBytes { raw -> Int32? in
        guard let base = raw.baseAddress else { return nil }
        var start = 0
        while start < raw.count {
          let end: Int
          if let nl = memchr(base + start, 0x0A, raw.count - start) {
            end = base.distance(to: UnsafeRawPointer(nl))
          } else {
            end = raw.count
          }
          if end > start { b.printer.format(UnsafeRawBufferPointer(rebasing: raw[start..<end]), into: &b.out) }
          start = end + 1
          if b.out.count >= Self.flushBytes {
            if let error = write(b.out) { return error }
            b.out.removeAll(keepingCapacity: true)
          }
        }
        return write(b.out)
      }
      // One very long line must not pin its buffer for ever.
      if b.out.capacity > 4 * Self.flushBytes { b.out = [] }
      return outcome(error)
    }
  }

  /// Writes all of `bytes`; returns `errno` if that failed.
  private func write(_ bytes: [UInt8]) -> Int32? {
    let ok = bytes.withUnsafeBytes { FileDescriptorIO.writeAll(fd, $0) == $0.count }
    return ok ? nil : errno
  }

  private func outcome(_ error: Int32?) -> DeliveryOutcome {
    guard let error else { return .delivered }
    let target = fd == STDOUT_FILENO ? "<stdout>" : "fd \(fd)"
    return .retryable(reason: "write \(target): \(String(cString: strerror(error)))", retryAfter: nil)
  }

  /// Nothing is buffered between batches, and the descriptor is not ours to close.
  func shutdown() async {}
}
