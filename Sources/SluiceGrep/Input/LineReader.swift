/// The line reader's buffer, at a fixed address until it grows.
final class LineBuffer {
  private(set) var bytes: UnsafeMutableRawBufferPointer

  init(capacity: Int) { bytes = .allocate(byteCount: capacity, alignment: 16) }

  /// Grows to `capacity`, keeping the bytes in `range` (moved to the front).
  func grow(to capacity: Int, keeping range: Range<Int>) {
    let larger = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 16)
    if !range.isEmpty {
      larger.baseAddress!.copyMemory(from: bytes.baseAddress! + range.lowerBound, byteCount: range.count)
    }
    bytes.deallocate()
    bytes = larger
  }

  deinit { bytes.deallocate() }
}

/// Splits a byte source into lines (LF; a trailing CR is dropped; the last line may lack LF).
/// A line longer than `maxLineBytes` is cut there and the rest of it skipped (counted in
/// ``truncatedLines``). NUL bytes and invalid UTF-8 pass through untouched. Reads in large
/// blocks (256 KiB) with `memchr`; no allocation per line once warm.
///
/// The buffer grows past its first 256 KiB only to hold a line longer than that (up to
/// `maxLineBytes` plus one block), so memory stays bounded by the longest line kept.
/// A reader owns its buffer: do not copy one and use both copies.
public struct LineReader {
  /// How much is asked of the source at a time.
  static let blockSize = 256 << 10

  private var source: any ByteSource
  private let buffer: LineBuffer
  private let maxLineBytes: Int
  /// Unconsumed bytes are `start..<end` of the buffer; `scanned` of them hold no LF.
  private var start = 0
  private var end = 0
  private var scanned = 0
  private var lineStart = 0
  private var lineCount = 0
  private var sourceEnded = false
  /// After a cut line: the rest of it, up to its LF, is still to be skipped.
  private var skippingRest = false
  /// A read error, thrown once the bytes read before it have been handed out as lines.
  private var pendingError: InputError?

  /// The input's name, as given (`-` is standard input).
  public let path: String
  /// The number of the current line, from 1 (0 before the first call to ``next()``).
  public private(set) var lineNumber = 0
  /// Bytes consumed from the source so far (after decompression).
  public private(set) var bytesRead = 0
  /// Lines longer than `maxLineBytes`, cut at that length.
  public private(set) var truncatedLines = 0

  /// Reads lines from `source`; `path` names it in errors. `maxLineBytes` must be positive.
  public init(_ source: any ByteSource, path: String, maxLineBytes: Int = 16 << 20) {
    precondition(maxLineBytes > 0, "maxLineBytes must be positive")
    self.source = source
    self.path = path
    self.maxLineBytes = maxLineBytes
    self.buffer = LineBuffer(capacity: Self.blockSize)
  }

  /// The current line, without its LF and a CR before it (valid until the next call to
  /// ``next()``).
  public var line: UnsafeRawBufferPointer {
    UnsafeRawBufferPointer(start: buffer.bytes.baseAddress! + lineStart, count: lineCount)
  }

  /// The buffer's size (for tests: it grows only for long lines).
  var bufferCapacity: Int { buffer.bytes.count }

  /// Advances to the next line; false at the end. A read error of the source is thrown once
  /// every byte read before it has been handed out as lines (the last one possibly partial);
  /// after it, the reader is at its end.
  public mutating func next() throws(InputError) -> Bool {
    if skippingRest {
      guard try skipRest() else { return false }
    }
    while true {
      let base = UnsafeRawPointer(buffer.bytes.baseAddress!)
      if let hit = FileDescriptor.find(0x0A, in: base + scanned, count: end - scanned) {
        let lf = scanned + hit
        return emit(start, lf, next: lf + 1)
      }
      scanned = end
      // More than `maxLineBytes` + CR without an LF: too long whatever follows.
      if end - start > maxLineBytes + 1 { return cut() }
      if sourceEnded {
        guard start < end else { return try finish() }
        return emit(start, end, next: end)
      }
      fill()
    }
  }

  /// At the end of the source: false, or the read error that ended it (thrown once).
  private mutating func finish() throws(InputError) -> Bool {
    if let error = pendingError {
      pendingError = nil
      throw error
    }
    return false
  }

  /// Makes `from..<to` the current line (dropping one CR before its end, and cutting it at
  /// `maxLineBytes`) and moves on to `next`.
  private mutating func emit(_ from: Int, _ to: Int, next: Int) -> Bool {
    var to = to
    if to > from && buffer.bytes[to - 1] == 0x0D { to -= 1 }
    if to - from > maxLineBytes {
      to = from + maxLineBytes
      truncatedLines += 1
    }
    lineStart = from
    lineCount = to - from
    lineNumber += 1
    start = next
    scanned = next
    return true
  }

  /// Yields the first `maxLineBytes` bytes of an over-long line whose end is not in the
  /// buffer; the next call skips the rest of it.
  private mutating func cut() -> Bool {
    lineStart = start
    lineCount = maxLineBytes
    lineNumber += 1
    truncatedLines += 1
    start += maxLineBytes
    scanned = start
    skippingRest = true
    return true
  }

  /// Discards bytes up to and including the next LF; false if the source ends first.
  private mutating func skipRest() throws(InputError) -> Bool {
    while true {
      let base = UnsafeRawPointer(buffer.bytes.baseAddress!)
      if let hit = FileDescriptor.find(0x0A, in: base + start, count: end - start) {
        start += hit + 1
        scanned = start
        skippingRest = false
        return true
      }
      start = 0
      end = 0
      scanned = 0
      if sourceEnded { return try finish() }
      fill()
    }
  }

  /// Reads one block after the unconsumed bytes, moving them to the front of the buffer
  /// first, and growing it while a long line needs the room. A read error ends the source;
  /// it is thrown after the bytes already read (a gzip stream cut short yields its last,
  /// partial line first).
  private mutating func fill() {
    let pending = end - start
    let capacity = buffer.bytes.count
    let limit = max(Self.blockSize, maxLineBytes + Self.blockSize)
    if capacity - pending < Self.blockSize / 2 && capacity < limit {
      buffer.grow(to: min(max(capacity * 2, pending + Self.blockSize), limit), keeping: start..<end)
    } else if start > 0 {
      if pending > 0 {
        buffer.bytes.baseAddress!.copyMemory(from: buffer.bytes.baseAddress! + start, byteCount: pending)
      }
    }
    scanned -= start
    start = 0
    end = pending
    let n: Int
    do throws(InputError) {
      n = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer.bytes[end...]))
    } catch {
      pendingError = error
      sourceEnded = true
      return
    }
    if n == 0 {
      sourceEnded = true
    } else {
      end += n
      bytesRead += n
    }
  }
}
