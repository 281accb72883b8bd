/// Turns one JSON log line into one line for people to read:
///
///     2026-11-23T10:00:00.123456Z ERROR payment failed  logger=checkout.http status=502 user.id=u-17
///
/// The line is `<timestamp> <LEVEL> <message>  key=value …`:
/// - the timestamp is the first of ``SchemaKeys/timestamp`` holding a string or a number,
///   printed as found (not reformatted);
/// - the level is read from ``SchemaKeys/level`` (names matched case-insensitively, numbers
///   on the pino/bunyan scale) or ``SchemaKeys/severityNumber`` (OpenTelemetry), and printed
///   as the upper-case canonical ``LogLevel`` name padded to five columns; a level name
///   ``LogLevel`` does not know is printed upper-cased as found;
/// - the message is the first of ``SchemaKeys/message`` holding a string;
/// - every other member follows as `key=value`, nested objects flattened into dotted paths
///   (`http.request.method=GET`), an empty object as `{}`, arrays as compact JSON.
///
/// Any of the three leading parts may be missing; the member that supplied one is not
/// repeated among the fields. A string value is quoted only when it contains a space, `=`,
/// `"` or a control character; inside quotes `"` and `\` are escaped. Control characters
/// (C0, DEL and C1, which terminals act on) are shown as `\n`, `\r`, `\t` or `\u00XX`
/// wherever they appear, so a log line cannot move the cursor or recolour the terminal.
///
/// A line that is not a JSON object (plain text, invalid JSON, a bare array) is printed as
/// it is, with control characters escaped and ill-formed UTF-8 replaced by U+FFFD, so the
/// output is always valid UTF-8.
///
/// The printer keeps its tape and scratch buffers between lines: once they have grown to
/// fit, formatting allocates nothing (except to compare a member key written with escapes,
/// which ``JSONTape`` decodes into a temporary).
public struct PrettyPrinter: Sendable {
  /// Whether to colour the level (error and critical red, warning yellow, notice cyan,
  /// info green, debug and trace dim) and dim the keys, with ANSI escape sequences.
  public var color: Bool

  /// The layout of a line.
  public enum Style: Sendable {
    /// `<timestamp> <LEVEL> <message>  key=value …` (the default).
    case pretty
    /// `time=… level=… msg=… key=value …`: logfmt, the level as its lower-case canonical
    /// name, never coloured.
    case logfmt
  }

  public var style: Style = .pretty

  /// When set, only these members (dotted paths, in this order) follow the timestamp, level
  /// and message; members that are missing are left out.
  public var fields: [String]?

  /// Levels shorter than this are padded with spaces so that messages line up.
  static let levelWidth = 5

  private var scanner = JSONScanner()
  private var tape: [JSONToken] = []
  /// Decoded content of a string value written with escapes.
  private var scratch: [UInt8] = []
  /// The dotted path of the member being written.
  private var path: [UInt8] = []

  public init(color: Bool = false, style: Style = .pretty, fields: [String]? = nil) {
    self.color = color && style == .pretty
    self.style = style
    self.fields = fields
  }

  /// Appends the human form of an event that is already parsed (its tape is reused, not
  /// scanned again) and a `\n`; a raw event is printed as the text it holds.
  public mutating func format(_ event: Event, into out: inout [UInt8]) {
    guard event.isStructured else {
      event.bytes.withUnsafeBytes { Self.appendEscaped($0, quoted: false, to: &out) }
      out.append(0x0A)
      return
    }
    tape.removeAll(keepingCapacity: true)
    tape.append(contentsOf: event.tape)
    event.bytes.withUnsafeBytes { formatObject($0, into: &out) }
    out.append(0x0A)
  }

  /// Appends the human form of `line` (one JSON text, without its newline; a trailing `\n`
  /// or `\r\n` is ignored) and a `\n` to `out`.
  public mutating func format(_ line: UnsafeRawBufferPointer, into out: inout [UInt8]) {
    var line = line
    if line.last == 0x0A {
      line = UnsafeRawBufferPointer(rebasing: line.dropLast())
      if line.last == 0x0D { line = UnsafeRawBufferPointer(rebasing: line.dropLast()) }
    }
    let isObject: Bool
    do {
      try scanner.scan(line, into: &tape)
      isObject = tape[0].kind == .objectStart
    } catch {
      isObject = false
    }
    if isObject {
      formatObject(line, into: &out)
    } else {
      Self.appendEscaped(line, quoted: false, to: &out)
    }
    out.append(0x0A)
  }

  /// The human form of `line`, without the trailing newline (for tests and tools; this
  /// allocates the result).
  public mutating func format(_ line: String) -> String {
    var out: [UInt8] = []
    var line = line
    line.withUTF8 { format(UnsafeRawBufferPointer($0), into: &out) }
    out.removeLast()
    return String(decoding: out, as: UTF8.self)
  }

  // MARK: - Objects

  /// What has been written on the current line, for choosing the next separator.
  private enum Progress {
    case nothing, head, fields
  }

  private mutating func formatObject(_ line: UnsafeRawBufferPointer, into out: inout [UInt8]) {
    let timestamp = firstValue(forAnyOf: SchemaKeys.timestamp, in: line) { $0 == .string || $0 == .number }
    let (levelIndex, level) = findLevel(in: line)
    let message = firstValue(forAnyOf: SchemaKeys.message, in: line) { $0 == .string }

    var progress = Progress.nothing
    switch style {
    case .pretty: appendHead(timestamp, levelIndex, level, message, line, progress: &progress, to: &out)
    case .logfmt: appendLogfmtHead(timestamp, levelIndex, level, message, line, progress: &progress, to: &out)
    }
    path.removeAll(keepingCapacity: true)
    let skip = (timestamp ?? -1, levelIndex ?? -1, message ?? -1)
    if let fields {
      for field in fields {
        guard let value = JSONTape.lookup(path: field, inObjectAt: 0, tape: tape, bytes: line),
          value != skip.0 && value != skip.1 && value != skip.2
        else { continue }
        path.removeAll(keepingCapacity: true)
        path.append(contentsOf: field.utf8)
        appendField(value, line, progress: &progress, to: &out)
      }
    } else {
      appendMembers(ofObjectAt: 0, line, skipping: skip, progress: &progress, to: &out)
    }
  }

  /// `<timestamp> <LEVEL> <message>`, each part only if present.
  private mutating func appendHead(
    _ timestamp: Int?, _ levelIndex: Int?, _ level: LogLevel?, _ message: Int?, _ line: UnsafeRawBufferPointer,
    progress: inout Progress, to out: inout [UInt8]
  ) {
    if let t = timestamp, !isEmptyString(t) {
      appendScalar(at: t, line, unquoted: true, to: &out)
      progress = .head
    }
    var padding = 0
    if let l = levelIndex, !isEmptyString(l) {
      if progress != .nothing { out.append(0x20) }
      padding = appendLevel(at: l, level, line, to: &out)
      progress = .head
    }
    if let m = message, !isEmptyString(m) {
      if progress != .nothing {
        for _ in 0..<padding { out.append(0x20) }
        out.append(0x20)
      }
      appendScalar(at: m, line, unquoted: true, to: &out)
      progress = .head
    }
  }

  /// `time=… level=… msg=…`, each part only if present.
  private mutating func appendLogfmtHead(
    _ timestamp: Int?, _ levelIndex: Int?, _ level: LogLevel?, _ message: Int?, _ line: UnsafeRawBufferPointer,
    progress: inout Progress, to out: inout [UInt8]
  ) {
    if let t = timestamp {
      path.removeAll(keepingCapacity: true)
      path.append(contentsOf: "time".utf8)
      appendField(t, line, progress: &progress, to: &out)
    }
    if let l = levelIndex {
      if progress != .nothing { out.append(0x20) }
      progress = .fields
      JSONWriter.appendRaw("level=", to: &out)
      if let level {
        out.append(contentsOf: level.name.utf8)
      } else {
        appendScalar(at: l, line, unquoted: false, to: &out)
      }
    }
    if let m = message {
      path.removeAll(keepingCapacity: true)
      path.append(contentsOf: "msg".utf8)
      appendField(m, line, progress: &progress, to: &out)
    }
  }

  /// The tape index of the value of the first of `keys` whose kind `accept`s.
  private func firstValue(
    forAnyOf keys: [String], in line: UnsafeRawBufferPointer, where accept: (JSONToken.Kind) -> Bool
  ) -> Int? {
    for key in keys {
      if let i = JSONTape.lookup(path: key, inObjectAt: 0, tape: tape, bytes: line), accept(tape[i].kind) {
        return i
      }
    }
    return nil
  }

  /// The level member, and its level when ``LogLevel`` knows it. As ``Event/level`` does,
  /// the first known name or pino/bunyan number wins, then `severity_number`; failing
  /// those, the first level key holding a string is shown as found.
  private mutating func findLevel(in line: UnsafeRawBufferPointer) -> (Int?, LogLevel?) {
    var unknown: Int? = nil
    for key in SchemaKeys.level {
      guard let i = JSONTape.lookup(path: key, inObjectAt: 0, tape: tape, bytes: line) else { continue }
      let t = tape[i]
      if t.kind == .string {
        if let l = parseLevel(t, line) { return (i, l) }
        if unknown == nil { unknown = i }
      } else if t.kind == .number, let n = Event.integer(line, t), let l = LogLevel.fromNumericLevel(n) {
        return (i, l)
      }
    }
    for key in SchemaKeys.severityNumber {
      guard let i = JSONTape.lookup(path: key, inObjectAt: 0, tape: tape, bytes: line), tape[i].kind == .number,
        let n = Event.integer(line, tape[i]), let l = LogLevel.fromOTelSeverity(n)
      else { continue }
      return (i, l)
    }
    return (unknown, nil)
  }

  private mutating func parseLevel(_ t: JSONToken, _ line: UnsafeRawBufferPointer) -> LogLevel? {
    let raw = UnsafeRawBufferPointer(rebasing: line[t.range])
    if !t.hasEscapes { return LogLevel.parse(raw) }
    scratch.removeAll(keepingCapacity: true)
    JSONTape.unescape(raw, into: &scratch)
    return scratch.withUnsafeBytes { LogLevel.parse($0) }
  }

  private func isEmptyString(_ index: Int) -> Bool {
    tape[index].kind == .string && tape[index].start == tape[index].end
  }

  /// Writes the level; returns how many spaces pad it to ``levelWidth``.
  private mutating func appendLevel(
    at index: Int, _ level: LogLevel?, _ line: UnsafeRawBufferPointer, to out: inout [UInt8]
  ) -> Int {
    guard let level else {
      // A name LogLevel does not know: as found, upper-cased.
      let t = tape[index]
      let raw = UnsafeRawBufferPointer(rebasing: line[t.range])
      scratch.removeAll(keepingCapacity: true)
      if t.hasEscapes { JSONTape.unescape(raw, into: &scratch) } else { scratch.append(contentsOf: raw) }
      var columns = 0
      for k in scratch.indices {
        let c = scratch[k]
        if c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z") { scratch[k] = c - 0x20 }
        if c & 0xC0 != 0x80 { columns += 1 }
      }
      scratch.withUnsafeBytes { Self.appendEscaped($0, quoted: false, to: &out) }
      return max(0, Self.levelWidth - columns)
    }
    let name: StaticString
    let colour: StaticString
    switch level {
    case .trace: (name, colour) = ("TRACE", Self.dim)
    case .debug: (name, colour) = ("DEBUG", Self.dim)
    case .info: (name, colour) = ("INFO", Self.green)
    case .notice: (name, colour) = ("NOTICE", Self.cyan)
    case .warning: (name, colour) = ("WARNING", Self.yellow)
    case .error: (name, colour) = ("ERROR", Self.red)
    case .critical: (name, colour) = ("CRITICAL", Self.red)
    }
    if color { JSONWriter.appendRaw(colour, to: &out) }
    JSONWriter.appendRaw(name, to: &out)
    if color { JSONWriter.appendRaw(Self.reset, to: &out) }
    return max(0, Self.levelWidth - name.utf8CodeUnitCount)
  }

  /// Writes the members of the object at `object` as fields, their keys prefixed by
  /// ``path``; nested non-empty objects are flattened.
  private mutating func appendMembers(
    ofObjectAt object: Int, _ line: UnsafeRawBufferPointer, skipping skip: (Int, Int, Int),
    progress: inout Progress, to out: inout [UInt8]
  ) {
    var i = object + 1
    while tape[i].kind == .key {
      let value = i + 1
      let next = JSONTape.next(after: value, in: tape)
      defer { i = next }
      if value == skip.0 || value == skip.1 || value == skip.2 { continue }
      let mark = path.count
      defer { path.removeSubrange(mark...) }
      if mark > 0 { path.append(UInt8(ascii: ".")) }
      let key = tape[i]
      let rawKey = UnsafeRawBufferPointer(rebasing: line[key.range])
      if key.hasEscapes {
        JSONTape.unescape(rawKey, into: &path)
      } else {
        path.append(contentsOf: rawKey)
      }
      if tape[value].kind == .objectStart && Int(tape[value].end) > value + 2 {
        appendMembers(ofObjectAt: value, line, skipping: skip, progress: &progress, to: &out)
        continue
      }
      appendField(value, line, progress: &progress, to: &out)
    }
  }

  /// Writes `<path>=<value at value>` after the right separator.
  private mutating func appendField(
    _ value: Int, _ line: UnsafeRawBufferPointer, progress: inout Progress, to out: inout [UInt8]
  ) {
    switch progress {
    case .nothing: break
    case .head: JSONWriter.appendRaw("  ", to: &out)
    case .fields: out.append(0x20)
    }
    progress = .fields
    if color { JSONWriter.appendRaw(Self.dim, to: &out) }
    path.withUnsafeBytes { Self.appendEscaped($0, quoted: false, to: &out) }
    out.append(UInt8(ascii: "="))
    if color { JSONWriter.appendRaw(Self.reset, to: &out) }
    switch tape[value].kind {
    case .objectStart, .arrayStart: Self.appendCompact(from: value, tape: tape, line, to: &out)
    default: appendScalar(at: value, line, unquoted: false, to: &out)
    }
  }

  /// Writes a string (decoded, escaped for display, quoted when needed unless `unquoted`)
  /// or a number or literal as it is.
  private mutating func appendScalar(
    at index: Int, _ line: UnsafeRawBufferPointer, unquoted: Bool, to out: inout [UInt8]
  ) {
    let t = tape[index]
    let raw = UnsafeRawBufferPointer(rebasing: line[t.range])
    guard t.kind == .string else {
      out.append(contentsOf: raw)
      return
    }
    if !t.hasEscapes {
      Self.appendDisplayString(raw, unquoted: unquoted, to: &out)
      return
    }
    scratch.removeAll(keepingCapacity: true)
    JSONTape.unescape(raw, into: &scratch)
    scratch.withUnsafeBytes { Self.appendDisplayString($0, unquoted: unquoted, to: &out) }
  }

  private static func appendDisplayString(_ text: UnsafeRawBufferPointer, unquoted: Bool, to out: inout [UInt8]) {
    if unquoted || !needsQuotes(text) {
      appendEscaped(text, quoted: false, to: &out)
    } else {
      out.append(UInt8(ascii: "\""))
      appendEscaped(text, quoted: true, to: &out)
      out.append(UInt8(ascii: "\""))
    }
  }

  /// Whether a value must be quoted: it has a space, `=`, `"` or a control character.
  static func needsQuotes(_ text: UnsafeRawBufferPointer) -> Bool {
    var previous: UInt8 = 0
    for c in text {
      switch c {
      case 0..<0x21, UInt8(ascii: "="), UInt8(ascii: "\""), 0x7F: return true
      case 0x80...0x9F where previous == 0xC2: return true  // C1 control
      default: previous = c
      }
    }
    return false
  }
}
