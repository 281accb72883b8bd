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
        return try Self.validate(p, n, maxDepth: maxDepth, kinds: kinds)
      } catch {
        return false
      }
    }
  }

  private static func validate(
    _ p: UnsafePointer<UInt8>, _ n: Int, maxDepth: Int, kinds: UnsafeMutableBufferPointer<UInt64>
  ) throws(JSONScanError) -> Bool {
    var i = skipWhitespace(p, n, 0)
    var depth = 0
    var expectKey = false
    value: while true {
      if expectKey {
        // `"key"` `:` before an object's value.
        guard i < n, p[i] == UInt8(ascii: "\"") else { return false }
        _ = try scanString(p, n, &i)
        i = skipWhitespace(p, n, i)
        guard i < n, p[i] == UInt8(ascii: ":") else { return false }
        i = skipWhitespace(p, n, i + 1)
        expectKey = false
      }
      guard i < n else { return false }
      switch p[i] {
      case UInt8(ascii: "{"), UInt8(ascii: "["):
        let isObject = p[i] == UInt8(ascii: "{")
        if depth == maxDepth { return false }
        let word = depth >> 6
        let bit: UInt64 = 1 << UInt64(depth & 63)
        kinds[word] = isObject ? kinds[word] | bit : kinds[word] & ~bit
        depth += 1
        i = skipWhitespace(p, n, i + 1)
        guard i < n else { return false }
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
      default: return false
      }
      // A value is complete: what may follow it.
      while true {
        i = skipWhitespace(p, n, i)
        if depth == 0 { return i == n }
        guard i < n else { return false }
        let inObject = kinds[(depth - 1) >> 6] & (1 << UInt64((depth - 1) & 63)) != 0
        if p[i] == UInt8(ascii: ",") {
          i = skipWhitespace(p, n, i + 1)
          expectKey = inObject
          continue value
        }
        guard p[i] == (inObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) else { return false }
        depth -= 1
        i += 1
      }
    }
  }
}
