/// Joins the logical lines of one stream into multiline events — a stack trace under the
/// line that started it — by a ``MultilineMatcher``'s rule, within `max_lines` and
/// `max_bytes`.
///
/// It touches no file: the caller feeds each line with where it began (`Start`: a file
/// offset for the file source; any position type for another source), and gets each event
/// back through `emit` once a line shows it is complete, or when the caller flushes it (at
/// the multiline timeout). While an event is pending, ``start`` is where it began: a
/// checkpoint must not pass it, or a restart would lose the event's first lines.
struct MultilineJoiner<Start> {
  /// Receives a complete event: its lines joined with `\n`, whether it was cut, and the
  /// container stream and runtime time of its first line.
  typealias Emit = (_ event: ArraySlice<UInt8>, _ truncated: Bool, _ stream: ContainerStream, _ time: [UInt8]) -> Void

  private var pending: [UInt8] = []
  /// Where the pending event began; nil when none is pending.
  private(set) var start: Start?
  private var lines = 0
  /// Offset in ``pending`` of the last line joined.
  private var lastLine = 0
  private var truncated = false
  private var stream = ContainerStream.none
  private var time: [UInt8] = []

  init() {}

  /// Adds one line. If it continues the pending event it is joined to it (or, past
  /// `maxBytes`, dropped and the event marked truncated); otherwise the pending event is
  /// emitted and the line starts the next one.
  mutating func add(
    _ line: ArraySlice<UInt8>, truncated lineTruncated: Bool, stream lineStream: ContainerStream,
    time lineTime: [UInt8],
    startingAt lineStart: Start, matcher: MultilineMatcher, maxLines: Int, maxBytes: Int, emit: Emit
  ) {
    if start != nil {
      if lines < maxLines, matcher.continues(line, pending: pending[...], previous: pending[lastLine...]) {
        if pending.count + 1 + line.count <= maxBytes {
          lastLine = pending.count + 1
          pending.append(0x0A)
          pending.append(contentsOf: line)
        } else {
          truncated = true  // the rest of the event is skipped, and the event marked
        }
        lines += 1
        truncated = truncated || lineTruncated
        return
      }
      flush(emit)
    }
    pending.removeAll(keepingCapacity: pending.capacity <= 64 * 1024)
    pending.append(contentsOf: line)
    start = lineStart
    lines = 1
    lastLine = 0
    truncated = lineTruncated
    stream = lineStream
    time = lineTime
  }

  /// Emits the pending event, if any (its end is known: a timeout, the end of the stream).
  mutating func flush(_ emit: Emit) {
    guard start != nil else { return }
    emit(pending[...], truncated, stream, time)
    clear()
  }

  /// Forgets the pending event (the stream is being read again from an earlier position).
  mutating func clear() {
    pending.removeAll(keepingCapacity: pending.capacity <= 64 * 1024)
    start = nil
    lines = 0
    truncated = false
    time.removeAll()
  }
}
