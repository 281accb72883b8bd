/// How ``PrettyPrinter`` writes text for a terminal: control characters escaped, ill-formed
/// UTF-8 replaced, containers as compact JSON, and the ANSI colours it uses.
extension PrettyPrinter {
  // MARK: - Escaping

  /// Appends `text` for a terminal: C0 controls, DEL and C1 controls as `\n`, `\r`, `\t` or
  /// `\u00XX`; ill-formed UTF-8 as U+FFFD (one per maximal ill-formed start byte, as
  /// ``JSONWriter`` does); when `quoted`, also `"` and `\` escaped.
  public static func appendEscaped(_ text: UnsafeRawBufferPointer, quoted: Bool, to out: inout [UInt8]) {
    guard let base = text.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
    let n = text.count
    var runStart = 0
    var i = 0
    @inline(__always) func flush() {
      if runStart < i { out.append(contentsOf: UnsafeRawBufferPointer(start: base + runStart, count: i - runStart)) }
    }
    while i < n {
      let c = base[i]
      if c >= 0x20 && c < 0x7F {
        if quoted && (c == UInt8(ascii: "\"") || c == UInt8(ascii: "\\")) {
          flush()
          out.append(UInt8(ascii: "\\"))
          out.append(c)
          i += 1
          runStart = i
        } else {
          i += 1
        }
        continue
      }
      if c < 0x80 {
        flush()
        appendControlEscape(c, to: &out)
        i += 1
        runStart = i
        continue
      }
      let len = UTF8Validation.sequenceLength(base, n, i)
      if len == 2 && c == 0xC2 && base[i + 1] < 0xA0 {
        flush()
        appendControlEscape(base[i + 1], to: &out)
        i += 2
        runStart = i
        continue
      }
      if len > 0 {
        i += len
        continue
      }
      flush()
      out.append(contentsOf: JSONWriter.replacementCharacter)
      i += 1
      while i < n && base[i] & 0xC0 == 0x80 { i += 1 }
      runStart = i
    }
    flush()
  }

  /// `\n`, `\r`, `\t`, or `\u00XX` for a control character (C0, DEL or C1).
  private static func appendControlEscape(_ c: UInt8, to out: inout [UInt8]) {
    out.append(UInt8(ascii: "\\"))
    switch c {
    case 0x0A: out.append(UInt8(ascii: "n"))
    case 0x0D: out.append(UInt8(ascii: "r"))
    case 0x09: out.append(UInt8(ascii: "t"))
    default:
      out.append(UInt8(ascii: "u"))
      out.append(UInt8(ascii: "0"))
      out.append(UInt8(ascii: "0"))
      out.append(hexDigit(c >> 4))
      out.append(hexDigit(c & 0xF))
    }
  }

  @inline(__always)
  private static func hexDigit(_ v: UInt8) -> UInt8 {
    v < 10 ? UInt8(ascii: "0") + v : UInt8(ascii: "a") + (v - 10)
  }

  /// Writes the container at `start` as compact JSON. String contents are copied as they
  /// were written (already valid JSON), except that DEL and C1 controls, which JSON allows
  /// raw, are written as `\u00XX`.
  static func appendCompact(
    from start: Int, tape: [JSONToken], _ line: UnsafeRawBufferPointer, to out: inout [UInt8]
  ) {
    let end = Int(tape[start].end)
    var afterValue = false
    for i in start..<end {
      let t = tape[i]
      switch t.kind {
      case .objectEnd, .arrayEnd:
        out.append(t.kind == .objectEnd ? UInt8(ascii: "}") : UInt8(ascii: "]"))
        afterValue = true
        continue
      default:
        break
      }
      if afterValue { out.append(UInt8(ascii: ",")) }
      switch t.kind {
      case .objectStart:
        out.append(UInt8(ascii: "{"))
        afterValue = false
      case .arrayStart:
        out.append(UInt8(ascii: "["))
        afterValue = false
      case .key, .string:
        out.append(UInt8(ascii: "\""))
        appendJSONStringContent(UnsafeRawBufferPointer(rebasing: line[t.range]), to: &out)
        out.append(UInt8(ascii: "\""))
        if t.kind == .key { out.append(UInt8(ascii: ":")) }
        afterValue = t.kind == .string
      default:
        out.append(contentsOf: UnsafeRawBufferPointer(rebasing: line[t.range]))
        afterValue = true
      }
    }
  }

  /// Copies scanned (valid) JSON string content, escaping DEL and C1 controls.
  private static func appendJSONStringContent(_ raw: UnsafeRawBufferPointer, to out: inout [UInt8]) {
    var runStart = 0
    var i = 0
    let n = raw.count
    while i < n {
      let c = raw[i]
      let isC1 = c == 0xC2 && i + 1 < n && raw[i + 1] < 0xA0
      guard c == 0x7F || isC1 else {
        i += 1
        continue
      }
      if runStart < i { out.append(contentsOf: UnsafeRawBufferPointer(rebasing: raw[runStart..<i])) }
      appendControlEscape(isC1 ? raw[i + 1] : c, to: &out)
      i += isC1 ? 2 : 1
      runStart = i
    }
    if runStart < n { out.append(contentsOf: UnsafeRawBufferPointer(rebasing: raw[runStart..<n])) }
  }

  // MARK: - ANSI

  static let reset: StaticString = "\u{1B}[0m"
  static let dim: StaticString = "\u{1B}[2m"
  static let red: StaticString = "\u{1B}[31m"
  static let green: StaticString = "\u{1B}[32m"
  static let yellow: StaticString = "\u{1B}[33m"
  static let cyan: StaticString = "\u{1B}[36m"
}
