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
    // Shortest: a 20-byte time, " stdout F".
    guard line.count >= 28, let record = CRIRecord.parse(line), record.timeEnd >= 19 else { return nil }
    guard
      let time = TimestampParser.nanoseconds(rfc3339: UnsafeRawBufferPointer(rebasing: line[0..<record.timeEnd]))
    else { return nil }
    return CRIPrefix(
      time: time, stream: record.stream == .stderr ? .stderr : .stdout, isPartial: record.isPartial,
      contentStart: record.contentStart)
  }
}
