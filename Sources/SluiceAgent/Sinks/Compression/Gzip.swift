import CZlib

/// gzip (RFC 1952) compression with zlib (`compressor: zlib`), reusing one deflate state
/// across batches. Levels 1 (fastest) to 9 (smallest).
final class GzipCompressor: BatchCompressor {
  private var stream = z_stream()
  let level: Int32

  init(level: Int) {
    self.level = Int32(level)
    // windowBits 15 + 16 selects the gzip wrapper.
    let rc = deflateInit2_(
      &stream, self.level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
    precondition(rc == Z_OK, "deflateInit2 failed: \(rc)")
  }

  deinit { deflateEnd(&stream) }

  func compress(_ input: UnsafeRawBufferPointer) -> [UInt8] {
    deflateReset(&stream)
    let bound = Int(deflateBound(&stream, uLong(input.count))) + 32
    return [UInt8](unsafeUninitializedCapacity: bound) { out, written in
      stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
      stream.avail_in = uInt(input.count)
      stream.next_out = out.baseAddress!
      stream.avail_out = uInt(out.count)
      let rc = deflate(&stream, Z_FINISH)
      precondition(rc == Z_STREAM_END, "deflate did not finish: \(rc)")
      written = out.count - Int(stream.avail_out)
    }
  }
}

/// gzip decompression with zlib (accepts concatenated members).
public enum Gunzip {
  public struct Failure: Error, CustomStringConvertible {
    public var code: Int32
    public var description: String { "gzip data is corrupt (zlib error \(code))" }
  }

  public static func decompress(_ input: [UInt8]) throws -> [UInt8] {
    var stream = z_stream()
    guard inflateInit2_(&stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
      throw Failure(code: Z_STREAM_ERROR)
    }
    defer { inflateEnd(&stream) }
    var out: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 64 * 1024)
    try input.withUnsafeBytes { inBuf in
      stream.next_in = UnsafeMutablePointer(mutating: inBuf.baseAddress?.assumingMemoryBound(to: Bytef.self))
      stream.avail_in = uInt(inBuf.count)
      while true {
        let rc = buffer.withUnsafeMutableBytes { outBuf -> Int32 in
          stream.next_out = outBuf.baseAddress!.assumingMemoryBound(to: Bytef.self)
          stream.avail_out = uInt(outBuf.count)
          return inflate(&stream, Z_NO_FLUSH)
        }
        out.append(contentsOf: buffer[0..<(buffer.count - Int(stream.avail_out))])
        if rc == Z_STREAM_END {
          if stream.avail_in == 0 { return }
          inflateReset(&stream)  // another member follows
          continue
        }
        if rc != Z_OK { throw Failure(code: rc) }
        if stream.avail_in == 0 && stream.avail_out != 0 { throw Failure(code: Z_BUF_ERROR) }
      }
    }
    return out
  }
}
