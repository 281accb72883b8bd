import SluiceCore

/// Writes one matching line in the chosen ``OutputMode`` into a byte buffer (each line ends
/// with `\n`). Buffers are reused: once they have grown, writing allocates nothing.
public struct RecordWriter {
  public let mode: OutputMode
  public let fields: [String]?
  private var printer: PrettyPrinter
  /// Each `--fields` path, written once as a JSON string (the key of `json` output).
  private let fieldKeys: [[UInt8]]

  public init(mode: OutputMode, color: Bool = false, fields: [String]? = nil) {
    self.mode = mode
    self.fields = fields
    printer = PrettyPrinter(color: color, style: mode == .logfmt ? .logfmt : .pretty, fields: fields)
    fieldKeys = (fields ?? []).map { field in
      var key: [UInt8] = []
      JSONWriter.appendString(field, to: &key)
      return key
    }
  }

  /// Appends `line` (as read), whose decoded form is `event` (nil for a plain-text line).
  /// Whether ``write(line:event:into:)`` reads the event (raw output copies the line).
  public var readsEvent: Bool { mode != .raw }

  public mutating func write(line: UnsafeRawBufferPointer, event: Event?, into out: inout [UInt8]) {
    switch mode {
    case .raw:
      out.append(contentsOf: line)
      out.append(0x0A)
    case .pretty, .logfmt:
      if let event {
        printer.format(event, into: &out)
      } else {
        printer.format(line, into: &out)
      }
    case .json:
      writeJSON(line: line, event: event, into: &out)
    }
  }

  private func writeJSON(line: UnsafeRawBufferPointer, event: Event?, into out: inout [UInt8]) {
    guard let event, event.isStructured else {
      // A plain line: its text as the message.
      JSONWriter.appendRaw(#"{"message":""#, to: &out)
      JSONWriter.appendStringContent(line, to: &out)
      JSONWriter.appendRaw("\"}\n", to: &out)
      return
    }
    guard let fields else {
      out.append(contentsOf: event.bytes)
      out.append(0x0A)
      return
    }
    out.append(UInt8(ascii: "{"))
    var first = true
    event.bytes.withUnsafeBytes { bytes in
      for (k, field) in fields.enumerated() {
        guard let i = JSONTape.lookup(path: field, inObjectAt: 0, tape: event.tape, bytes: bytes) else { continue }
        if !first { out.append(UInt8(ascii: ",")) }
        first = false
        out.append(contentsOf: fieldKeys[k])
        out.append(UInt8(ascii: ":"))
        let end = JSONTape.next(after: i, in: event.tape)
        // A value's text runs from its first token to the end of its last.
        let start = Int(event.tape[i].start) - (event.tape[i].kind == .string ? 1 : 0)
        out.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[start..<Self.valueEnd(i, end, event.tape)]))
      }
    }
    JSONWriter.appendRaw("}\n", to: &out)
  }

  /// The byte just past the value at tape index `i` (whose next sibling is at `next`).
  static func valueEnd(_ i: Int, _ next: Int, _ tape: [JSONToken]) -> Int {
    let t = tape[i]
    switch t.kind {
    case .string: return Int(t.end) + 1
    case .objectStart, .arrayStart:
      // The closing token of the container is the last one before `next`.
      return Int(tape[next - 1].end)
    default: return Int(t.end)
    }
  }
}
