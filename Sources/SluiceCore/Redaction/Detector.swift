/// A byte range a detector flagged as sensitive.
public struct DetectorMatch: Sendable, Equatable {
  public var range: Range<Int>
  /// Index of the rule (detector) in its ``Redactor``.
  public var rule: Int

  public init(range: Range<Int>, rule: Int) {
    self.range = range
    self.rule = rule
  }
}

/// Finds sensitive substrings in UTF-8 text, in one pass, without regular expressions.
///
/// Before any detector runs, the ``Redactor`` computes the ``ByteClasses`` present in a text,
/// and how many digits it has, in one table-driven pass; a detector runs only if every class
/// in ``requires`` and one of ``requiresAny`` is present, and the text has at least
/// ``minimumLength`` bytes and ``minimumDigits`` digits (``minimumStandaloneDigits`` of them
/// not glued to a word). Most log values (words, paths,
/// short numbers) are thereby rejected without a detector looking at them.
public protocol Detector: Sendable {
  /// The rule name used in markers (`[REDACTED:<name>]`) and metric labels.
  var name: String { get }
  /// Byte classes a text must all contain for this detector to find anything in it.
  var requires: ByteClasses { get }
  /// The shortest text this detector can match.
  var minimumLength: Int { get }
  /// Byte classes of which a text must contain at least one (empty: no condition).
  var requiresAny: ByteClasses { get }
  /// The fewest ASCII digits a text must contain for this detector to find anything.
  var minimumDigits: Int { get }
  /// The fewest digits a text must have in runs that do not follow an ASCII letter or `_`
  /// (``ByteClasses/scan(_:)``'s `standaloneDigits`), for detectors whose numbers never start
  /// inside a word: digits glued to letters, as in hex ids and pod names, do not count. Not
  /// applied to a text with a `%` (`%2B447700900123` is a URL-encoded `+44…`).
  var minimumStandaloneDigits: Int { get }
  /// Appends the ranges of `text` that are sensitive, in ascending, non-overlapping order.
  func detect(in text: UnsafeRawBufferPointer, rule: Int, into matches: inout [DetectorMatch])
  /// For the `partial` action: appends the part of `match` (the matched bytes) that is safe
  /// to keep — the last four digits of a card, the domain of an email address. The result
  /// is written as `[REDACTED:<name>:<kept>]`; appending nothing gives `[REDACTED:<name>]`.
  /// What is kept must not itself be matched by any detector (so redaction is idempotent).
  func appendKept(from match: UnsafeRawBufferPointer, to out: inout [UInt8])
  /// Whether this detector also runs on a text as written when the ``Redactor`` decodes the
  /// text's URL or JSON escapes first — for syntaxes in which an escape is structure, not
  /// content: a URL's password holds `%2F` and `%40` so that the URL can be split, and
  /// decoding them first would split it wrongly. Matches of both passes are merged. Default
  /// false.
  var alsoScansEncodedText: Bool { get }
}

extension Detector {
  public var requires: ByteClasses { [] }
  public var minimumLength: Int { 1 }
  public var requiresAny: ByteClasses { [] }
  public var minimumDigits: Int { 0 }
  public var minimumStandaloneDigits: Int { 0 }
  public func appendKept(from match: UnsafeRawBufferPointer, to out: inout [UInt8]) {}
  public var alsoScansEncodedText: Bool { false }
}

/// Byte helpers shared by the detectors.
public enum DetectorBytes {
  @inlinable public static func isDigit(_ c: UInt8) -> Bool { c &- UInt8(ascii: "0") < 10 }
  @inlinable public static func isLetter(_ c: UInt8) -> Bool { (c | 0x20) &- UInt8(ascii: "a") < 26 }
  @inlinable public static func isAlphanumeric(_ c: UInt8) -> Bool { isDigit(c) || isLetter(c) }
  @inlinable public static func isHex(_ c: UInt8) -> Bool { isDigit(c) || (c | 0x20) &- UInt8(ascii: "a") < 6 }
  /// Whether `c` can be part of a word or identifier (letters, digits, `_`): detectors use it
  /// to demand boundaries, so a number inside `order_4111111111111111x` is not a card.
  @inlinable public static func isWordByte(_ c: UInt8) -> Bool { isAlphanumeric(c) || c == UInt8(ascii: "_") }

  /// Whether the word starting at `k` is the rule name of a redaction marker written by an
  /// earlier pass (`[REDACTED:ssn]`, `[REDACTED:phone:…]`, `[HASH:ssn:…]`): the bytes before
  /// it, back over rule-name bytes (letters, digits, `_`, `-`), are `[REDACTED:` or `[HASH:`.
  /// Detectors that take context from a keyword ignore such words, so that redacting twice
  /// gives what redacting once gave.
  public static func isMarkerRuleName(_ p: UnsafePointer<UInt8>, _ k: Int) -> Bool {
    var s = k
    while s > 0 && k - s < 64 && (isWordByte(p[s - 1]) || p[s - 1] == UInt8(ascii: "-")) { s -= 1 }
    return endsWith(p, s, "[REDACTED:") || endsWith(p, s, "[HASH:")
  }

  /// Whether the bytes just before `e` are `word`.
  @inline(__always)
  static func endsWith(_ p: UnsafePointer<UInt8>, _ e: Int, _ word: StaticString) -> Bool {
    let m = word.utf8CodeUnitCount
    guard e >= m else { return false }
    let w = word.utf8Start
    for q in 0..<m where p[e - m + q] != w[q] { return false }
    return true
  }

  /// Appends the last `count` digits of `text` (separators skipped): what `partial` keeps of
  /// a card or an SSN.
  public static func appendLastDigits(_ count: Int, of text: UnsafeRawBufferPointer, to out: inout [UInt8]) {
    var k = text.count
    var digits = 0
    while k > 0 && digits < count {
      k -= 1
      if isDigit(text[k]) { digits += 1 }
    }
    for b in text[k...] where isDigit(b) { out.append(b) }
  }
}
