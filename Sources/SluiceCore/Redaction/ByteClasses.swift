import CByteSearch

/// Classes of bytes, for the one-pass prefilter that decides which detectors run on a text.
public struct ByteClasses: OptionSet, Sendable, Hashable {
  public let rawValue: UInt32
  public init(rawValue: UInt32) { self.rawValue = rawValue }

  /// `0`–`9`
  public static let digit = ByteClasses(rawValue: 1 << 0)
  /// `A`–`Z`
  public static let upper = ByteClasses(rawValue: 1 << 1)
  /// `a`–`z`
  public static let lower = ByteClasses(rawValue: 1 << 2)
  /// `@`
  public static let at = ByteClasses(rawValue: 1 << 3)
  /// `.`
  public static let dot = ByteClasses(rawValue: 1 << 4)
  /// `:`
  public static let colon = ByteClasses(rawValue: 1 << 5)
  /// `-`
  public static let dash = ByteClasses(rawValue: 1 << 6)
  /// `=`
  public static let equals = ByteClasses(rawValue: 1 << 7)
  /// `+`
  public static let plus = ByteClasses(rawValue: 1 << 8)
  /// `/`
  public static let slash = ByteClasses(rawValue: 1 << 9)
  /// space or tab
  public static let space = ByteClasses(rawValue: 1 << 10)
  /// `"`
  public static let quote = ByteClasses(rawValue: 1 << 11)
  /// `(` or `)`
  public static let parenthesis = ByteClasses(rawValue: 1 << 12)
  /// `_`
  public static let underscore = ByteClasses(rawValue: 1 << 13)
  /// Any byte ≥ 0x80 (non-ASCII UTF-8).
  public static let nonASCII = ByteClasses(rawValue: 1 << 14)
  /// Any other ASCII byte.
  public static let other = ByteClasses(rawValue: 1 << 15)
  /// `%`: a text with one may hold URL escapes (`%40`), which the ``Redactor`` decodes.
  public static let percent = ByteClasses(rawValue: 1 << 16)
  /// `\`: a text with one may hold JSON escapes (`\u0040`, `\"`), likewise decoded.
  public static let backslash = ByteClasses(rawValue: 1 << 17)

  /// The classes present in `text`, in one pass.
  public static func of(_ text: UnsafeRawBufferPointer) -> ByteClasses { scan(text).classes }

  /// The classes present in `text`, its number of ASCII digits, and how many of those are in
  /// runs that do not follow a letter or `_` (a run that does is the end of a word, as in
  /// `v2`, `dcac3` or `id_42`, where no phone, card or SSN number can start), in one pass:
  /// 16 bytes a step from 16 bytes on (`sluice_byte_classes`, with SSSE3 where the CPU has
  /// it), a table lookup a byte, inlined, for shorter texts (`sluice_byte_classes_short`).
  public static func scan(
    _ text: UnsafeRawBufferPointer
  ) -> (classes: ByteClasses, digits: Int, standaloneDigits: Int) {
    guard let base = text.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return ([], 0, 0) }
    let n = text.count
    let profile = n >= 16 ? sluice_byte_classes(base, n) : sluice_byte_classes_short(base, n)
    return (ByteClasses(rawValue: profile.classes), Int(profile.digits), Int(profile.standalone_digits))
  }
}
