import SluiceCore

/// The prefix of a CRI container log line (containerd, CRI-O):
/// `<RFC 3339 time> <stdout|stderr> <P|F>[:tags] <content>`.
///
/// A runtime writes a long line as partial records (`P`) followed by a final one (`F`); each
/// record is one line of the file.
public struct CRIPrefix: Sendable, Equatable {
  /// Which stream of the container a record came from.
  public enum Stream: Sendable, Equatable {
    /// The container's standard output.
    case stdout
    /// The container's standard error.
    case stderr
  }

  /// The runtime's time for the record, Unix nanoseconds.
  public var time: Int64
  /// The stream the record was written to.
  public var stream: Stream
  /// Whether this is a partial record (`P`): the content continues in the next record.
  public var isPartial: Bool
  /// Where the content starts in the line (it runs to the line's end; it may be empty).
  public var contentStart: Int

  /// Creates a prefix description.
  public init(time: Int64, stream: Stream, isPartial: Bool, contentStart: Int) {
    self.time = time
    self.stream = stream
    self.isPartial = isPartial
    self.contentStart = contentStart
  }

  /// Parses the prefix of `line`, or nil if it is not a CRI record. The time must read as
  /// RFC 3339 (``TimestampParser``), so a plain line that merely starts with a number and a
  /// word is not mistaken for one.
  public static func parse(_ line: UnsafeRawBufferPointer) -> CRIPrefix? {
    let n = line.count
    // Shortest: a 20-byte time, " stdout F".
    guard n >= 28, line[0] >= 0x30 && line[0] <= 0x39 else { return nil }
    guard let s1 = index(of: 0x20, in: line, from: 0), s1 >= 19 else { return nil }
    let streamStart = s1 + 1
    guard streamStart + 6 < n, line[streamStart + 6] == 0x20 else { return nil }
    let stream: Stream
    if matches(line, streamStart, "stdout") {
      stream = .stdout
    } else if matches(line, streamStart, "stderr") {
      stream = .stderr
    } else {
      return nil
    }
    let tagStart = streamStart + 7
    guard tagStart < n else { return nil }
    let tag = line[tagStart]
    guard tag == UInt8(ascii: "P") || tag == UInt8(ascii: "F") else { return nil }
    let tagEnd = index(of: 0x20, in: line, from: tagStart) ?? n
    guard tagEnd == tagStart + 1 || line[tagStart + 1] == UInt8(ascii: ":") else { return nil }
    guard let time = TimestampParser.nanoseconds(rfc3339: UnsafeRawBufferPointer(rebasing: line[0..<s1])) else {
      return nil
    }
    return CRIPrefix(
      time: time, stream: stream, isPartial: tag == UInt8(ascii: "P"), contentStart: min(tagEnd + 1, n))
  }

  @inline(__always)
  private static func index(of byte: UInt8, in line: UnsafeRawBufferPointer, from: Int) -> Int? {
    var i = from
    while i < line.count {
      if line[i] == byte { return i }
      i += 1
    }
    return nil
  }

  @inline(__always)
  private static func matches(_ line: UnsafeRawBufferPointer, _ at: Int, _ text: StaticString) -> Bool {
    let p = text.utf8Start
    for k in 0..<text.utf8CodeUnitCount where line[at + k] != p[k] { return false }
    return true
  }
}
