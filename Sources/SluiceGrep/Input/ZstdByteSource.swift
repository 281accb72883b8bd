import CZstd

/// A zstd decompression stream and its input buffer, freed with the source.
final class ZstdState {
  let stream: OpaquePointer
  let input: UnsafeMutableRawBufferPointer
  /// The next unread byte of ``input`` and the end of what it holds.
  var inputPosition = 0
  var inputCount = 0
  /// The upstream source has reported its end.
  var inputEnded = false
  /// `ZSTD_decompressStream`'s last hint: 0 when a frame has just been completed.
  var frameComplete = true
  /// An error found after some output was already returned; thrown by the next read.
  var pendingError: InputError?

  init?() {
    guard let stream = ZSTD_createDStream() else { return nil }
    self.stream = stream
    input = .allocate(byteCount: ZSTD_DStreamInSize(), alignment: 16)
  }

  deinit {
    ZSTD_freeDStream(stream)
    input.deallocate()
  }
}

/// Decompresses a zstd stream block by block as it is read, across concatenated frames
/// (skippable frames are passed over by libzstd).
///
/// Only the input block and zstd's window are held, never the whole file. Corrupt data or a
/// stream that ends inside a frame is reported as an ``InputError`` naming the path — after
/// every byte that decoded cleanly has been returned.
struct ZstdByteSource: ByteSource {
  private var upstream: any ByteSource
  private let state: ZstdState
  private let path: String

  /// Reads compressed bytes from `upstream`, which must start at a zstd frame.
  init(_ upstream: any ByteSource, path: String) throws(InputError) {
    guard let state = ZstdState() else { throw InputError(path: path, message: "cannot start zstd decompression") }
    self.upstream = upstream
    self.state = state
    self.path = path
  }

  mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws(InputError) -> Int {
    if let error = state.pendingError { throw error }
    guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
    var output = ZSTD_outBuffer(dst: base, size: buffer.count, pos: 0)
    while true {
      if state.inputPosition == state.inputCount && !state.inputEnded {
        do throws(InputError) {
          state.inputCount = try upstream.read(into: state.input)
        } catch {
          return try fail(error, produced: output.pos)
        }
        state.inputPosition = 0
        if state.inputCount == 0 { state.inputEnded = true }
      }
      // Called even without input: libzstd may still hold output for us.
      var input = ZSTD_inBuffer(src: state.input.baseAddress!, size: state.inputCount, pos: state.inputPosition)
      let hint = ZSTD_decompressStream(state.stream, &output, &input)
      if ZSTD_isError(hint) != 0 {
        let detail = String(cString: ZSTD_getErrorName(hint))
        return try fail(InputError(path: path, message: "zstd data is corrupt: \(detail)"), produced: output.pos)
      }
      let progressed = input.pos != state.inputPosition || output.pos > 0
      state.inputPosition = input.pos
      if progressed { state.frameComplete = hint == 0 }
      if output.pos > 0 { return output.pos }
      if !progressed && state.inputPosition == state.inputCount && state.inputEnded {
        guard state.frameComplete else {
          return try fail(
            InputError(path: path, message: "zstd data is truncated (unexpected end of file)"), produced: 0)
        }
        return 0
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
}
