extension Redactor {
  // The writing half of a redaction: the edits found by the walk (Redactor.swift), applied
  // to the event's bytes.

  /// The bytes a value token spans (strings with their quotes; containers whole).
  static func valueRange(_ i: Int, _ tape: [JSONToken]) -> Range<Int> {
    let t = tape[i]
    switch t.kind {
    case .string, .key: return (Int(t.start) - 1)..<(Int(t.end) + 1)
    case .objectStart, .arrayStart: return Int(t.start)..<Int(tape[Int(t.end) - 1].end)
    default: return t.range
    }
  }

  /// No drops: copies the text, replacing only the edited values (formatting kept).
  mutating func splice(_ tape: [JSONToken], _ raw: UnsafeRawBufferPointer, into out: inout [UInt8]) {
    var cursor = 0
    for e in edits {
      let r = Self.valueRange(e.token, tape)
      out.append(contentsOf: UnsafeRawBufferPointer(rebasing: raw[cursor..<r.lowerBound]))
      writeReplacement(e, tape, raw, into: &out)
      cursor = r.upperBound
    }
    out.append(contentsOf: UnsafeRawBufferPointer(rebasing: raw[cursor...]))
  }

  /// ``splice(_:_:into:)`` when every edited value is a scalar, also writing the new tape:
  /// tokens between edits move by how much the text before them grew or shrank, and each
  /// edited value becomes a string token over its replacement.
  mutating func splice(
    _ tape: [JSONToken], _ raw: UnsafeRawBufferPointer, into out: inout [UInt8], newTape: inout [JSONToken]
  ) {
    newTape.reserveCapacity(tape.count)
    var cursor = 0
    var next = 0  // the next token of the old tape to carry over
    for e in edits {
      let r = Self.valueRange(e.token, tape)
      out.append(contentsOf: UnsafeRawBufferPointer(rebasing: raw[cursor..<r.lowerBound]))
      Self.carry(tape, from: next, to: e.token, shift: out.count - r.lowerBound, into: &newTape)
      let start = out.count + 1
      writeReplacement(e, tape, raw, into: &out)
      let end = out.count - 1
      let escaped = out.withUnsafeBufferPointer { o in o[start..<end].contains(UInt8(ascii: "\\")) }
      newTape.append(JSONToken(kind: .string, start: UInt32(start), end: UInt32(end), hasEscapes: escaped))
      next = e.token + 1
      cursor = r.upperBound
    }
    out.append(contentsOf: UnsafeRawBufferPointer(rebasing: raw[cursor...]))
    Self.carry(tape, from: next, to: tape.count, shift: out.count - raw.count, into: &newTape)
  }

  /// Appends tokens `from..<to` of `tape` with their byte offsets moved by `shift` (a
  /// container start's `end`, a tape index, stays).
  static func carry(_ tape: [JSONToken], from: Int, to: Int, shift: Int, into newTape: inout [JSONToken]) {
    let d = Int64(shift)
    for k in from..<to {
      var t = tape[k]
      t.start = UInt32(Int64(t.start) + d)
      if t.kind != .objectStart && t.kind != .arrayStart { t.end = UInt32(Int64(t.end) + d) }
      newTape.append(t)
    }
  }

  /// The new value for an edit, as a JSON string.
  mutating func writeReplacement(
    _ e: Edit, _ tape: [JSONToken], _ raw: UnsafeRawBufferPointer, into out: inout [UInt8]
  ) {
    let t = tape[e.token]
    out.append(UInt8(ascii: "\""))
    if e.wholeRule >= 0 {
      let valueBytes = UnsafeRawBufferPointer(rebasing: raw[Self.valueRange(e.token, tape)])
      markers.write(rule: e.wholeRule, kept: nil, value: valueBytes, into: &out)
    } else {
      matches.removeAll(keepingCapacity: true)
      matches.append(contentsOf: editMatches[e.from..<e.to])
      if t.kind == .string && t.hasEscapes {
        decoded.removeAll(keepingCapacity: true)
        JSONTape.unescape(UnsafeRawBufferPointer(rebasing: raw[t.range]), into: &decoded)
        // The scratch buffer is swapped out and back, not copied (a copy would reallocate).
        var p: [UInt8] = []
        swap(&p, &plain)
        p.removeAll(keepingCapacity: true)
        decoded.withUnsafeBytes { markers.apply(matches, to: $0, into: &p) }
        p.withUnsafeBytes { _ = JSONWriter.appendStringContent($0, to: &out) }
        swap(&p, &plain)
      } else {
        markers.apply(matches, to: UnsafeRawBufferPointer(rebasing: raw[t.range]), into: &out)
      }
    }
    out.append(UInt8(ascii: "\""))
  }

  /// With drops: writes the event again, compactly, leaving dropped members and elements out.
  mutating func emitCompact(_ tape: [JSONToken], _ raw: UnsafeRawBufferPointer, into out: inout [UInt8]) {
    var e = 0  // next edit
    var needComma: [Bool] = []
    var i = 0
    while i < tape.count {
      let t = tape[i]
      let editHere = e < edits.count && (edits[e].token == i || (edits[e].key == i && edits[e].key >= 0))
      if editHere && edits[e].drop {
        // Skip the member (key and value) or the element.
        let valueToken = edits[e].token
        e += 1
        i = JSONTape.next(after: valueToken, in: tape)
        continue
      }
      switch t.kind {
      case .objectEnd, .arrayEnd:
        needComma.removeLast()
        out.append(t.kind == .objectEnd ? UInt8(ascii: "}") : UInt8(ascii: "]"))
        i += 1
        continue
      case .key:
        if needComma.last == true { out.append(UInt8(ascii: ",")) }
        needComma[needComma.count - 1] = true
        out.append(contentsOf: UnsafeRawBufferPointer(rebasing: raw[Self.valueRange(i, tape)]))
        out.append(UInt8(ascii: ":"))
        i += 1
        continue
      default:
        break
      }
      // A value: an array element needs a separator; a member's value follows its key.
      let inArray = i > 0 && !(tape[i - 1].kind == .key) && !needComma.isEmpty
      if inArray {
        if needComma.last == true { out.append(UInt8(ascii: ",")) }
        needComma[needComma.count - 1] = true
      }
      if e < edits.count && edits[e].token == i {
        writeReplacement(edits[e], tape, raw, into: &out)
        e += 1
        i = JSONTape.next(after: i, in: tape)
        continue
      }
      switch t.kind {
      case .objectStart, .arrayStart:
        out.append(t.kind == .objectStart ? UInt8(ascii: "{") : UInt8(ascii: "["))
        needComma.append(false)
      default:
        out.append(contentsOf: UnsafeRawBufferPointer(rebasing: raw[Self.valueRange(i, tape)]))
      }
      i += 1
    }
  }
}
