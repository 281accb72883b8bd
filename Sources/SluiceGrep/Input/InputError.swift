/// Why an input could not be read (names the path).
public struct InputError: Error, Sendable, CustomStringConvertible {
  /// The input as it was given on the command line (`-` is standard input).
  public var path: String
  /// What went wrong, e.g. `No such file or directory` or `gzip data is truncated`.
  public var message: String

  /// Creates an error about `path`.
  public init(path: String, message: String) {
    self.path = path
    self.message = message
  }

  /// `<path>: <message>`; standard input is named `(standard input)`.
  public var description: String {
    "\(path == "-" ? "(standard input)" : path): \(message)"
  }
}

/// A source of bytes: a file, standard input, a decompressing stream.
public protocol ByteSource {
  /// Reads up to `buffer.count` bytes into `buffer`; returns 0 at the end.
  mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws(InputError) -> Int
}
