import Dispatch
import SluiceCore

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Reads a plain file in large blocks and scans each block on every worker's thread at once:
/// the block is cut at newlines into one part per worker, the parts are scanned in parallel,
/// and their output is written in order, so the result is the same as a single thread's.
///
/// Memory stays bounded by the block size (plus each worker's output for one part). A line
/// longer than the block grows the buffer up to `maxLineBytes`; beyond that the line is cut
/// (and counted) and the rest of it skipped.
struct BlockScan {
  let fd: Int32
  let path: String
  let workers: [GrepWorker]
  /// Bytes per worker per round.
  var partBytes = 4 << 20
  let maxLineBytes: Int

  /// Scans the whole file. `flush` receives each worker's output in order after each round;
  /// returning false (the reader went away) stops the scan. Returns the bytes read.
  func run(flush: (GrepWorker) -> Bool) throws(InputError) -> Int {
    var capacity = partBytes * workers.count
    var buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 64)
    defer { buffer.deallocate() }
    var filled = 0
    var total = 0
    var skippingOverlong = false
    while true {
      // Fill the buffer (a pipe or a slow disk may return less than asked).
      var eof = false
      while filled < capacity {
        let n = read(fd, buffer.baseAddress! + filled, capacity - filled)
        if n < 0 {
          if errno == EINTR { continue }
          throw InputError(path: path, message: String(cString: strerror(errno)))
        }
        if n == 0 {
          eof = true
          break
        }
        filled += n
        total += n
      }
      let view = UnsafeRawBufferPointer(buffer)
      var end: Int
      if eof {
        end = filled
      } else if let last = ByteSearch.lastNewline(in: view, from: 0, to: filled) {
        end = last + 1
      } else if capacity < maxLineBytes {
        // One line fills the buffer: make room for the rest of it.
        let bigger = UnsafeMutableRawBufferPointer.allocate(byteCount: min(capacity * 2, maxLineBytes), alignment: 64)
        bigger.copyMemory(from: UnsafeRawBufferPointer(rebasing: buffer[0..<filled]))
        buffer.deallocate()
        buffer = bigger
        capacity = bigger.count
        continue
      } else {
        // Longer than the limit: judge the first maxLineBytes, skip the rest of the line.
        if !skippingOverlong {
          workers[0].handle(UnsafeRawBufferPointer(rebasing: view[0..<filled]))
          workers[0].filter.stats.truncated += 1
          guard flush(workers[0]) else { return total }
        }
        skippingOverlong = true
        filled = 0
        continue
      }
      var begin = 0
      if skippingOverlong {
        // The end of an overlong line: drop it up to its newline.
        begin = (ByteSearch.newline(in: view, from: 0, to: end) ?? (end - 1)) + 1
        skippingOverlong = false
      }
      scan(UnsafeRawBufferPointer(rebasing: view[begin..<end]))
      for w in workers {
        guard flush(w) else { return total }
        if w.typeError != nil { return total }
      }
      if eof { return total }
      // Keep the partial last line for the next round.
      let rest = filled - end
      if rest > 0 { memmove(buffer.baseAddress!, buffer.baseAddress! + end, rest) }
      filled = rest
    }
  }

  /// Scans `region` (whole lines) with every worker, one part each.
  private func scan(_ region: UnsafeRawBufferPointer) {
    let parts = Self.split(region, into: workers.count)
    if parts.count == 1 {
      workers[0].scan(parts[0])
      return
    }
    let work = Parts(workers: workers, parts: parts)
    DispatchQueue.concurrentPerform(iterations: parts.count) { k in
      work.workers[k].scan(work.parts[k])
    }
  }

  /// The parts of one round and their workers: each thread touches only its own pair, and
  /// the round's buffer outlives the threads (`concurrentPerform` returns when all are done).
  private struct Parts: @unchecked Sendable {
    let workers: [GrepWorker]
    let parts: [UnsafeRawBufferPointer]
  }

  /// Cuts `region` into up to `count` parts of about equal size, each ending at a newline.
  /// Regions under 256 KiB stay whole (threads would cost more than they save).
  static func split(_ region: UnsafeRawBufferPointer, into count: Int) -> [UnsafeRawBufferPointer] {
    guard count > 1, region.count >= 256 << 10 else { return [region] }
    var parts: [UnsafeRawBufferPointer] = []
    var start = 0
    for k in 1..<count {
      let target = region.count * k / count
      guard target > start, let nl = ByteSearch.newline(in: region, from: target, to: region.count) else { break }
      parts.append(UnsafeRawBufferPointer(rebasing: region[start...nl]))
      start = nl + 1
    }
    if start < region.count { parts.append(UnsafeRawBufferPointer(rebasing: region[start...])) }
    return parts
  }
}
