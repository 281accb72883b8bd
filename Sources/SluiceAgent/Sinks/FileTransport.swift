import Foundation
import SluiceCore
import Synchronization

/// Appends batch bodies to a local NDJSON file (the demo's default sink), or writes them
/// to standard output (`type: console`).
struct FileTransport: SinkTransport {
  let fd: Int32
  let ownsDescriptor: Bool
  let path: String

  /// Opens `path` for appending, creating it and its directory.
  init(path: String) throws {
    let dir = (path as NSString).deletingLastPathComponent
    if !dir.isEmpty { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
    let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
    guard fd >= 0 else {
      throw ConfigError(path: "sinks.path", message: "cannot open \(path): \(String(cString: strerror(errno)))")
    }
    self.fd = fd
    self.ownsDescriptor = true
    self.path = path
  }

  /// Standard output.
  init(standardOutput: Void) {
    self.fd = 1
    self.ownsDescriptor = false
    self.path = "<stdout>"
  }

  func send(body: [UInt8]) async -> DeliveryOutcome {
    let ok = body.withUnsafeBytes { FileDescriptorIO.writeAll(fd, $0) == $0.count }
    if !ok { return .retryable(reason: "write \(path): \(String(cString: strerror(errno)))", retryAfter: nil) }
    return .delivered
  }

  func shutdown() async {
    if ownsDescriptor {
      fsync(fd)
      close(fd)
    }
  }
}
