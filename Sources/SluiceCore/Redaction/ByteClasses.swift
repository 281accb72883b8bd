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

  /// The class of every byte value.
  static let table: [UInt32] = (0..<256).map { (b: Int) -> UInt32 in
    switch UInt8(b) {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): return digit.rawValue
    case UInt8(ascii: "A")...UInt8(ascii: "Z"): return upper.rawValue
    case UInt8(ascii: "a")...UInt8(ascii: "z"): return lower.rawValue
    case UInt8(ascii: "@"): return at.rawValue
    case UInt8(ascii: "."): return dot.rawValue
    case UInt8(ascii: ":"): return colon.rawValue
    case UInt8(ascii: "-"): return dash.rawValue
    case UInt8(ascii: "="): return equals.rawValue
    case UInt8(ascii: "+"): return plus.rawValue
    case UInt8(ascii: "/"): return slash.rawValue
    case UInt8(ascii: " "), UInt8(ascii: "\t"): return space.rawValue
    case UInt8(ascii: "\""): return quote.rawValue
    case UInt8(ascii: "("), UInt8(ascii: ")"): return parenthesis.rawValue
    case UInt8(ascii: "_"): return underscore.rawValue
    case UInt8(ascii: "%"): return percent.rawValue
    case UInt8(ascii: "\\"): return backslash.rawValue
    case 0x80...0xFF: return nonASCII.rawValue
    default: return other.rawValue
    }
  }

  /// The classes present in `text`, in one pass.
  public static func of(_ text: UnsafeRawBufferPointer) -> ByteClasses { scan(text).classes }

  /// The classes present in `text` and its number of ASCII digits, in one pass: 16 bytes a
  /// step for texts of 16 bytes and more (`sluice_byte_classes`, SSSE3 where the CPU has it),
  /// a table lookup a byte for shorter ones.
  public static func scan(_ text: UnsafeRawBufferPointer) -> (classes: ByteClasses, digits: Int) {
    guard let base = text.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return ([], 0) }
    let n = text.count
    if n >= 16 {
      var digits = 0
      let classes = sluice_byte_classes(base, n, &digits)
      return (ByteClasses(rawValue: classes), digits)
    }
    return scanByTable(text)
  }

  /// ``scan(_:)`` one byte at a time through ``table``, whatever the length.
  static func scanByTable(_ text: UnsafeRawBufferPointer) -> (classes: ByteClasses, digits: Int) {
    guard let base = text.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return ([], 0) }
    let n = text.count
    return table.withUnsafeBufferPointer { t in
      // Two accumulators so the loads are independent; `digit` is bit 0, so summing the
      // masked entries counts digits.
      var a: UInt32 = 0
      var b: UInt32 = 0
      var da: UInt32 = 0
      var db: UInt32 = 0
      var i = 0
      while i + 2 <= n {
        let x = t[Int(base[i])]
        let y = t[Int(base[i + 1])]
        a |= x
        b |= y
        da &+= x & 1
        db &+= y & 1
        i += 2
      }
      if i < n {
        let x = t[Int(base[i])]
        a |= x
        da &+= x & 1
      }
      return (ByteClasses(rawValue: a | b), Int(da &+ db))
    }
  }
}
