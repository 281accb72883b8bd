import CZlib

/// gzip (RFC 1952) compression with zlib, reusing one deflate state across batches.
final class GzipCompressor {
  private var stream = z_stream()
  let level: Int32

  /// - Parameter level: 1 (fastest) to 9 (smallest).
  init(level: Int) {
    self.level = Int32(level)
    // windowBits 15 + 16 selects the gzip wrapper.
    let rc = deflateInit2_(
      &stream, self.level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
    precondition(rc == Z_OK, "deflateInit2 failed: \(rc)")
  }

  deinit { deflateEnd(&stream) }

  /// Compresses `input` into one gzip member.
  func compress(_ input: [UInt8]) -> [UInt8] {
    deflateReset(&stream)
    let bound = Int(deflateBound(&stream, uLong(input.count))) + 32
    var out = [UInt8](repeating: 0, count: bound)
    let produced = input.withUnsafeBytes { inBuf -> Int in
      out.withUnsafeMutableBytes { outBuf -> Int in
        stream.next_in = UnsafeMutablePointer(mutating: inBuf.baseAddress?.assumingMemoryBound(to: Bytef.self))
        stream.avail_in = uInt(inBuf.count)
        stream.next_out = outBuf.baseAddress!.assumingMemoryBound(to: Bytef.self)
        stream.avail_out = uInt(outBuf.count)
        let rc = deflate(&stream, Z_FINISH)
        precondition(rc == Z_STREAM_END, "deflate did not finish: \(rc)")
        return outBuf.count - Int(stream.avail_out)
      }
    }
    out.removeLast(out.count - produced)
    return out
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
