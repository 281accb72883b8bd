#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A failed system call's `errno`, with its `strerror` text.
struct SystemError: Error {
  let code: Int32
  init(_ code: Int32) { self.code = code }
  var text: String { FileDescriptor.errorText(code) }
}

/// The platform calls the input side makes, in one place: opening, reading, closing and
/// inspecting file descriptors, plus the libc byte search the line reader relies on.
enum FileDescriptor {
  /// Standard input's descriptor.
  static let standardInput: Int32 = 0

  /// Opens `path` read-only.
  /// - Returns: the descriptor, or the error.
  static func openForReading(_ path: String) -> Result<Int32, SystemError> {
    while true {
      let fd = path.withCString { open($0, O_RDONLY | O_CLOEXEC) }
      if fd >= 0 { return .success(fd) }
      if errno == EINTR { continue }
      return .failure(SystemError(errno))
    }
  }

  /// Whether `fd` is a directory, or the error if it cannot be inspected.
  static func isDirectory(_ fd: Int32) -> Result<Bool, SystemError> {
    var info = stat()
    guard fstat(fd, &info) == 0 else { return .failure(SystemError(errno)) }
    return .success((info.st_mode & S_IFMT) == S_IFDIR)
  }

  /// Reads up to `buffer.count` bytes, retrying `EINTR`.
  /// - Returns: the number of bytes read (0 at the end), or the error.
  static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) -> Result<Int, SystemError> {
    guard let base = buffer.baseAddress, buffer.count > 0 else { return .success(0) }
    while true {
      #if canImport(Glibc)
        let n = Glibc.read(fd, base, buffer.count)
      #else
        let n = Darwin.read(fd, base, buffer.count)
      #endif
      if n >= 0 { return .success(n) }
      if errno == EINTR { continue }
      return .failure(SystemError(errno))
    }
  }

  /// Closes `fd` (errors on a read-only descriptor carry no information and are ignored).
  static func close(_ fd: Int32) {
    #if canImport(Glibc)
      _ = Glibc.close(fd)
    #else
      _ = Darwin.close(fd)
    #endif
  }

  /// The `strerror` text of an `errno` value.
  static func errorText(_ code: Int32) -> String {
    guard let text = strerror(code) else { return "error \(code)" }
    return String(cString: text)
  }

  /// The text of `EISDIR`, for a directory given as an input.
  static var isDirectoryText: String { errorText(EISDIR) }

  /// The offset of the first `byte` in `count` bytes at `start`, or nil (`memchr`).
  @inline(__always)
  static func find(_ byte: UInt8, in start: UnsafeRawPointer, count: Int) -> Int? {
    guard count > 0, let hit = memchr(start, Int32(byte), count) else { return nil }
    return UnsafeRawPointer(hit) - start
  }
}
