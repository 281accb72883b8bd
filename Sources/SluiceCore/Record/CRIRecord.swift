/// The framing of one record of the CRI container log format (containerd, CRI-O; kubelet's
/// `pkg/kubelet/kuberuntime/logs`): `<time> <stdout|stderr> <P|F>[:tags] <content>`.
///
/// A runtime writes a long line as partial records (`P`) followed by a final one (`F`); each
/// record is one line of the file. Shared by the agent's file source and `sluice grep`.
public struct CRIRecord: Sendable, Equatable {
  /// Which stream of the container a record came from.
  public enum Stream: UInt8, Sendable, Equatable {
    /// The container's standard output.
    case stdout = 1
    /// The container's standard error.
    case stderr = 2
  }

  /// The time is `line[0..<timeEnd]` (not parsed here).
  public var timeEnd: Int
  /// The stream the record was written to.
  public var stream: Stream
  /// Whether this is a partial record (`P`): the content continues in the next record.
  public var isPartial: Bool
  /// Where the content starts in the line (it runs to the line's end; it may be empty).
  public var contentStart: Int

  /// Creates a record description.
  public init(timeEnd: Int, stream: Stream, isPartial: Bool, contentStart: Int) {
    self.timeEnd = timeEnd
    self.stream = stream
    self.isPartial = isPartial
    self.contentStart = contentStart
  }

  /// Splits `line` into its parts, or nil if it is not framed as a CRI record: a first word
  /// of at least 10 bytes that starts with a digit, the stream name, then `P` or `F`,
  /// possibly followed by more `:`-separated tags. The content may be empty.
  public static func parse(_ line: UnsafeRawBufferPointer) -> CRIRecord? {
    let n = line.count
    guard n > 0, line[0] >= 0x30 && line[0] <= 0x39 else { return nil }
    guard let s1 = space(in: line, from: 0), s1 >= 10 else { return nil }
    let streamStart = s1 + 1
    guard let s2 = space(in: line, from: streamStart), s2 - streamStart == 6 else { return nil }
    let stream: Stream
    if matches(line, streamStart, "stdout") {
      stream = .stdout
    } else if matches(line, streamStart, "stderr") {
      stream = .stderr
    } else {
      return nil
    }
    let tagStart = s2 + 1
    guard tagStart < n else { return nil }
    let tag = line[tagStart]
    guard tag == UInt8(ascii: "P") || tag == UInt8(ascii: "F") else { return nil }
    let tagEnd = space(in: line, from: tagStart) ?? n
    guard tagEnd == tagStart + 1 || line[tagStart + 1] == UInt8(ascii: ":") else { return nil }
    return CRIRecord(
      timeEnd: s1, stream: stream, isPartial: tag == UInt8(ascii: "P"), contentStart: min(tagEnd + 1, n))
  }

  @inline(__always)
  static func space(in line: UnsafeRawBufferPointer, from: Int) -> Int? {
    var i = from
    while i < line.count {
      if line[i] == 0x20 { return i }
      i += 1
    }
    return nil
  }

  /// Whether `line` holds `text` at `at` (the caller checked that it fits).
  @inline(__always)
  public static func matches(_ line: UnsafeRawBufferPointer, _ at: Int, _ text: StaticString) -> Bool {
    let p = text.utf8Start
    for k in 0..<text.utf8CodeUnitCount where line[at + k] != p[k] { return false }
    return true
  }
}
