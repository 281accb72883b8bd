import SluiceCore

/// Several line readers interleaved by time (`--merge`): always yields the line with the
/// smallest timestamp among the readers' current lines (ties: the earlier reader); a line
/// without a timestamp is yielded right after the line before it in its own reader (it keeps
/// its place in its file). Stable and deterministic.
///
/// - A line's time is read by decoding it (``LineDecoder``) and asking the ``TimeField``; a
///   plain line under a CRI prefix takes the prefix's time, as does a structured one whose
///   time field is missing.
/// - Lines without a time at the start of a file (before any timed line) come first, ahead
///   of every timed line, in reader order.
/// - Each file is assumed to be in time order already (one rotated set, one service); the
///   merge never reorders lines of one reader.
/// - The decoded form of the current line is at hand (``kind``, ``event``), so a caller need
///   not decode it again.
/// - A reader that throws is dropped after the error is thrown: the next call goes on with the
///   others.
public struct MergedLines {
  private struct Slot {
    var reader: LineReader
    var decoder = LineDecoder()
    var event = Event()
    var kind = LineKind.plain
    var time: Int64?

    /// Reads the next line and its time; false at the end.
    mutating func advance(timeField: TimeField, scanner: JSONScanner) throws(InputError) -> Bool {
      guard try reader.next() else { return false }
      kind = decoder.decode(reader.line, into: &event, scanner: scanner)
      time = timeField.nanoseconds(of: kind, event: event, decoder: decoder)
      return true
    }
  }

  private var slots: [Slot]
  private let timeField: TimeField
  private let scanner = JSONScanner()
  /// Readers whose current line waits to be yielded, keyed by (time, reader index).
  private var heap = MergeHeap()
  /// The next reader to read a first line from.
  private var unstarted = 0
  private var current = -1

  /// Merges `readers` (in command-line order; that order breaks ties) by `timeField`.
  public init(_ readers: [LineReader], timeField: TimeField) {
    slots = readers.map { Slot(reader: $0) }
    self.timeField = timeField
  }

  /// Advances to the next line in time order; false when every reader has ended.
  public mutating func next() throws(InputError) -> Bool {
    while unstarted < slots.count {
      let i = unstarted
      unstarted += 1
      if try advance(i) { heap.push(time: slots[i].time ?? Int64.min, reader: i) }
    }
    if current >= 0 {
      let i = current
      current = -1
      if try advance(i) {
        if slots[i].time == nil {
          current = i  // no time: it follows the line before it
          return true
        }
        heap.push(time: slots[i].time!, reader: i)
      }
    }
    guard let i = heap.pop() else { return false }
    current = i
    return true
  }

  /// Reads reader `i`'s next line and its time; false at its end.
  private mutating func advance(_ i: Int) throws(InputError) -> Bool {
    try slots[i].advance(timeField: timeField, scanner: scanner)
  }

  /// The current line (valid until the next call to ``next()``).
  public var line: UnsafeRawBufferPointer { slots[current].reader.line }
  /// Which input the current line came from (an index into the readers given).
  public var readerIndex: Int { current }
  /// The current line's time, or nil if it has none (it follows its reader's previous line).
  public var timestamp: Int64? { slots[current].time }
  /// What the current line was.
  public var kind: LineKind { slots[current].kind }
  /// The current line decoded (meaningful when ``kind`` is not ``LineKind/plain``).
  public var event: Event { slots[current].event }
  /// The current line's content after any CRI prefix.
  public var content: UnsafeRawBufferPointer { slots[current].decoder.content }
  /// The path of the input the current line came from.
  public var path: String { slots[current].reader.path }
  /// The current line's number in its input, from 1.
  public var lineNumber: Int { slots[current].reader.lineNumber }
  /// Bytes read from all inputs so far (after decompression).
  public var bytesRead: Int { slots.reduce(0) { $0 + $1.reader.bytesRead } }
  /// Lines cut at their reader's `maxLineBytes`, in all inputs.
  public var truncatedLines: Int { slots.reduce(0) { $0 + $1.reader.truncatedLines } }
}

/// A binary min-heap of (time, reader index) pairs; the index breaks ties, so the order is
/// total and the merge deterministic.
struct MergeHeap {
  private var items: [(time: Int64, reader: Int)] = []

  var isEmpty: Bool { items.isEmpty }

  private static func less(_ a: (time: Int64, reader: Int), _ b: (time: Int64, reader: Int)) -> Bool {
    a.time != b.time ? a.time < b.time : a.reader < b.reader
  }

  mutating func push(time: Int64, reader: Int) {
    items.append((time, reader))
    var child = items.count - 1
    while child > 0 {
      let parent = (child - 1) / 2
      guard Self.less(items[child], items[parent]) else { break }
      items.swapAt(child, parent)
      child = parent
    }
  }

  /// Removes and returns the reader with the smallest (time, index).
  mutating func pop() -> Int? {
    guard let top = items.first else { return nil }
    let last = items.removeLast()
    if !items.isEmpty {
      items[0] = last
      var parent = 0
      while true {
        let left = 2 * parent + 1
        guard left < items.count else { break }
        var smallest = left
        if left + 1 < items.count && Self.less(items[left + 1], items[left]) { smallest = left + 1 }
        guard Self.less(items[smallest], items[parent]) else { break }
        items.swapAt(smallest, parent)
        parent = smallest
      }
    }
    return top.reader
  }
}
