extension JSONScanner {
  /// Whether `bytes` is one JSON text that ``scan(_:into:)`` accepts — the same grammar,
  /// escapes, UTF-8 and depth checks — without recording a tape: for a reader that has what it
  /// needs from a partial scan (``scanObject(_:keeping:into:)``) and must only know that the
  /// rest of the text is sound.
  public func isValid(_ bytes: UnsafeRawBufferPointer) -> Bool {
    let n = bytes.count
    guard n > 0, n <= Int(UInt32.max), let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else {
      return false
    }
    let p = UnsafePointer(base)
    // One bit per open container, set for an object.
    return withUnsafeTemporaryAllocation(of: UInt64.self, capacity: maxDepth / 64 + 1) { kinds in
      do throws(JSONScanError) {
        let end = try Self.validateValue(
          p, n, from: Self.skipWhitespace(p, n, 0), depth: 0, maxDepth: maxDepth, kinds: kinds)
        return Self.skipWhitespace(p, n, end) == n
      } catch {
        return false
      }
    }
  }

  /// Checks the one value at `start`, inside `outer` open containers; returns the offset just
  /// past it. Throws where the text is not valid JSON.
  static func validateValue(
    _ p: UnsafePointer<UInt8>, _ n: Int, from start: Int, depth outer: Int, maxDepth: Int,
    kinds: UnsafeMutableBufferPointer<UInt64>
  ) throws(JSONScanError) -> Int {
    var i = start
    var depth = outer
    var expectKey = false
    value: while true {
      if expectKey {
        // `"key"` `:` before an object's value.
        guard i < n, p[i] == UInt8(ascii: "\"") else { throw JSONScanError(.unexpectedCharacter, at: i) }
        _ = try scanString(p, n, &i)
        i = skipWhitespace(p, n, i)
        guard i < n, p[i] == UInt8(ascii: ":") else { throw JSONScanError(.unexpectedCharacter, at: i) }
        i = skipWhitespace(p, n, i + 1)
        expectKey = false
      }
      guard i < n else { throw JSONScanError(.unexpectedEnd, at: i) }
      switch p[i] {
      case UInt8(ascii: "{"), UInt8(ascii: "["):
        let isObject = p[i] == UInt8(ascii: "{")
        if depth == maxDepth { throw JSONScanError(.tooDeep, at: i) }
        let word = depth >> 6
        let bit: UInt64 = 1 << UInt64(depth & 63)
        kinds[word] = isObject ? kinds[word] | bit : kinds[word] & ~bit
        depth += 1
        i = skipWhitespace(p, n, i + 1)
        guard i < n else { throw JSONScanError(.unexpectedEnd, at: i) }
        if p[i] == (isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) {
          depth -= 1
          i += 1
        } else {
          expectKey = isObject
          continue value
        }
      case UInt8(ascii: "\""):
        _ = try scanString(p, n, &i)
      case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
        _ = try scanNumber(p, n, &i)
      case UInt8(ascii: "t"): try expectLiteral(p, n, &i, "true")
      case UInt8(ascii: "f"): try expectLiteral(p, n, &i, "false")
      case UInt8(ascii: "n"): try expectLiteral(p, n, &i, "null")
      default: throw JSONScanError(.unexpectedCharacter, at: i)
      }
      // A value is complete: what may follow it.
      while true {
        if depth == outer { return i }
        i = skipWhitespace(p, n, i)
        guard i < n else { throw JSONScanError(.unexpectedEnd, at: i) }
        let inObject = kinds[(depth - 1) >> 6] & (1 << UInt64((depth - 1) & 63)) != 0
        if p[i] == UInt8(ascii: ",") {
          i = skipWhitespace(p, n, i + 1)
          expectKey = inObject
          continue value
        }
        guard p[i] == (inObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) else {
          throw JSONScanError(.unexpectedCharacter, at: i)
        }
        depth -= 1
        i += 1
      }
    }
  }
}
