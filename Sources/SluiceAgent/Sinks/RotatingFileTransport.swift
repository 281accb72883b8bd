import Foundation
import SluiceCore
import Synchronization

/// Appends batch bodies to a local NDJSON file (`type: file`), rotating it by size.
///
/// Before a write that would take the file past `maxBytes`, the file is renamed to
/// `path.1` (an existing `path.1` to `path.2`, and so on, the oldest beyond `maxFiles`
/// overwritten) and a fresh `path` is opened. A body is never split: one larger than
/// `maxBytes` goes whole into a fresh file. `maxBytes == 0` never rotates.
///
/// The file may be deleted, truncated or rotated by someone else: each batch starts with
/// one `stat` of `path`, and when it names another file than the open one (or none), the
/// transport reopens `path`, creating it and its directory again.
final class RotatingFileTransport: SinkTransport {
  let path: String
  /// Rotate before the file would exceed this many bytes; 0 never rotates.
  let maxBytes: Int
  /// How many rotated files (`path.1` … `path.<maxFiles>`) are kept; 0 keeps none.
  let maxFiles: Int
  private let state: Mutex<OpenFile>

  /// The open file and its identity. `send` is called by one task at a time, so the lock
  /// is never contended; it makes the class `Sendable`.
  private struct OpenFile {
    var fd: Int32 = -1
    var device: UInt64 = 0
    var inode: UInt64 = 0
  }

  /// Opens `path` for appending, creating it and its directory.
  init(path: String, maxBytes: Int = 0, maxFiles: Int = 5) throws {
    self.path = path
    self.maxBytes = max(0, maxBytes)
    self.maxFiles = max(0, maxFiles)
    var file = OpenFile()
    if let error = Self.openFile(path, into: &file) {
      throw ConfigError(path: "sinks.path", message: "cannot open \(path): \(String(cString: strerror(error)))")
    }
    state = Mutex(file)
  }

  func send(body: [UInt8]) async -> DeliveryOutcome {
    state.withLock { file -> DeliveryOutcome in
      var size: Int
      var st = stat()
      if file.fd >= 0 && stat(path, &st) == 0 && UInt64(st.st_dev) == file.device && UInt64(st.st_ino) == file.inode {
        size = Int(st.st_size)
      } else {
        // Gone, replaced, or closed by shutdown: start a new file at `path`.
        if let error = Self.openFile(path, into: &file) { return Self.failure("open", path, error) }
        size = Self.size(of: file.fd)
      }
      if maxBytes > 0 && size > 0 && size + body.count > maxBytes {
        if let error = rotate(&file) { return Self.failure("rotate", path, error) }
        size = 0
      }
      let written = body.withUnsafeBytes { FileDescriptorIO.writeAll(file.fd, $0) }
      guard written == body.count else {
        let error = errno
        // Take back a partial body so that the retry does not leave a torn line.
        if written > 0 { _ = ftruncate(file.fd, off_t(size)) }
        return Self.failure("write", path, error)
      }
      return .delivered
    }
  }

  /// Flushes the file to disk and closes it.
  func shutdown() async {
    state.withLock { file in
      guard file.fd >= 0 else { return }
      fsync(file.fd)
      close(file.fd)
      file.fd = -1
    }
  }

  /// Shifts the rotated files up by one, renames `path` to `path.1` and opens a fresh
  /// `path`. Returns `errno` on failure, leaving the current file open.
  private func rotate(_ file: inout OpenFile) -> Int32? {
    if maxFiles == 0 {
      if unlink(path) != 0 && errno != ENOENT { return errno }
    } else {
      // rename replaces its target, so the oldest file goes when the one before it moves up.
      for k in stride(from: maxFiles - 1, through: 1, by: -1) {
        if rename("\(path).\(k)", "\(path).\(k + 1)") != 0 && errno != ENOENT { return errno }
      }
      if rename(path, "\(path).1") != 0 && errno != ENOENT { return errno }
    }
    return Self.openFile(path, into: &file)
  }

  /// Opens (creating) `path` for appending, creating its directory if it is missing, and
  /// replaces `file` with it. Returns `errno` on failure, leaving `file` as it was.
  private static func openFile(_ path: String, into file: inout OpenFile) -> Int32? {
    let flags = O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC
    var fd = open(path, flags, 0o644)
    if fd < 0 && errno == ENOENT {
      let dir = PathName.parent(path)
      if !dir.isEmpty { try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
      fd = open(path, flags, 0o644)
    }
    guard fd >= 0 else { return errno }
    var st = stat()
    guard fstat(fd, &st) == 0 else {
      let error = errno
      close(fd)
      return error
    }
    if file.fd >= 0 { close(file.fd) }
    file = OpenFile(fd: fd, device: UInt64(st.st_dev), inode: UInt64(st.st_ino))
    return nil
  }

  private static func size(of fd: Int32) -> Int {
    var st = stat()
    return fstat(fd, &st) == 0 ? Int(st.st_size) : 0
  }

  private static func failure(_ operation: String, _ path: String, _ error: Int32) -> DeliveryOutcome {
    .retryable(reason: "\(operation) \(path): \(String(cString: strerror(error)))", retryAfter: nil)
  }
}
