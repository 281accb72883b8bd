/// A text with its URL and JSON escapes decoded, and where each decoded byte came from.
///
/// Real logs carry PII encoded: `jane.doe%40example.com` in a query string,
/// `%2B44%2020%207946%200958` in a form body, `jane\u0040example.com` in a JSON document
/// nested as a string inside another. The ``Redactor`` decodes such a value here, runs the
/// detectors on the plain text, and maps each match back to the bytes of the original with
/// ``originalRange(_:)`` — so the marker replaces the encoded address whole, escapes included,
/// and the detectors themselves never see an escape.
///
/// Decoded, in one pass:
/// - `%XX` (two hex digits, either case) to its byte; `+` stays `+` (it is literal in local
///   parts and phone numbers more often than it is a form-encoded space);
/// - the JSON escapes `\"`, `\\`, `\/`, `\b`, `\f`, `\n`, `\r`, `\t` and `\uXXXX` (surrogate
///   pairs joined; a lone surrogate becomes U+FFFD). A backslash before anything else stays.
///
/// Text escaped twice (`%2540`, `\\u0040` in a document embedded twice, or percent escapes
/// inside an embedded document) is decoded again, up to ``maximumRounds`` passes in all.
struct DecodedText {
  /// How many passes at most: one per level of encoding.
  static let maximumRounds = 3

  /// The decoded bytes.
  private(set) var bytes: [UInt8] = []
  /// Per decoded byte: the first byte and one past the last byte of the escape (or plain
  /// byte) it came from, in the original text.
  private var starts: [Int32] = []
  private var ends: [Int32] = []
  // A second pass's output and its map into the first pass's bytes, then composed.
  private var next: [UInt8] = []
  private var nextStarts: [Int32] = []
  private var nextEnds: [Int32] = []

  init() {}

  /// Whether `text` has an escape this type decodes (a quick check before ``decode(_:)``).
  static func mayHaveEscapes(_ classes: ByteClasses) -> Bool {
    !classes.isDisjoint(with: [.percent, .backslash])
  }

  /// Decodes `text`. - Returns: false, leaving ``bytes`` meaningless, when `text` has no
  /// escape to decode.
  mutating func decode(_ text: UnsafeRawBufferPointer) -> Bool {
    guard Self.decodeOnce(text, into: &bytes, starts: &starts, ends: &ends) else { return false }
    var round = 1
    while round < Self.maximumRounds {
      let again = bytes.withUnsafeBytes { Self.decodeOnce($0, into: &next, starts: &nextStarts, ends: &nextEnds) }
      if !again { break }
      // Compose: a byte of the new pass spans the original bytes of the old bytes it spans.
      for k in 0..<next.count {
        nextStarts[k] = starts[Int(nextStarts[k])]
        nextEnds[k] = ends[Int(nextEnds[k]) - 1]
      }
      swap(&bytes, &next)
      swap(&starts, &nextStarts)
      swap(&ends, &nextEnds)
      round += 1
    }
    return true
  }

  /// The bytes of the original text that decoded bytes `range` came from.
  func originalRange(_ range: Range<Int>) -> Range<Int> {
    guard !range.isEmpty else { return Int(starts[range.lowerBound])..<Int(starts[range.lowerBound]) }
    return Int(starts[range.lowerBound])..<Int(ends[range.upperBound - 1])
  }

  /// One pass. - Returns: whether anything was decoded.
  private static func decodeOnce(
    _ text: UnsafeRawBufferPointer, into out: inout [UInt8], starts: inout [Int32], ends: inout [Int32]
  ) -> Bool {
    let n = text.count
    // Find the first escape; most texts with a `%` or `\` have none (`95%`, `C:\dir`).
    var first = 0
    while first < n {
      let c = text[first]
      if c == UInt8(ascii: "%") && first + 2 < n && isHex(text, first + 1) && isHex(text, first + 2) { break }
      if c == UInt8(ascii: "\\") && first + 1 < n && escapeLength(text, first) > 0 { break }
      first += 1
    }
    if first >= n { return false }
    // A decoded text is never longer than its original (every escape is longer than the
    // UTF-8 it stands for): size the buffers to `n`, write through pointers, then trim.
    out.removeAll(keepingCapacity: true)
    starts.removeAll(keepingCapacity: true)
    ends.removeAll(keepingCapacity: true)
    out.append(contentsOf: repeatElement(0, count: n))
    starts.append(contentsOf: repeatElement(0, count: n))
    ends.append(contentsOf: repeatElement(0, count: n))
    let written = out.withUnsafeMutableBufferPointer { o in
      starts.withUnsafeMutableBufferPointer { st in
        ends.withUnsafeMutableBufferPointer { en in
          var w = 0
          @inline(__always) func emit(_ b: UInt8, _ from: Int, _ to: Int) {
            o[w] = b
            st[w] = Int32(truncatingIfNeeded: from)
            en[w] = Int32(truncatingIfNeeded: to)
            w += 1
          }
          for i in 0..<first { emit(text[i], i, i + 1) }
          var i = first
          while i < n {
            let c = text[i]
            if c == UInt8(ascii: "%") && i + 2 < n && isHex(text, i + 1) && isHex(text, i + 2) {
              emit(hexValue(text[i + 1]) << 4 | hexValue(text[i + 2]), i, i + 3)
              i += 3
              continue
            }
            if c == UInt8(ascii: "\\") {
              let length = escapeLength(text, i)
              if length == 2 {
                emit(simpleEscape(text[i + 1]), i, i + 2)
                i += 2
                continue
              }
              if length > 2 {
                var scalar = hex4(text, i + 2)
                if length == 12 {
                  let low = hex4(text, i + 8)
                  scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else if scalar >= 0xD800 && scalar < 0xE000 {
                  scalar = 0xFFFD
                }
                appendUTF8(scalar) { emit($0, i, i + length) }
                i += length
                continue
              }
            }
            emit(c, i, i + 1)
            i += 1
          }
          return w
        }
      }
    }
    out.removeLast(n - written)
    starts.removeLast(n - written)
    ends.removeLast(n - written)
    return true
  }

  /// The length of the JSON escape at `i` (a backslash): 2, 6 (`\uXXXX`), 12 (a surrogate
  /// pair), or 0 if it is not one.
  private static func escapeLength(_ t: UnsafeRawBufferPointer, _ i: Int) -> Int {
    guard i + 1 < t.count else { return 0 }
    switch t[i + 1] {
    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
      UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
      return 2
    case UInt8(ascii: "u"):
      guard i + 6 <= t.count, (2..<6).allSatisfy({ isHex(t, i + $0) }) else { return 0 }
      let v = hex4(t, i + 2)
      if v >= 0xD800 && v < 0xDC00 && i + 12 <= t.count && t[i + 6] == UInt8(ascii: "\\")
        && t[i + 7] == UInt8(ascii: "u") && (8..<12).allSatisfy({ isHex(t, i + $0) })
      {
        let low = hex4(t, i + 8)
        if low >= 0xDC00 && low < 0xE000 { return 12 }
      }
      return 6
    default:
      return 0
    }
  }

  private static func simpleEscape(_ c: UInt8) -> UInt8 {
    switch c {
    case UInt8(ascii: "b"): 0x08
    case UInt8(ascii: "f"): 0x0C
    case UInt8(ascii: "n"): 0x0A
    case UInt8(ascii: "r"): 0x0D
    case UInt8(ascii: "t"): 0x09
    default: c  // `"`, `\`, `/`
    }
  }

  @inline(__always)
  private static func isHex(_ t: UnsafeRawBufferPointer, _ i: Int) -> Bool { DetectorBytes.isHex(t[i]) }

  @inline(__always)
  private static func hexValue(_ c: UInt8) -> UInt8 { DetectorBytes.isDigit(c) ? c &- 48 : (c | 0x20) &- 87 }

  private static func hex4(_ t: UnsafeRawBufferPointer, _ i: Int) -> UInt32 {
    var v: UInt32 = 0
    for k in 0..<4 { v = v << 4 | UInt32(hexValue(t[i + k])) }
    return v
  }

  @inline(__always)
  private static func appendUTF8(_ s: UInt32, _ emit: (UInt8) -> Void) {
    switch s {
    case 0..<0x80: emit(UInt8(s))
    case 0x80..<0x800:
      emit(UInt8(0xC0 | s >> 6))
      emit(UInt8(0x80 | s & 0x3F))
    case 0x800..<0x10000:
      emit(UInt8(0xE0 | s >> 12))
      emit(UInt8(0x80 | (s >> 6) & 0x3F))
      emit(UInt8(0x80 | s & 0x3F))
    default:
      emit(UInt8(0xF0 | s >> 18))
      emit(UInt8(0x80 | (s >> 12) & 0x3F))
      emit(UInt8(0x80 | (s >> 6) & 0x3F))
      emit(UInt8(0x80 | s & 0x3F))
    }
  }
}
