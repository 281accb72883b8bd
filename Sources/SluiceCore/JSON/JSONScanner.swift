/// A validating, allocation-free JSON scanner that records a flat ``JSONToken`` tape.
///
/// The scanner checks the whole text against RFC 8259 (grammar, escapes, surrogate pairs,
/// UTF-8 well-formedness, nesting depth) and, in the same pass, appends one token per
/// scalar, key and container boundary to a caller-owned tape. Reusing the tape across
/// lines makes scanning free of allocations once the tape has grown to fit.
///
/// Nothing is decoded: strings stay as byte ranges into the input, numbers as literals.
/// Readers decode only what they look at (see ``JSONTape`` and ``JSONValue``).
public struct JSONScanner: Sendable {
  /// Containers nested deeper than this are rejected with ``JSONScanError/Reason/tooDeep``.
  public var maxDepth: Int

  public init(maxDepth: Int = 512) {
    self.maxDepth = maxDepth
  }

  /// Scans `bytes` as one JSON text, replacing the content of `tape`.
  public func scan(_ bytes: [UInt8], into tape: inout [JSONToken]) throws(JSONScanError) {
    let result = bytes.withUnsafeBytes { raw -> Result<Void, JSONScanError> in
      do throws(JSONScanError) {
        try scan(raw, into: &tape)
        return .success(())
      } catch {
        return .failure(error)
      }
    }
    try result.get()
  }

  /// Scans `bytes` as one JSON text, replacing the content of `tape`.
  public func scan(
    _ bytes: UnsafeRawBufferPointer, into tape: inout [JSONToken]
  )
    throws(JSONScanError)
  {
    tape.removeAll(keepingCapacity: true)
    let n = bytes.count
    guard n <= Int(UInt32.max) else { throw JSONScanError(.tooLarge, at: 0) }
    guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), n > 0 else {
      throw JSONScanError(.empty, at: 0)
    }
    let p = UnsafePointer(base)
    var i = Self.skipWhitespace(p, n, 0)
    if i == n { throw JSONScanError(.empty, at: i) }
    i = try scanValue(p, n, from: i, depth: 0, into: &tape)
    if i != n { throw JSONScanError(.trailingCharacters, at: i) }
  }

  /// Scans the one value that starts at `i` (validating it as ``scan(_:into:)`` does),
  /// appending its tokens to `tape`; returns the offset past it and any whitespace after it.
  /// `depth` is the number of containers already open around it.
  @inline(__always)
  func scanValue(
    _ p: UnsafePointer<UInt8>, _ n: Int, from start: Int, depth outer: Int, into tape: inout [JSONToken]
  ) throws(JSONScanError) -> Int {
    var i = start
    // Index of the innermost open container's start token, or -1. While a container is
    // open its start token's `end` field links to the enclosing container (as index + 1),
    // so no separate stack is needed.
    var open = -1
    var depth = outer

    value: while true {
      guard i < n else { throw JSONScanError(.unexpectedEnd, at: i) }
      let c = p[i]
      switch c {
      case UInt8(ascii: "{"), UInt8(ascii: "["):
        depth += 1
        if depth > maxDepth { throw JSONScanError(.tooDeep, at: i) }
        let isObject = c == UInt8(ascii: "{")
        tape.append(
          JSONToken(
            kind: isObject ? .objectStart : .arrayStart, start: UInt32(i), end: UInt32(open + 1)))
        open = tape.count - 1
        i = Self.skipWhitespace(p, n, i + 1)
        guard i < n else { throw JSONScanError(.unexpectedEnd, at: i) }
        if p[i] == (isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) {
          Self.close(&tape, &open, at: i)
          depth -= 1
          i += 1
        } else {
          if isObject { try Self.scanKey(p, n, &i, &tape) }
          continue value
        }
      case UInt8(ascii: "\""):
        let (start, end, escaped) = try Self.scanString(p, n, &i)
        tape.append(JSONToken(kind: .string, start: start, end: end, hasEscapes: escaped))
      case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
        let start = i
        let isFloat = try Self.scanNumber(p, n, &i)
        tape.append(JSONToken(kind: .number, start: UInt32(start), end: UInt32(i), isFloat: isFloat))
      case UInt8(ascii: "t"):
        try Self.expectLiteral(p, n, &i, "true")
        tape.append(JSONToken(kind: .true, start: UInt32(i - 4), end: UInt32(i)))
      case UInt8(ascii: "f"):
        try Self.expectLiteral(p, n, &i, "false")
        tape.append(JSONToken(kind: .false, start: UInt32(i - 5), end: UInt32(i)))
      case UInt8(ascii: "n"):
        try Self.expectLiteral(p, n, &i, "null")
        tape.append(JSONToken(kind: .null, start: UInt32(i - 4), end: UInt32(i)))
      default:
        throw JSONScanError(.unexpectedCharacter, at: i)
      }

      // A value is complete: decide what may follow it.
      while true {
        i = Self.skipWhitespace(p, n, i)
        if open < 0 { return i }
        guard i < n else { throw JSONScanError(.unexpectedEnd, at: i) }
        let inObject = tape[open].kind == .objectStart
        let d = p[i]
        if d == UInt8(ascii: ",") {
          i = Self.skipWhitespace(p, n, i + 1)
          if inObject { try Self.scanKey(p, n, &i, &tape) }
          continue value
        }
        if d == (inObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) {
          Self.close(&tape, &open, at: i)
          depth -= 1
          i += 1
          continue
        }
        throw JSONScanError(.unexpectedCharacter, at: i)
      }
    }
  }

  @inline(__always)
  static func skipWhitespace(_ p: UnsafePointer<UInt8>, _ n: Int, _ from: Int) -> Int {
    var i = from
    while i < n {
      switch p[i] {
      case 0x20, 0x0A, 0x0D, 0x09: i += 1
      default: return i
      }
    }
    return i
  }

  @inline(__always)
  static func close(_ tape: inout [JSONToken], _ open: inout Int, at i: Int) {
    let startIndex = open
    let isObject = tape[startIndex].kind == .objectStart
    open = Int(tape[startIndex].end) - 1
    tape.append(JSONToken(kind: isObject ? .objectEnd : .arrayEnd, start: UInt32(i), end: UInt32(i + 1)))
    tape[startIndex].end = UInt32(tape.count)
  }

  /// Scans `"key"` then whitespace, `:` and whitespace, leaving `i` at the value.
  @inline(__always)
  static func scanKey(
    _ p: UnsafePointer<UInt8>, _ n: Int, _ i: inout Int, _ tape: inout [JSONToken]
  ) throws(JSONScanError) {
    guard i < n else { throw JSONScanError(.unexpectedEnd, at: i) }
    guard p[i] == UInt8(ascii: "\"") else { throw JSONScanError(.unexpectedCharacter, at: i) }
    let (start, end, escaped) = try scanString(p, n, &i)
    tape.append(JSONToken(kind: .key, start: start, end: end, hasEscapes: escaped))
    i = skipWhitespace(p, n, i)
    guard i < n else { throw JSONScanError(.unexpectedEnd, at: i) }
    guard p[i] == UInt8(ascii: ":") else { throw JSONScanError(.unexpectedCharacter, at: i) }
    i = skipWhitespace(p, n, i + 1)
  }

  /// Scans a string whose opening quote is at `i`; leaves `i` after the closing quote.
  @inline(__always)
  static func scanString(
    _ p: UnsafePointer<UInt8>, _ n: Int, _ i: inout Int
  ) throws(JSONScanError)
    -> (UInt32, UInt32, Bool)
  {
    i += 1
    let start = i
    var escaped = false
    while true {
      // Fast path: plain ASCII, eight bytes at a time, then byte by byte to the stop.
      #if _endian(little)
        while i &+ 8 <= n {
          let word = UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self)
          let stop = Self.stopBytes(word)
          if stop != 0 {
            i &+= stop.trailingZeroBitCount &>> 3
            break
          }
          i &+= 8
        }
      #endif
      while i < n {
        let c = p[i]
        if c == 0x22 || c == 0x5C || c < 0x20 || c >= 0x80 { break }
        i += 1
      }
      guard i < n else { throw JSONScanError(.unexpectedEnd, at: n) }
      let c = p[i]
      if c == 0x22 {
        let end = i
        i += 1
        return (UInt32(start), UInt32(end), escaped)
      }
      if c == 0x5C {
        escaped = true
        try scanEscape(p, n, &i)
        continue
      }
      if c < 0x20 { throw JSONScanError(.controlCharacterInString, at: i) }
      let len = UTF8Validation.sequenceLength(p, n, i)
      if len == 0 { throw JSONScanError(.invalidUTF8, at: i) }
      i += len
    }
  }

  /// The high bit of each byte of `word` that ends a string's plain run: `"`, `\\`, a control
  /// character (< 0x20) or a non-ASCII byte. Only the lowest flagged byte is exact (a borrow
  /// can flag bytes above a real stop), which is the one the caller uses.
  @inline(__always)
  static func stopBytes(_ word: UInt64) -> UInt64 {
    let ones: UInt64 = 0x0101_0101_0101_0101
    let quote = word ^ (0x22 &* ones)
    let backslash = word ^ (0x5C &* ones)
    let isQuote = (quote &- ones) & ~quote
    let isBackslash = (backslash &- ones) & ~backslash
    let isControl = (word &- 0x20 &* ones) & ~word
    return (isQuote | isBackslash | isControl | word) & 0x8080_8080_8080_8080
  }

  /// Validates the escape whose backslash is at `i`; leaves `i` after it.
  static func scanEscape(_ p: UnsafePointer<UInt8>, _ n: Int, _ i: inout Int) throws(JSONScanError) {
    let at = i
    guard i + 1 < n else { throw JSONScanError(.unexpectedEnd, at: n) }
    switch p[i + 1] {
    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
      UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
      i += 2
    case UInt8(ascii: "u"):
      guard let unit = hex4(p, n, i + 2) else { throw JSONScanError(.invalidUnicodeEscape, at: at) }
      i += 6
      if unit >= 0xD800 && unit <= 0xDBFF {
        guard i + 1 < n, p[i] == 0x5C, p[i + 1] == UInt8(ascii: "u"),
          let low = hex4(p, n, i + 2), low >= 0xDC00, low <= 0xDFFF
        else { throw JSONScanError(.invalidUnicodeEscape, at: at) }
        i += 6
      } else if unit >= 0xDC00 && unit <= 0xDFFF {
        throw JSONScanError(.invalidUnicodeEscape, at: at)
      }
    default:
      throw JSONScanError(.invalidEscape, at: at)
    }
  }

  /// The value of four hex digits at `i`, or nil.
  @inline(__always)
  static func hex4(_ p: UnsafePointer<UInt8>, _ n: Int, _ i: Int) -> UInt32? {
    guard i + 4 <= n else { return nil }
    var v: UInt32 = 0
    for k in 0..<4 {
      guard let d = hexDigit(p[i + k]) else { return nil }
      v = v << 4 | d
    }
    return v
  }

  @inline(__always)
  static func hexDigit(_ c: UInt8) -> UInt32? {
    switch c {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): return UInt32(c - UInt8(ascii: "0"))
    case UInt8(ascii: "a")...UInt8(ascii: "f"): return UInt32(c - UInt8(ascii: "a") + 10)
    case UInt8(ascii: "A")...UInt8(ascii: "F"): return UInt32(c - UInt8(ascii: "A") + 10)
    default: return nil
    }
  }

  /// Scans a number per RFC 8259; returns whether it has a fraction or exponent.
  @inline(__always)
  static func scanNumber(
    _ p: UnsafePointer<UInt8>, _ n: Int, _ i: inout Int
  ) throws(JSONScanError)
    -> Bool
  {
    let at = i
    @inline(__always) func isDigit(_ k: Int) -> Bool {
      k < n && p[k] >= UInt8(ascii: "0") && p[k] <= UInt8(ascii: "9")
    }
    if p[i] == UInt8(ascii: "-") { i += 1 }
    guard isDigit(i) else { throw JSONScanError(.invalidNumber, at: at) }
    if p[i] == UInt8(ascii: "0") {
      i += 1
    } else {
      while isDigit(i) { i += 1 }
    }
    var isFloat = false
    if i < n && p[i] == UInt8(ascii: ".") {
      i += 1
      guard isDigit(i) else { throw JSONScanError(.invalidNumber, at: at) }
      while isDigit(i) { i += 1 }
      isFloat = true
    }
    if i < n && (p[i] == UInt8(ascii: "e") || p[i] == UInt8(ascii: "E")) {
      i += 1
      if i < n && (p[i] == UInt8(ascii: "+") || p[i] == UInt8(ascii: "-")) { i += 1 }
      guard isDigit(i) else { throw JSONScanError(.invalidNumber, at: at) }
      while isDigit(i) { i += 1 }
      isFloat = true
    }
    return isFloat
  }

  @inline(__always)
  static func expectLiteral(
    _ p: UnsafePointer<UInt8>, _ n: Int, _ i: inout Int, _ literal: StaticString
  ) throws(JSONScanError) {
    let len = literal.utf8CodeUnitCount
    let lit = literal.utf8Start
    guard i + len <= n else {
      for k in 0..<(n - i) where p[i + k] != lit[k] { throw JSONScanError(.invalidLiteral, at: i) }
      throw JSONScanError(.unexpectedEnd, at: n)
    }
    for k in 0..<len where p[i + k] != lit[k] { throw JSONScanError(.invalidLiteral, at: i) }
    i += len
  }
}
