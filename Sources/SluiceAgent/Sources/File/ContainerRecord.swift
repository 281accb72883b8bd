/// A container runtime record being joined from its parts — CRI `P` (partial) lines up to the
/// `F` line, Docker json-file lines whose `log` does not end in a newline — capped at
/// `max_line_bytes`. It touches no file: the tailer parses each physical line and adds its
/// content here.
struct ContainerRecord {
  /// The content joined so far.
  private(set) var bytes: [UInt8] = []
  /// A part was cut at the cap (the rest of the record is skipped and the event marked).
  private(set) var overlong = false
  /// The runtime's timestamp of the first part: a joined record carries it.
  private(set) var time: [UInt8] = []
  /// The stream of the last part.
  var stream = ContainerStream.stdout

  var isEmpty: Bool { bytes.isEmpty && time.isEmpty }

  /// Adds a part's content, up to `maxLine` bytes in all.
  mutating func append(_ part: UnsafeRawBufferPointer, maxLine: Int) {
    let room = maxLine - bytes.count
    if part.count <= room {
      bytes.append(contentsOf: part)
    } else {
      if room > 0 { bytes.append(contentsOf: part[0..<room]) }
      overlong = true
    }
  }

  /// Lets a parser append a part's content in place (Docker's `log` is unescaped straight
  /// into it), then caps the record at `maxLine`.
  mutating func appendInPlace<R>(maxLine: Int, _ body: (inout [UInt8]) -> R) -> R {
    let result = body(&bytes)
    if bytes.count > maxLine {
      bytes.removeLast(bytes.count - maxLine)
      overlong = true
    }
    return result
  }

  /// Records the first part's time (later parts' times are ignored).
  mutating func noteTime<C: Collection<UInt8>>(_ partTime: C) {
    if time.isEmpty { time.append(contentsOf: partTime) }
  }

  /// The physical line of the current part was cut before its content was complete.
  mutating func markOverlong() { overlong = true }

  /// Starts the next record (keeping the buffers' capacity, up to 64 KiB).
  mutating func reset() {
    bytes.removeAll(keepingCapacity: bytes.capacity <= 64 * 1024)
    time.removeAll(keepingCapacity: true)
    overlong = false
  }
}
