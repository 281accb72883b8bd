/// Where an event came from, and the position to acknowledge once it is delivered.
public struct Origin: Sendable, Hashable {
  /// The configured source's name.
  public var source: String
  /// The file path, journal, or other input the event was read from.
  public var path: String
  /// Byte offset just past the event's last byte in that input.
  public var endOffset: UInt64

  public init(source: String, path: String, endOffset: UInt64) {
    self.source = source
    self.path = path
    self.endOffset = endOffset
  }
}
