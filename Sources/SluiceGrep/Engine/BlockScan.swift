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
  ///
  /// While a round is scanned, the next block is read into a second buffer on a thread of its
  /// own, so the workers do not wait for the disk or the kernel's copy between rounds.
  func run(flush: (GrepWorker) -> Bool) throws(InputError) -> Int {
    var capacity = partBytes * workers.count
    var buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 64)
    var spare = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 64)
    defer {
      buffer.deallocate()
      spare.deallocate()
    }
    var filled = 0
    var total = 0
    var skippingOverlong = false
    var eof = false
    var needsFill = true
    while true {
      if needsFill {
        let (n, end) = try Self.fill(fd, UnsafeMutableRawBufferPointer(rebasing: buffer[filled..<capacity]), path: path)
        filled += n
        total += n
        eof = end
      }
      needsFill = true
      let view = UnsafeRawBufferPointer(buffer)
      var end: Int
      if eof {
        end = filled
      } else if let last = ByteSearch.lastNewline(in: view, from: 0, to: filled) {
        end = last + 1
      } else if capacity < maxLineBytes {
        // One line fills the buffer: make room for the rest of it.
        let size = min(capacity * 2, maxLineBytes)
        let bigger = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 64)
        bigger.copyMemory(from: UnsafeRawBufferPointer(rebasing: buffer[0..<filled]))
        buffer.deallocate()
        buffer = bigger
        spare.deallocate()
        spare = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 64)
        capacity = size
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
      // The partial last line starts the next block, which is read while this one is scanned.
      let rest = filled - end
      var prefetch: Prefetch?
      if !eof {
        if rest > 0 { spare.baseAddress!.copyMemory(from: buffer.baseAddress! + end, byteCount: rest) }
        prefetch = Prefetch(fd: fd, into: UnsafeMutableRawBufferPointer(rebasing: spare[rest..<capacity]), path: path)
      }
      scan(UnsafeRawBufferPointer(rebasing: view[begin..<end]))
      let outcome = prefetch?.wait()
      for w in workers {
        guard flush(w) else { return total }
        if w.typeError != nil { return total }
      }
      guard let outcome else { return total }
      let (n, end2) = try outcome.get()
      swap(&buffer, &spare)
      filled = rest + n
      total += n
      eof = end2
      needsFill = false
    }
  }

  /// Reads into `into` until it is full or the file ends: the bytes read, and whether it ended.
  static func fill(_ fd: Int32, _ into: UnsafeMutableRawBufferPointer, path: String) throws(InputError) -> (Int, Bool) {
    var filled = 0
    while filled < into.count {
      let n = read(fd, into.baseAddress! + filled, into.count - filled)
      if n < 0 {
        if errno == EINTR { continue }
        throw InputError(path: path, message: String(cString: strerror(errno)))
      }
      if n == 0 { return (filled, true) }
      filled += n
    }
    return (filled, false)
  }

  /// One ``fill(_:_:path:)`` running on a thread of its own.
  private final class Prefetch: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var result: Result<(Int, Bool), InputError> = .success((0, true))

    init(fd: Int32, into: UnsafeMutableRawBufferPointer, path: String) {
      let target = UnsafeSendableBuffer(buffer: into)
      DispatchQueue.global().async { [self] in
        do throws(InputError) {
          result = .success(try BlockScan.fill(fd, target.buffer, path: path))
        } catch {
          result = .failure(error)
        }
        done.signal()
      }
    }

    /// The fill's outcome, once it is done.
    func wait() -> Result<(Int, Bool), InputError> {
      done.wait()
      return result
    }
  }

  /// A buffer handed to the reading thread, which alone touches it until it signals.
  private struct UnsafeSendableBuffer: @unchecked Sendable { let buffer: UnsafeMutableRawBufferPointer }

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
