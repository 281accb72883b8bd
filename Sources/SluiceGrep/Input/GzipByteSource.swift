import CZlib

/// A zlib inflate stream and its input buffer, at fixed addresses (zlib keeps a pointer back
/// to its `z_stream`, so the stream must never move).
final class InflateState {
  let stream: UnsafeMutablePointer<z_stream>
  let input: UnsafeMutableRawBufferPointer
  /// The upstream source has reported its end.
  var inputEnded = false
  /// The last member ended and nothing follows.
  var finished = false
  /// An error found after some output was already returned; thrown by the next read.
  var pendingError: InputError?

  init?(inputSize: Int) {
    stream = .allocate(capacity: 1)
    stream.initialize(to: z_stream())
    input = .allocate(byteCount: inputSize, alignment: 16)
    // 15 + 32: the largest window, gzip or zlib header detected automatically.
    guard inflateInit2_(stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
      stream.deallocate()
      input.deallocate()
      return nil
    }
  }

  deinit {
    inflateEnd(stream)
    stream.deallocate()
    input.deallocate()
  }
}

/// Decompresses a gzip stream block by block as it is read (RFC 1952), across concatenated
/// members (`cat a.gz b.gz`); zero bytes after the last member (tape padding) are ignored.
///
/// Only the input block and zlib's window are held, never the whole file. Corrupt data, a
/// failed CRC, a stream cut short or trailing bytes that are not gzip are reported as an
/// ``InputError`` naming the path — after every byte that decoded cleanly has been returned.
struct GzipByteSource: ByteSource {
  private var upstream: any ByteSource
  private let state: InflateState
  private let path: String

  /// Reads compressed bytes from `upstream`, which must start at a gzip header.
  init(_ upstream: any ByteSource, path: String, inputSize: Int = 128 << 10) throws(InputError) {
    guard let state = InflateState(inputSize: inputSize) else {
      throw InputError(path: path, message: "cannot start zlib inflate")
    }
    self.upstream = upstream
    self.state = state
    self.path = path
  }

  mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws(InputError) -> Int {
    if let error = state.pendingError { throw error }
    guard !state.finished, let out = buffer.baseAddress, buffer.count > 0 else { return 0 }
    let s = state.stream
    let capacity = min(buffer.count, Int(UInt32.max))
    s.pointee.next_out = out.assumingMemoryBound(to: Bytef.self)
    s.pointee.avail_out = uInt(capacity)
    var produced: Int { capacity - Int(s.pointee.avail_out) }

    while true {
      if s.pointee.avail_in == 0 && !state.inputEnded {
        do throws(InputError) { try refill() } catch { return try fail(error, produced: produced) }
      }
      let rc = inflate(s, Z_NO_FLUSH)
      switch rc {
      case Z_STREAM_END:
        let another: Bool
        do throws(InputError) { another = try startNextMember() } catch { return try fail(error, produced: produced) }
        if !another {
          state.finished = true
          return produced
        }
        if s.pointee.avail_out == 0 { return produced }
      case Z_OK:
        if s.pointee.avail_out == 0 { return produced }
      case Z_BUF_ERROR where s.pointee.avail_in == 0 && state.inputEnded:
        return try fail(
          InputError(path: path, message: "gzip data is truncated (unexpected end of file)"), produced: produced)
      default:
        let detail = s.pointee.msg.map { String(cString: $0) } ?? "zlib error \(rc)"
        return try fail(InputError(path: path, message: "gzip data is corrupt: \(detail)"), produced: produced)
      }
    }
  }

  /// Returns what was decoded before `error` and keeps the error for the next read, or throws
  /// it now if nothing was.
  private func fail(_ error: InputError, produced: Int) throws(InputError) -> Int {
    state.pendingError = error
    if produced > 0 { return produced }
    throw error
  }

  /// Reads the next block of compressed input.
  private mutating func refill() throws(InputError) {
    let n = try upstream.read(into: state.input)
    state.stream.pointee.next_in = state.input.baseAddress!.assumingMemoryBound(to: Bytef.self)
    state.stream.pointee.avail_in = uInt(n)
    if n == 0 { state.inputEnded = true }
  }

  /// After a member's end: whether another member follows (the stream is then reset for it).
  /// Zero bytes are skipped; anything else that is not a gzip header is trailing garbage.
  private mutating func startNextMember() throws(InputError) -> Bool {
    let s = state.stream
    while true {
      if s.pointee.avail_in == 0 {
        if state.inputEnded { return false }
        try refill()
        if s.pointee.avail_in == 0 { return false }
      }
      switch s.pointee.next_in.pointee {
      case 0:
        s.pointee.next_in += 1
        s.pointee.avail_in -= 1
      case 0x1F:
        inflateReset(s)
        return true
      default:
        throw InputError(path: path, message: "trailing garbage after gzip data")
      }
    }
  }
}
