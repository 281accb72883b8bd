/// Turns one whole batch body into one gzip member (RFC 1952). Each sink sender owns one and
/// reuses it for every batch; it is not shared between threads.
///
/// Batches are compressed whole, never streamed, so the compressor can be a whole-buffer
/// one: libdeflate by default (`compressor: libdeflate`), or zlib (`compressor: zlib`).
/// docs/performance.md has both measured per level on the same data.
protocol BatchCompressor: AnyObject {
  /// The gzip member for `input`. Its storage is allocated for the worst case but only the
  /// bytes written are touched, so an incompressible bound costs address space, not memory.
  func compress(_ input: UnsafeRawBufferPointer) -> [UInt8]
}

extension BatchCompressor {
  func compress(_ input: [UInt8]) -> [UInt8] {
    input.withUnsafeBytes { compress($0) }
  }
}

extension SinkConfig {
  /// A new compressor for one sender, or nil without compression.
  func makeCompressor() -> (any BatchCompressor)? {
    guard compression == .gzip else { return nil }
    switch compressor {
    case .libdeflate: return LibdeflateCompressor(level: compressionLevel)
    case .zlib: return GzipCompressor(level: compressionLevel)
    }
  }
}
