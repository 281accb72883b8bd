#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// One log event on its way through a pipeline, kept as UTF-8 bytes.
///
/// An event starts as a raw line (``isStructured`` is false). ``parse(using:)`` turns it
/// into a JSON object: the line itself when it is one, otherwise `{"message": <line>}`.
/// Structured events carry the ``JSONToken`` tape of their bytes, so field lookups and
/// rewrites never re-parse or build trees.
///
/// An `Event` is meant to be reused: ``load(_:)`` replaces its content while keeping the
/// capacity of its buffers, so a pipeline that holds one event allocates nothing per line.
public struct Event: Sendable {
  /// The event's bytes: the raw line, or a JSON object once structured. No trailing newline.
  public private(set) var bytes: [UInt8] = []
  /// The tape of ``bytes``; meaningful only when ``isStructured``.
  public private(set) var tape: [JSONToken] = []
  /// Whether ``bytes`` is a JSON object described by ``tape``.
  public private(set) var isStructured = false
  /// The tape holds only some members (``loadObject(_:keeping:scanner:)``): lookups of the
  /// projected keys are right, anything else is not there, and ``bytes`` end where the scan
  /// stopped.
  public private(set) var isPartial = false
  /// Invalid UTF-8 sequences replaced by U+FFFD since the line was loaded (when it was
  /// wrapped as a message: a JSON object with invalid UTF-8 does not scan, so is wrapped).
  public private(set) var utf8Repairs = 0
  private var spare: [UInt8] = []
  private var spareTape: [JSONToken] = []

  public init() {}

  /// Creates a structured or raw event from text (for tests and tools).
  public init(_ text: String, scanner: JSONScanner = JSONScanner()) {
    var text = text
    text.withUTF8 { load(UnsafeRawBufferPointer($0)) }
    _ = parse(using: scanner)
  }

  /// Why a line did not become a structured event as it was.
  public enum ParseOutcome: Sendable, Equatable {
    /// The line was a JSON object.
    case object
    /// The line was wrapped as `{"message": <line>}`.
    case wrapped(reason: WrapReason)
  }

  /// Why a line was wrapped rather than parsed.
  public enum WrapReason: String, Sendable {
    /// Not JSON (the most common case: plain-text logs).
    case notJSON = "not_json"
    /// Valid JSON, but not an object (a bare string, number or array).
    case notObject = "not_object"
    /// Looked like JSON (started with `{`) but did not scan; see the error.
    case invalidJSON = "invalid_json"
  }

  /// Replaces the content with a raw line.
  public mutating func load(_ line: UnsafeRawBufferPointer) {
    if bytes.capacity >= line.count && !line.isEmpty {
      // In place, without emptying the array first (one copy, no per-call generic paths).
      if bytes.count > line.count {
        bytes.removeLast(bytes.count - line.count)
      } else if bytes.count < line.count {
        bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: line[bytes.count...]))
      }
      bytes.withUnsafeMutableBytes { $0.copyMemory(from: line) }
    } else {
      bytes.removeAll(keepingCapacity: true)
      bytes.append(contentsOf: line)
    }
    isStructured = false
    isPartial = false
    utf8Repairs = 0
  }

  /// How ``loadObject(_:keeping:scanner:)`` went.
  public enum ProjectedLoad: Sendable, Equatable {
    /// Not a JSON object, or broken where it was read: the event is raw.
    case notObject
    /// Scanned to the object's end: every kept member is on the tape.
    case complete
    /// Stopped once the projection was settled: later members were not read.
    case settled
  }

  /// Loads a line that should be a JSON object, recording only the members `projection`
  /// keeps (``JSONScanner/scanObject(_:keeping:into:)``). The event is structured and
  /// ``isPartial``: lookups of kept keys are right, other keys are absent.
  @discardableResult
  /// With `validating`, the whole line is checked as ``parse(using:)`` checks it (and so read
  /// to its end): ``ProjectedLoad/complete`` then means valid JSON.
  public mutating func loadObject(
    _ line: UnsafeRawBufferPointer, keeping projection: JSONProjection, validating: Bool = false,
    scanner: JSONScanner
  ) -> ProjectedLoad {
    do {
      // Scanned where it lies, then only what the tape reaches is copied (the offsets stay).
      let complete = try scanner.scanObject(line, keeping: projection, validating: validating, into: &tape)
      load(UnsafeRawBufferPointer(rebasing: line[0..<Int(tape[tape.count - 1].end)]))
      isStructured = true
      isPartial = true
      return complete ? .complete : .settled
    } catch {
      load(line)
      return .notObject
    }
  }

  /// Makes the event structured: keeps a JSON object line as it is, wraps anything else.
  /// Not for a partial event (``isPartial``), which holds only part of its line.
  /// - Returns: what happened, and the scan error for invalid JSON.
  @discardableResult
  public mutating func parse(using scanner: JSONScanner) -> (ParseOutcome, JSONScanError?) {
    precondition(!isPartial, "a partial event holds only part of its line: load the line again to read it whole")
    if isStructured { return (.object, nil) }
    do {
      try scanner.scan(bytes, into: &tape)
      if tape.first?.kind == .objectStart {
        isStructured = true
        return (.object, nil)
      }
      wrapAsMessage(scanner: scanner)
      return (.wrapped(reason: .notObject), nil)
    } catch {
      let looksLikeObject = bytes.first(where: { $0 != 0x20 && $0 != 0x09 }) == UInt8(ascii: "{")
      wrapAsMessage(scanner: scanner)
      return (.wrapped(reason: looksLikeObject ? .invalidJSON : .notJSON), error)
    }
  }

  /// Replaces the bytes with `{"message": <the raw line>}`, repairing invalid UTF-8.
  /// - Returns: the number of invalid UTF-8 sequences replaced by U+FFFD.
  @discardableResult
  public mutating func wrapAsMessage(scanner: JSONScanner = JSONScanner()) -> Int {
    spare.removeAll(keepingCapacity: true)
    JSONWriter.appendRaw("{\"message\":\"", to: &spare)
    let repaired = bytes.withUnsafeBytes { JSONWriter.appendStringContent($0, to: &spare) }
    JSONWriter.appendRaw("\"}", to: &spare)
    swap(&bytes, &spare)
    // Our own output always scans; a failure here would be a writer bug.
    try? scanner.scan(bytes, into: &tape)
    isStructured = true
    isPartial = false
    utf8Repairs += repaired
    return repaired
  }

  /// Replaces the bytes of a structured event with a rewritten JSON object, built by
  /// `write` into a reused buffer, and rescans it.
  public mutating func rewrite(
    scanner: JSONScanner, _ write: (_ old: [UInt8], _ tape: [JSONToken], _ out: inout [UInt8]) -> Void
  ) throws(JSONScanError) {
    spare.removeAll(keepingCapacity: true)
    write(bytes, tape, &spare)
    swap(&bytes, &spare)
    if isStructured { try scanner.scan(bytes, into: &tape) }
  }

  /// Like ``rewrite(scanner:_:)`` for a structured event, for a writer that knows where every
  /// token of the old tape ends up (it replaces scalar values by scalars, so the tape keeps
  /// its shape): `write` also fills the new tape, and the bytes are not scanned again. Debug
  /// builds check the tape against a rescan.
  mutating func rewriteKeepingShape(
    scanner: JSONScanner,
    _ write: (_ old: [UInt8], _ tape: [JSONToken], _ out: inout [UInt8], _ newTape: inout [JSONToken]) -> Void
  ) {
    spare.removeAll(keepingCapacity: true)
    spareTape.removeAll(keepingCapacity: true)
    write(bytes, tape, &spare, &spareTape)
    swap(&bytes, &spare)
    swap(&tape, &spareTape)
    #if DEBUG
      var check: [JSONToken] = []
      try? scanner.scan(bytes, into: &check)
      precondition(check == tape, "rewriteKeepingShape: the writer's tape differs from a rescan")
    #endif
  }

  /// Appends a member to a structured event's top-level object. `jsonValue` must be one
  /// valid JSON value (it is written verbatim).
  public mutating func appendMember(key: String, jsonValue: StaticString, scanner: JSONScanner = JSONScanner()) {
    guard isStructured, let close = tape.last, close.kind == .objectEnd else { return }
    let isEmpty = tape.count == 2
    try? rewrite(scanner: scanner) { old, _, out in
      out.append(contentsOf: old[0..<Int(close.start)])
      if !isEmpty { out.append(UInt8(ascii: ",")) }
      JSONWriter.appendString(key, to: &out)
      out.append(UInt8(ascii: ":"))
      JSONWriter.appendRaw(jsonValue, to: &out)
      out.append(contentsOf: old[Int(close.start)...])
    }
  }

  /// Appends pre-encoded members (`"k":v,"k2":v2`, no leading comma; valid JSON members)
  /// to a structured event in one rewrite.
  public mutating func appendMembers(encoded: UnsafeRawBufferPointer, scanner: JSONScanner = JSONScanner()) {
    guard !encoded.isEmpty, isStructured, let close = tape.last, close.kind == .objectEnd else { return }
    let isEmpty = tape.count == 2
    try? rewrite(scanner: scanner) { old, _, out in
      out.append(contentsOf: old[0..<Int(close.start)])
      if !isEmpty { out.append(UInt8(ascii: ",")) }
      out.append(contentsOf: encoded)
      out.append(contentsOf: old[Int(close.start)...])
    }
  }

  /// The tape index of the first of `keys` present at top level (or as a dotted path).
  public func valueIndex(forAnyOf keys: [String]) -> Int? {
    guard isStructured else { return nil }
    return bytes.withUnsafeBytes { raw in
      for key in keys {
        if let i = JSONTape.lookup(path: key, inObjectAt: 0, tape: tape, bytes: raw) { return i }
      }
      return nil
    }
  }

  /// The value at a tape index as a tree.
  public func value(at index: Int) -> JSONValue {
    bytes.withUnsafeBytes { JSONValue.build(at: index, tape: tape, bytes: $0) }
  }

  /// The value of a top-level key or dotted path, as a tree.
  public func value(forKey key: String) -> JSONValue? {
    valueIndex(forAnyOf: [key]).map { value(at: $0) }
  }

  /// The event's severity, read from the level field of any schema Sluice knows.
  ///
  /// Level names are matched case-insensitively (escaped spellings are decoded first);
  /// a numeric `level` is read on the pino/bunyan scale (10 trace … 60 fatal) and a
  /// `severity_number` on OpenTelemetry's (1–24). The first key that yields a level wins.
  public var level: LogLevel? {
    guard isStructured else { return nil }
    return bytes.withUnsafeBytes { raw -> LogLevel? in
      // One walk over the top-level keys finds the first occurrence of each level key
      // (``SchemaKeys/level``, then `severity_number`, and `log` for `log.level` nested).
      var at = SIMD8<Int32>(repeating: -1)
      var i = 1
      while i < tape.count, tape[i].kind == .key {
        let k = tape[i]
        if k.hasEscapes { return levelByLookup(raw) }
        let slot = Self.levelKeySlot(UnsafeRawBufferPointer(rebasing: raw[k.range]))
        if slot >= 0 && at[slot] < 0 { at[slot] = Int32(i + 1) }
        i = JSONTape.next(after: i + 1, in: tape)
      }
      if at[1] < 0, at[7] >= 0,
        let nested = Self.levelKeyBytes[0].withUnsafeBytes({
          JSONTape.member($0, inObjectAt: Int(at[7]), tape: tape, bytes: raw)
        })
      {
        at[1] = Int32(nested)
      }
      for slot in 0..<6 where at[slot] >= 0 {
        if let l = levelOfText(at: Int(at[slot]), raw) { return l }
      }
      if at[6] >= 0 { return severityNumber(at: Int(at[6]), raw) }
      return nil
    }
  }

  /// The slot of a level key in ``level``'s walk: its index in ``SchemaKeys/level``, 6 for
  /// `severity_number`, 7 for `log`; -1 for any other key.
  @inline(__always)
  static func levelKeySlot(_ key: UnsafeRawBufferPointer) -> Int {
    let candidates: (Int, Int)
    switch key.count {
    case 3: candidates = (4, 7)  // lvl, log
    case 5: candidates = (0, -1)  // level
    case 8: candidates = (3, 5)  // severity, loglevel
    case 9: candidates = (1, -1)  // log.level
    case 13: candidates = (2, -1)  // severity_text
    case 15: candidates = (6, -1)  // severity_number
    default: return -1
    }
    @inline(__always) func equals(_ slot: Int) -> Bool {
      slot >= 0
        && Self.levelKeyBytes[slot].withUnsafeBytes { memcmp($0.baseAddress!, key.baseAddress!, key.count) == 0 }
    }
    if equals(candidates.0) { return candidates.0 }
    if equals(candidates.1) { return candidates.1 }
    return -1
  }

  /// The keys of ``levelKeySlot(_:)``'s slots, as bytes; slot 0 (`level`) also names the key
  /// inside `log`.
  static let levelKeyBytes: [[UInt8]] = (SchemaKeys.level + SchemaKeys.severityNumber + ["log"]).map { Array($0.utf8) }

  /// A level read from the value at `i`: a name, or a number on the pino/bunyan scale.
  private func levelOfText(at i: Int, _ raw: UnsafeRawBufferPointer) -> LogLevel? {
    let t = tape[i]
    if t.kind == .string {
      if !t.hasEscapes { return LogLevel.parse(UnsafeRawBufferPointer(rebasing: raw[t.range])) }
      return LogLevel.parse(JSONTape.string(at: i, tape: tape, bytes: raw))
    }
    if t.kind == .number, let n = Self.integer(raw, t) { return LogLevel.fromNumericLevel(n) }
    return nil
  }

  /// A level read from an OpenTelemetry `severity_number` at `i`.
  private func severityNumber(at i: Int, _ raw: UnsafeRawBufferPointer) -> LogLevel? {
    guard tape[i].kind == .number, let n = Self.integer(raw, tape[i]) else { return nil }
    return LogLevel.fromOTelSeverity(n)
  }

  /// ``level`` by one lookup per key (for objects with escaped keys).
  func levelByLookup(_ raw: UnsafeRawBufferPointer) -> LogLevel? {
    for key in SchemaKeys.level {
      guard let i = JSONTape.lookup(path: key, inObjectAt: 0, tape: tape, bytes: raw) else { continue }
      if let l = levelOfText(at: i, raw) { return l }
    }
    for key in SchemaKeys.severityNumber {
      guard let i = JSONTape.lookup(path: key, inObjectAt: 0, tape: tape, bytes: raw),
        let l = severityNumber(at: i, raw)
      else { continue }
      return l
    }
    return nil
  }

  /// A small non-negative integer literal's value, without building a string.
  static func integer(_ raw: UnsafeRawBufferPointer, _ t: JSONToken) -> Int? {
    guard !t.isFloat, t.end > t.start, t.end - t.start <= 6 else { return nil }
    var v = 0
    for c in raw[t.range] {
      guard c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") else { return nil }
      v = v * 10 + Int(c - UInt8(ascii: "0"))
    }
    return v
  }

  /// The bytes as a string (for tests and diagnostics).
  public var text: String { String(decoding: bytes, as: UTF8.self) }
}
