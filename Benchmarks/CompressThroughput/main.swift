// Batch compression speed and ratio, zlib against libdeflate, per level, on one core.
//
//   sluice-compress-bench FILE [BATCH_BYTES]
//
// FILE is cut into batches of about BATCH_BYTES (default 1 MiB, the sinks' default
// `batch.max_bytes`) at line ends, and every batch is compressed whole into one gzip
// member, as a sink sender does. Prints MB/s of input per core and the ratio for each.
import CDeflate
import CZlib
import Foundation

let args = CommandLine.arguments
guard args.count >= 2, let data = FileManager.default.contents(atPath: args[1]) else {
  print("usage: sluice-compress-bench FILE [BATCH_BYTES]")
  exit(2)
}
let batchBytes = args.count > 2 ? Int(args[2]) ?? (1 << 20) : (1 << 20)
let input = [UInt8](data)

let batches: [Range<Int>] = {
  var cuts: [Range<Int>] = []
  var start = 0
  while start < input.count {
    var end = min(start + batchBytes, input.count)
    while end < input.count && input[end - 1] != 0x0A { end += 1 }
    cuts.append(start..<end)
    start = end
  }
  return cuts
}()

func zlibGzip(level: Int32) -> (Double, Int) {
  var stream = z_stream()
  precondition(
    deflateInit2_(
      &stream, level, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
      == Z_OK)
  defer { deflateEnd(&stream) }
  var out = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(batchBytes * 2))) + 64)
  var total = 0
  let t0 = ContinuousClock.now
  input.withUnsafeBytes { inBuf in
    out.withUnsafeMutableBytes { outBuf in
      for r in batches {
        deflateReset(&stream)
        stream.next_in = UnsafeMutablePointer(
          mutating: (inBuf.baseAddress! + r.lowerBound).assumingMemoryBound(to: Bytef.self))
        stream.avail_in = uInt(r.count)
        stream.next_out = outBuf.baseAddress!.assumingMemoryBound(to: Bytef.self)
        stream.avail_out = uInt(outBuf.count)
        precondition(deflate(&stream, Z_FINISH) == Z_STREAM_END)
        total += outBuf.count - Int(stream.avail_out)
      }
    }
  }
  return (seconds(ContinuousClock.now - t0), total)
}

func libdeflateGzip(level: Int32) -> (Double, Int) {
  let c = libdeflate_alloc_compressor(level)!
  defer { libdeflate_free_compressor(c) }
  var out = [UInt8](repeating: 0, count: libdeflate_gzip_compress_bound(c, batchBytes * 2))
  var total = 0
  let t0 = ContinuousClock.now
  input.withUnsafeBytes { inBuf in
    out.withUnsafeMutableBytes { outBuf in
      for r in batches {
        let n = libdeflate_gzip_compress(
          c, inBuf.baseAddress! + r.lowerBound, r.count, outBuf.baseAddress, outBuf.count)
        precondition(n > 0)
        total += n
      }
    }
  }
  return (seconds(ContinuousClock.now - t0), total)
}

func seconds(_ d: Duration) -> Double {
  Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
}

print(
  "input: \(input.count / 1_000_000) MB in \(batches.count) batches of about \(batchBytes / 1024) KiB; one core")
print("library     level   MB/s   ratio")
for (name, levels, run) in [
  ("zlib", [1, 6, 9], zlibGzip), ("libdeflate", [1, 4, 6, 9, 12], libdeflateGzip),
] as [(String, [Int32], (Int32) -> (Double, Int))] {
  for level in levels {
    let (s, out) = run(level)
    print(
      name.padding(toLength: 12, withPad: " ", startingAt: 0)
        + String(format: "%5d %7.1f %7.2f", level, Double(input.count) / s / 1e6, Double(input.count) / Double(out)))
  }
}
