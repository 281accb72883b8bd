#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Small POSIX helpers shared by every writer in Sluice (log outputs, sinks, checkpoints).
public enum FileDescriptorIO {
  /// Writes all of `bytes` to `fd`, retrying short writes and `EINTR`.
  /// - Returns: the number of bytes written; less than `bytes.count` means an error (`errno`).
  @discardableResult
  public static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Int {
    guard var p = bytes.baseAddress else { return 0 }
    var left = bytes.count
    while left > 0 {
      #if canImport(Glibc)
        let n = Glibc.write(fd, p, left)
      #else
        let n = Darwin.write(fd, p, left)
      #endif
      if n < 0 {
        if errno == EINTR { continue }
        break
      }
      p += n
      left -= n
    }
    return bytes.count - left
  }
}
