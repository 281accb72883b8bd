/// Why a text is not valid JSON, and where.
public struct JSONScanError: Error, Sendable, Equatable, CustomStringConvertible {
  public enum Reason: String, Sendable {
    case empty = "empty input"
    case unexpectedEnd = "unexpected end of input"
    case unexpectedCharacter = "unexpected character"
    case invalidLiteral = "invalid literal"
    case invalidNumber = "invalid number"
    case controlCharacterInString = "unescaped control character in string"
    case invalidEscape = "invalid escape sequence"
    case invalidUnicodeEscape = "invalid \\u escape (bad hex or unpaired surrogate)"
    case invalidUTF8 = "invalid UTF-8"
    case tooDeep = "nesting too deep"
    case trailingCharacters = "trailing characters after the value"
    case tooLarge = "input larger than 4 GiB"
  }

  public var reason: Reason
  /// Byte offset of the first offending byte.
  public var offset: Int

  public init(_ reason: Reason, at offset: Int) {
    self.reason = reason
    self.offset = offset
  }

  public var description: String { "invalid JSON at byte \(offset): \(reason.rawValue)" }
}
