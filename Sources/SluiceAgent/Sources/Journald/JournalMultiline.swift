import SluiceCore

/// Multiline joining for the journald source: the MESSAGEs of one unit (or, without one,
/// one syslog identifier) joined into one event by the same rules as for files — a stack
/// trace a service logged line by line becomes one record.
///
/// Each stream has its own ``MultilineJoiner``. A joined record is the first entry's record
/// (its time, level and `journald.*` fields) with the joined text as `message`. While an
/// event is pending, the checkpoint may not pass the entry before its first one: the
/// ``earliestStart`` is the cursor to hand on instead. Events complete when the next one of
/// their stream starts, at `max_lines`/`max_bytes`, after `timeout` without a new entry of
/// their stream, and at stop — so the cursor keeps moving and a restart repeats at most the
/// records of the last `timeout`.
struct JournalMultiline {
  private struct Pending {
    var joiner = MultilineJoiner<String>()
    /// The first entry's record up to the message text, and after it.
    var head: [UInt8] = []
    var tail: [UInt8] = []
    var firstTruncated = false
    /// Order of the event's start among all streams' (the smallest is the earliest).
    var serial = 0
    var lastGrowth = ContinuousClock.now
  }

  /// A finished record: the head, the joined text (raw, to be escaped), the tail, and
  /// whether it was cut.
  typealias Emit = (_ head: [UInt8], _ text: ArraySlice<UInt8>, _ tail: [UInt8], _ truncated: Bool) -> Void

  private var pending: [[UInt8]: Pending] = [:]
  private let matcher: MultilineMatcher
  private let config: MultilineConfig
  private let maxBytes: Int
  private var serial = 0

  init(_ config: MultilineConfig, maxFieldBytes: Int) throws {
    self.config = config
    matcher = try MultilineMatcher(config)
    maxBytes = config.maxBytes?.bytes ?? maxFieldBytes
  }

  /// The cursor before the earliest pending event's first entry ("" if that was the first
  /// entry read), or nil if nothing is pending.
  var earliestStart: String? {
    pending.values.min { $0.serial < $1.serial }?.joiner.start
  }

  /// Adds one entry of `stream`: its raw `message`, its record `record` with the escaped
  /// message text at `messageRange`, and `before`, the cursor of the entry read before it.
  mutating func add(
    stream: ArraySlice<UInt8>, message: ArraySlice<UInt8>, record: [UInt8], messageRange: Range<Int>,
    truncated: Bool, before: String, emit: Emit
  ) {
    let key = Array(stream)
    var p = pending[key] ?? Pending()
    var started = p.joiner.start == nil
    let (head, tail, firstTruncated) = (p.head, p.tail, p.firstTruncated)
    p.joiner.add(
      message, truncated: truncated, stream: .none, time: [], startingAt: before, matcher: matcher,
      maxLines: config.maxLines, maxBytes: maxBytes
    ) { text, cut, _, _ in
      emit(head, text, tail, cut || firstTruncated)
      started = true
    }
    if started {
      p.head = Array(record[..<messageRange.lowerBound])
      p.tail = Array(record[messageRange.upperBound...])
      p.firstTruncated = truncated
      serial += 1
      p.serial = serial
    }
    p.lastGrowth = .now
    pending[key] = p
  }

  /// Completes the pending event of `stream` (an entry that is not joined — a JSON record,
  /// an entry without MESSAGE — ends it).
  mutating func flush(stream: ArraySlice<UInt8>, emit: Emit) {
    let key = Array(stream)
    guard var p = pending.removeValue(forKey: key) else { return }
    let (head, tail, firstTruncated) = (p.head, p.tail, p.firstTruncated)
    p.joiner.flush { text, cut, _, _ in emit(head, text, tail, cut || firstTruncated) }
  }

  /// Completes events whose stream has had no entry for the multiline `timeout` (all of
  /// them if `all`), oldest first.
  mutating func flushIdle(now: ContinuousClock.Instant, all: Bool = false, emit: Emit) {
    let due = pending.filter { all || now - $0.value.lastGrowth >= config.timeout.duration }
      .sorted { $0.value.serial < $1.value.serial }
    for (key, var p) in due {
      let (head, tail, firstTruncated) = (p.head, p.tail, p.firstTruncated)
      p.joiner.flush { text, cut, _, _ in emit(head, text, tail, cut || firstTruncated) }
      pending[key] = nil
    }
  }
}
