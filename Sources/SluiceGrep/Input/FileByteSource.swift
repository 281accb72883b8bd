/// Closes a descriptor when the last source using it goes away (standard input stays open).
final class OwnedDescriptor {
  let fd: Int32
  private let closesOnDeinit: Bool

  init(_ fd: Int32, closesOnDeinit: Bool) {
    self.fd = fd
    self.closesOnDeinit = closesOnDeinit
  }

  deinit { if closesOnDeinit { FileDescriptor.close(fd) } }
}

/// The bytes of an open file or of standard input, as `read(2)` returns them.
///
/// Bytes already taken from the descriptor to sniff the format (``InputFiles/open(_:)``)
/// are handed out first, so the stream reads exactly as the file does.
struct FileByteSource: ByteSource {
  private let descriptor: OwnedDescriptor
  private let path: String
  private var prefix: [UInt8]
  private var prefixOffset = 0

  init(_ descriptor: OwnedDescriptor, path: String, prefix: [UInt8] = []) {
    self.descriptor = descriptor
    self.path = path
    self.prefix = prefix
  }

  mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws(InputError) -> Int {
    if prefixOffset < prefix.count {
      let n = min(buffer.count, prefix.count - prefixOffset)
      prefix.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress! + prefixOffset, byteCount: n) }
      prefixOffset += n
      if prefixOffset == prefix.count { prefix = [] }
      return n
    }
    switch FileDescriptor.read(descriptor.fd, into: buffer) {
    case .success(let n): return n
    case .failure(let error): throw InputError(path: path, message: error.text)
    }
  }
}

/// Opening inputs by path.
public enum InputFiles {
  /// Opens `path` ("-" is standard input) for reading; a gzip stream (magic bytes 1f 8b,
  /// whatever the name) is decompressed through zlib, streaming and across concatenated
  /// members. A directory, a missing or unreadable file → ``InputError`` with strerror text.
  ///
  /// A zstd stream (magic bytes 28 b5 2f fd) is decompressed the same way, through libzstd.
  /// The format is told by the first bytes, never by the name: `app.log.1.gz` that holds
  /// plain text reads as plain text, and gzip data piped into standard input is decompressed.
  /// The descriptor is closed when the returned source is released.
  public static func open(_ path: String) throws(InputError) -> any ByteSource {
    let descriptor: OwnedDescriptor
    if path == "-" {
      descriptor = OwnedDescriptor(FileDescriptor.standardInput, closesOnDeinit: false)
    } else {
      switch FileDescriptor.openForReading(path) {
      case .success(let fd): descriptor = OwnedDescriptor(fd, closesOnDeinit: true)
      case .failure(let error): throw InputError(path: path, message: error.text)
      }
    }
    switch FileDescriptor.isDirectory(descriptor.fd) {
    case .success(true): throw InputError(path: path, message: FileDescriptor.isDirectoryText)
    case .success(false): break
    case .failure(let error): throw InputError(path: path, message: error.text)
    }
    let head = try sniff(descriptor, path: path)
    let file = FileByteSource(descriptor, path: path, prefix: head)
    if head.starts(with: gzipMagic) { return try GzipByteSource(file, path: path) }
    if head == zstdMagic { return try ZstdByteSource(file, path: path) }
    return file
  }

  /// The first bytes of the stream: four, or fewer at its end or as soon as they cannot begin
  /// a gzip or zstd magic number (so that a slow pipe's first short line is not held back).
  private static func sniff(_ descriptor: OwnedDescriptor, path: String) throws(InputError) -> [UInt8] {
    var head = [UInt8](repeating: 0, count: 4)
    var filled = 0
    while filled < head.count && couldBeMagic(head[0..<filled]) {
      let result = head.withUnsafeMutableBytes {
        FileDescriptor.read(descriptor.fd, into: UnsafeMutableRawBufferPointer(rebasing: $0[filled...]))
      }
      switch result {
      case .success(0): return Array(head[0..<filled])
      case .success(let n): filled += n
      case .failure(let error): throw InputError(path: path, message: error.text)
      }
    }
    return Array(head[0..<filled])
  }

  private static let gzipMagic: [UInt8] = [0x1F, 0x8B]
  private static let zstdMagic: [UInt8] = [0x28, 0xB5, 0x2F, 0xFD]

  /// Whether `bytes` may still grow into a magic number we read (a full gzip one is enough).
  private static func couldBeMagic(_ bytes: ArraySlice<UInt8>) -> Bool {
    if bytes.count >= 2 && bytes.elementsEqual(gzipMagic) { return false }
    return gzipMagic.starts(with: bytes) || zstdMagic.starts(with: bytes)
  }
}
