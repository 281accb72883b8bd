extension JSONScanner {
  /// Scans a JSON object for the members `projection` keeps, recording only them on `tape`.
  ///
  /// The tape has the shape ``scan(_:into:)`` gives — the object's start and end around its
  /// members — but holds only the kept members, each with its whole value (validated as
  /// ``scan(_:into:)`` validates). Other members' values are skipped by their structure
  /// (strings, nesting) without being validated, and the scan stops after the member that
  /// completes the projection's settling keys, with the end token placed there.
  ///
  /// For readers that look at a few fields of many objects (grep judging lines): the text is
  /// checked only as far as it is read, so an object broken past its kept members can scan.
  /// - Returns: whether the scan reached the object's end (false: it stopped when settled).
  /// - Throws: when the text is not an object, or breaks in what was read.
  ///
  /// With `validating`, the members not kept are checked as ``scan(_:into:)`` checks them and
  /// the scan never stops early: it returns only for a valid object (one pass, for a reader
  /// that would check the whole text anyway).
  public func scanObject(
    _ bytes: UnsafeRawBufferPointer, keeping projection: JSONProjection, validating: Bool = false,
    into tape: inout [JSONToken]
  ) throws(JSONScanError) -> Bool {
    guard validating else { return try scanObject(bytes, projection, kinds: nil, into: &tape) }
    // `withUnsafeTemporaryAllocation` rethrows untyped errors: the result crosses it as a value.
    return try withUnsafeTemporaryAllocation(of: UInt64.self, capacity: maxDepth / 64 + 1) { kinds in
      Result { () throws(JSONScanError) -> Bool in try scanObject(bytes, projection, kinds: kinds, into: &tape) }
    }.get()
  }

  /// ``scanObject(_:keeping:validating:into:)``; `kinds` (room for one bit per level of
  /// nesting) is given when validating.
  private func scanObject(
    _ bytes: UnsafeRawBufferPointer, _ projection: JSONProjection, kinds: UnsafeMutableBufferPointer<UInt64>?,
    into tape: inout [JSONToken]
  ) throws(JSONScanError) -> Bool {
    tape.removeAll(keepingCapacity: true)
    let n = bytes.count
    guard n <= Int(UInt32.max) else { throw JSONScanError(.tooLarge, at: 0) }
    guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), n > 0 else {
      throw JSONScanError(.empty, at: 0)
    }
    let p = UnsafePointer(base)
    var i = Self.skipWhitespace(p, n, 0)
    guard i < n else { throw JSONScanError(.empty, at: i) }
    guard p[i] == UInt8(ascii: "{") else { throw JSONScanError(.unexpectedCharacter, at: i) }
    tape.append(JSONToken(kind: .objectStart, start: UInt32(i), end: 0))
    i = Self.skipWhitespace(p, n, i + 1)
    guard i < n else { throw JSONScanError(.unexpectedEnd, at: i) }
    var seen: UInt64 = 0
    let settling = kinds == nil ? projection.settlingMask : 0
    if p[i] != UInt8(ascii: "}") {
      while true {
        guard p[i] == UInt8(ascii: "\"") else { throw JSONScanError(.unexpectedCharacter, at: i) }
        let (ks, ke, escaped) = try Self.scanString(p, n, &i)
        i = Self.skipWhitespace(p, n, i)
        guard i < n else { throw JSONScanError(.unexpectedEnd, at: i) }
        guard p[i] == UInt8(ascii: ":") else { throw JSONScanError(.unexpectedCharacter, at: i) }
        i = Self.skipWhitespace(p, n, i + 1)
        guard i < n else { throw JSONScanError(.unexpectedEnd, at: i) }
        // A key with escapes is kept whatever it spells: lookups compare it decoded.
        let k = escaped ? nil : projection.index(of: UnsafeRawBufferPointer(start: p + Int(ks), count: Int(ke - ks)))
        if escaped || k != nil {
          tape.append(JSONToken(kind: .key, start: ks, end: ke, hasEscapes: escaped))
          if p[i] == UInt8(ascii: "\"") {
            // The common case, without the general value scanner's set-up.
            let (vs, ve, valueEscaped) = try Self.scanString(p, n, &i)
            tape.append(JSONToken(kind: .string, start: vs, end: ve, hasEscapes: valueEscaped))
            i = Self.skipWhitespace(p, n, i)
          } else {
            i = try scanValue(p, n, from: i, depth: 1, into: &tape)
          }
          if let k { seen |= 1 << UInt64(k) }
        } else if let kinds {
          i = try Self.validateValue(p, n, from: i, depth: 1, maxDepth: maxDepth, kinds: kinds)
          i = Self.skipWhitespace(p, n, i)
        } else {
          i = try Self.skipValue(p, n, i)
          i = Self.skipWhitespace(p, n, i)
        }
        guard i < n else { throw JSONScanError(.unexpectedEnd, at: i) }
        if p[i] == UInt8(ascii: "}") { break }
        guard p[i] == UInt8(ascii: ",") else { throw JSONScanError(.unexpectedCharacter, at: i) }
        if settling != 0 && seen & settling == settling {
          // Settled: later members cannot change what the reader sees.
          tape.append(JSONToken(kind: .objectEnd, start: UInt32(i), end: UInt32(i + 1)))
          tape[0].end = UInt32(tape.count)
          return false
        }
        i = Self.skipWhitespace(p, n, i + 1)
        guard i < n else { throw JSONScanError(.unexpectedEnd, at: i) }
      }
    }
    tape.append(JSONToken(kind: .objectEnd, start: UInt32(i), end: UInt32(i + 1)))
    tape[0].end = UInt32(tape.count)
    i = Self.skipWhitespace(p, n, i + 1)
    if i != n { throw JSONScanError(.trailingCharacters, at: i) }
    return true
  }

  /// Skips the value at `i` by its structure alone — a string to its closing quote, a
  /// container to its matching bracket (strings inside skipped whole), a scalar to the next
  /// delimiter — without validating it; returns the offset just past it.
  @inline(__always)
  static func skipValue(_ p: UnsafePointer<UInt8>, _ n: Int, _ start: Int) throws(JSONScanError) -> Int {
    var i = start
    switch p[i] {
    case UInt8(ascii: "\""):
      return try skipString(p, n, i)
    case UInt8(ascii: "{"), UInt8(ascii: "["):
      var depth = 0
      while i < n {
        switch p[i] {
        case UInt8(ascii: "\""):
          i = try skipString(p, n, i)
          continue
        case UInt8(ascii: "{"), UInt8(ascii: "["):
          depth += 1
        case UInt8(ascii: "}"), UInt8(ascii: "]"):
          depth -= 1
          if depth == 0 { return i + 1 }
        default:
          break
        }
        i += 1
      }
      throw JSONScanError(.unexpectedEnd, at: n)
    default:
      while i < n {
        switch p[i] {
        case UInt8(ascii: ","), UInt8(ascii: "}"), UInt8(ascii: "]"), 0x20, 0x09, 0x0A, 0x0D:
          if i == start { throw JSONScanError(.unexpectedCharacter, at: i) }
          return i
        default:
          i += 1
        }
      }
      return i
    }
  }

  /// Skips the string whose opening quote is at `i`: to just past its closing quote, stepping
  /// over escaped characters, eight bytes at a time where it can.
  @inline(__always)
  static func skipString(_ p: UnsafePointer<UInt8>, _ n: Int, _ start: Int) throws(JSONScanError) -> Int {
    var i = start + 1
    while true {
      #if _endian(little)
        while i &+ 8 <= n {
          let word = UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self)
          let ones: UInt64 = 0x0101_0101_0101_0101
          let quote = word ^ (0x22 &* ones)
          let backslash = word ^ (0x5C &* ones)
          let stop = ((quote &- ones) & ~quote | (backslash &- ones) & ~backslash) & 0x8080_8080_8080_8080
          if stop != 0 {
            i &+= stop.trailingZeroBitCount &>> 3
            break
          }
          i &+= 8
        }
      #endif
      while i < n && p[i] != 0x22 && p[i] != 0x5C { i += 1 }
      guard i < n else { throw JSONScanError(.unexpectedEnd, at: n) }
      if p[i] == 0x22 { return i + 1 }
      i += 2  // a backslash and the character it escapes
    }
  }
}
