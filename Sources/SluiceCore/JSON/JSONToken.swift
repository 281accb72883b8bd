/// One entry of a ``JSONTape``: a scalar, a key, or the start or end of a container.
///
/// Offsets are byte offsets into the scanned text. For strings and keys, `start` is the
/// first byte after the opening quote and `end` the offset of the closing quote, so
/// `start..<end` is the raw (still escaped) content. For scalars, `start..<end` is the
/// literal. For a container start, `end` is the tape index just past the matching end
/// token, so a reader can skip a whole subtree in O(1).
public struct JSONToken: Sendable, Equatable {
  /// What a token stands for.
  public enum Kind: UInt8, Sendable {
    case objectStart, objectEnd, arrayStart, arrayEnd
    case key, string, number, `true`, `false`, null
  }

  public var kind: Kind
  /// For strings and keys: the content contains at least one backslash escape.
  public var hasEscapes: Bool
  /// For numbers: the literal has a fraction or an exponent.
  public var isFloat: Bool
  public var start: UInt32
  public var end: UInt32

  @inlinable
  public init(kind: Kind, start: UInt32, end: UInt32, hasEscapes: Bool = false, isFloat: Bool = false) {
    self.kind = kind
    self.hasEscapes = hasEscapes
    self.isFloat = isFloat
    self.start = start
    self.end = end
  }

  /// The byte range of a scalar's literal or a string's raw content.
  @inlinable public var range: Range<Int> { Int(start)..<Int(end) }
}
