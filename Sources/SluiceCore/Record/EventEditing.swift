/// Looking up and removing members of a structured event, in place on its bytes.
extension Event {
  /// The tape index of the value at a top-level key or dotted path (nil for a raw event).
  /// Unlike ``valueIndex(forAnyOf:)`` it takes one path and builds no array.
  public func valueIndex(at path: String) -> Int? {
    guard isStructured else { return nil }
    return bytes.withUnsafeBytes { JSONTape.lookup(path: path, inObjectAt: 0, tape: tape, bytes: $0) }
  }

  /// Removes every member found at `path` (a top-level key, or a dotted path into nested
  /// objects, looked up as ``JSONTape/lookup(path:inObjectAt:tape:bytes:)`` does) and
  /// rescans once per removal.
  /// - Returns: how many members were removed (0 if the event has none there or is raw).
  @discardableResult
  public mutating func removeMembers(at path: String, scanner: JSONScanner = JSONScanner()) -> Int {
    var removed = 0
    // Duplicate keys: each pass removes the first; bounded by the number of keys.
    while let range = memberRange(at: path) {
      try? rewrite(scanner: scanner) { old, _, out in
        out.append(contentsOf: old[0..<range.lowerBound])
        out.append(contentsOf: old[range.upperBound...])
      }
      removed += 1
    }
    return removed
  }

  /// The bytes to cut to remove the member at `path`: from its key's opening quote to the end
  /// of its value, plus the comma that separated it from a neighbour (the one after it, or
  /// for a last member the one before it), so what remains is valid JSON.
  func memberRange(at path: String) -> Range<Int>? {
    guard let value = valueIndex(at: path), value > 0,
      tape[value - 1].kind == .key
    else { return nil }
    let key = tape[value - 1]
    var start = Int(key.start) - 1  // the opening quote
    let v = tape[value]
    var end: Int
    switch v.kind {
    case .string: end = Int(v.end) + 1
    case .objectStart, .arrayStart: end = Int(tape[Int(v.end) - 1].start) + 1
    default: end = Int(v.end)
    }
    return bytes.withUnsafeBytes { raw -> Range<Int> in
      func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D }
      var after = end
      while after < raw.count, isSpace(raw[after]) { after += 1 }
      if after < raw.count, raw[after] == UInt8(ascii: ",") {
        end = after + 1
        while end < raw.count, isSpace(raw[end]) { end += 1 }
        return start..<end
      }
      var before = start - 1
      while before >= 0, isSpace(raw[before]) { before -= 1 }
      if before >= 0, raw[before] == UInt8(ascii: ",") {
        start = before
        while start > 0, isSpace(raw[start - 1]) { start -= 1 }
      }
      return start..<end
    }
  }
}
