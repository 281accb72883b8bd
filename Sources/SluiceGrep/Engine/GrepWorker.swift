import SluiceCore

/// One scanning thread's state: its filter, its formatter, its share of `--count-by`, and the
/// output it has produced since it was last flushed. Each worker is used by one thread at a
/// time (the engine hands blocks out and waits for them), hence `@unchecked Sendable`.
final class GrepWorker: @unchecked Sendable {
  /// All of the worker's state, in one value: a block is scanned by one mutating call on it,
  /// so no line pays for access to a class property.
  @exclusivity(unchecked) var lines: WorkerLines

  init(options: GrepOptions) { lines = WorkerLines(options: options) }

  var filter: LineFilter {
    get { lines.filter }
    _modify { yield &lines.filter }
  }
  var countBy: CountBy? { lines.countBy }
  var out: [UInt8] {
    get { lines.out }
    _modify { yield &lines.out }
  }
  var typeError: QueryTypeError? { lines.typeError }

  /// Judges `line` (without its newline); false also after a type error.
  func judge(_ line: UnsafeRawBufferPointer) -> Bool { lines.judge(line) }
  /// Counts and writes the line just judged a match.
  func emitMatch(_ line: UnsafeRawBufferPointer) { lines.emitMatch(line) }
  /// Writes a context line (not a match).
  func emitContext(_ line: UnsafeRawBufferPointer) { lines.emitContext(line) }
  /// Judges and, if it matches, writes one line.
  func handle(_ line: UnsafeRawBufferPointer) { lines.handle(line) }
  /// Handles every line of `block` (see ``WorkerLines/scan(_:)``).
  func scan(_ block: UnsafeRawBufferPointer) { lines.scan(block) }
}

/// One worker's state and what it does per line (``GrepWorker`` holds it).
struct WorkerLines {
  var filter: LineFilter
  private var writer: RecordWriter
  var countBy: CountBy?
  var out: [UInt8] = []
  private let countOnly: Bool
  /// Whether lines passed over by the literal prefilter are counted (for `--stats`).
  private let countsSkippedLines: Bool
  /// The first type error the query met; scanning stops at it.
  private(set) var typeError: QueryTypeError?

  init(options: GrepOptions) {
    filter = LineFilter(options: options)
    writer = RecordWriter(mode: options.mode, color: options.color, fields: options.fields)
    countBy = options.countBy.map { CountBy(fields: $0) }
    countOnly = options.countOnly
    countsSkippedLines = options.stats
    out.reserveCapacity(1 << 16)
  }

  /// Judges `line` (without its newline); false also after a type error.
  mutating func judge(_ line: UnsafeRawBufferPointer) -> Bool {
    guard typeError == nil else { return false }
    do {
      return try filter.matches(line)
    } catch {
      typeError = error
      return false
    }
  }

  /// Counts and writes the line just judged a match.
  mutating func emitMatch(_ line: UnsafeRawBufferPointer) {
    filter.stats.matched += 1
    if countBy != nil {
      let structured = filter.decode(line, sameAsJudged: true, whole: false)
      countBy!.add(filter.event, structured: structured)
    } else if !countOnly {
      let event = writer.readsEvent ? filter.decoded(line, sameAsJudged: true) : nil
      writer.write(line: line, event: event, into: &out)
    }
  }

  /// Writes a context line (not a match).
  mutating func emitContext(_ line: UnsafeRawBufferPointer) {
    guard countBy == nil && !countOnly else { return }
    let event = writer.readsEvent ? filter.decoded(line, sameAsJudged: false) : nil
    writer.write(line: line, event: event, into: &out)
  }

  /// Judges and, if it matches, writes one line.
  @inline(__always)
  mutating func handle(_ line: UnsafeRawBufferPointer) {
    if judge(line) { emitMatch(line) }
  }

  /// Handles every line of `block`, which ends at a line boundary (or at the input's end).
  /// With a required literal, it searches the block for it and judges only the lines that
  /// hold it, counting the lines it passes over for `--stats`.
  mutating func scan(_ block: UnsafeRawBufferPointer) {
    guard let literal = filter.literals.first else {
      var start = 0
      while start < block.count && typeError == nil {
        let end = ByteSearch.newline(in: block, from: start, to: block.count) ?? block.count
        handle(Self.line(block, start, end))
        start = end + 1
      }
      return
    }
    literal.withUnsafeBytes { needle in
      var start = 0
      while start < block.count && typeError == nil {
        guard let hit = ByteSearch.find(needle, in: block, from: start) else {
          if countsSkippedLines { filter.stats.linesRead += Self.lineCount(block, start, block.count) }
          return
        }
        let lineStart = (ByteSearch.lastNewline(in: block, from: start, to: hit)).map { $0 + 1 } ?? start
        if countsSkippedLines { filter.stats.linesRead += ByteSearch.newlines(in: block, from: start, to: lineStart) }
        let end = ByteSearch.newline(in: block, from: hit, to: block.count) ?? block.count
        handle(Self.line(block, lineStart, end))
        start = end + 1
      }
    }
  }

  /// Lines in `block[from..<to]`, the last one counted even without its newline.
  static func lineCount(_ block: UnsafeRawBufferPointer, _ from: Int, _ to: Int) -> Int {
    guard from < to else { return 0 }
    let n = ByteSearch.newlines(in: block, from: from, to: to)
    return block[to - 1] == 0x0A ? n : n + 1
  }

  /// `block[start..<end]` without a trailing CR.
  @inline(__always)
  static func line(_ block: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> UnsafeRawBufferPointer {
    var end = end
    if end > start && block[end - 1] == 0x0D { end -= 1 }
    return UnsafeRawBufferPointer(rebasing: block[start..<end])
  }
}
