import SluiceCore

#if canImport(Glibc)
  import Glibc
#endif

/// Turns a journal entry into one JSON record line of the shared record model, and decides
/// whether the entry passes the source's filters.
///
/// One pass over the entry's fields copies out the few it needs (``Journal/forEachField(_:)``
/// hands out bytes that are valid only during the call); everything after works on those
/// copies, in buffers reused from entry to entry.
///
/// The record: `timestamp` (`__REALTIME_TIMESTAMP`, RFC 3339 with microseconds), `level`
/// (the syslog name of `PRIORITY`), `message` (`MESSAGE`), then the kept fields as
/// `journald.*` strings. A `MESSAGE` that is a JSON object (a structured logger under
/// systemd) becomes the record itself, with `timestamp` and `level` added only if it has
/// none, and the `journald.*` fields added after its own.
struct JournalEntryMapper {
  /// What happened to one entry.
  enum Outcome: Equatable {
    /// Filtered out.
    case skipped
    /// Written; with the bytes written, the fields cut or repaired, and where in the output
    /// the message's (escaped) text is, if the entry has a text `MESSAGE`.
    case written(bytes: Int, tooLong: Int, binary: Int, message: Range<Int>?)
  }

  private static let message = 0
  private static let priority = 1

  /// The fields copied out of each entry, by slot.
  private let names: [[UInt8]]
  /// Per slot, where the copied value is in `scratch` (start, count), and its full length
  /// in the journal (-1: the entry lacks the field).
  private var starts: [Int]
  private var counts: [Int]
  private var fullCounts: [Int]
  private var scratch: [UInt8] = []
  private var seen = 0
  /// Bytes of entry data enumerated so far (the reader reopens the journal after a while,
  /// which unmaps what sd-journal has mapped).
  var bytesSeen = 0

  /// Kept fields: slot and the pre-encoded `,"journald.unit":` that precedes the value.
  private let kept: [(slot: Int, prefix: [UInt8])]
  /// `units` / `identifiers`: the entry passes if any of these slots has any of its values.
  private let anyOf: [(slot: Int, values: [[UInt8]])]
  /// Raw matches: every group must match (one field's alternative values).
  private let allOf: [(slot: Int, values: [[UInt8]])]
  private let maxPriority: UInt8?
  private let unitSlot: Int?
  private let identifierSlot: Int?
  private let maxFieldBytes: Int

  private var messageEvent = Event()
  private let scanner = JSONScanner()

  init(_ config: JournaldSourceConfig) {
    var names: [[UInt8]] = [Array("MESSAGE".utf8), Array("PRIORITY".utf8)]
    func slot(_ field: String) -> Int {
      let bytes = Array(field.utf8)
      if let i = names.firstIndex(of: bytes) { return i }
      names.append(bytes)
      return names.count - 1
    }
    kept = config.fields.map { f in
      var prefix: [UInt8] = [UInt8(ascii: ",")]
      JSONWriter.appendString(f.key, to: &prefix)
      prefix.append(UInt8(ascii: ":"))
      return (slot(f.field), prefix)
    }
    var anyOf: [(Int, [[UInt8]])] = []
    if !config.units.isEmpty { anyOf.append((slot("_SYSTEMD_UNIT"), config.unitValues.map { Array($0.utf8) })) }
    if !config.identifiers.isEmpty {
      anyOf.append((slot("SYSLOG_IDENTIFIER"), config.identifiers.map { Array($0.utf8) }))
    }
    self.anyOf = anyOf
    var groups: [String: [[UInt8]]] = [:]
    var order: [String] = []
    for m in config.matches {
      guard let eq = m.firstIndex(of: "=") else { continue }
      let field = String(m[..<eq])
      if groups[field] == nil { order.append(field) }
      groups[field, default: []].append(Array(m[m.index(after: eq)...].utf8))
    }
    allOf = order.map { (slot($0), groups[$0]!) }
    if config.multiline != nil {
      unitSlot = slot("_SYSTEMD_UNIT")
      identifierSlot = slot("SYSLOG_IDENTIFIER")
    } else {
      unitSlot = names.firstIndex(of: Array("_SYSTEMD_UNIT".utf8))
      identifierSlot = names.firstIndex(of: Array("SYSLOG_IDENTIFIER".utf8))
    }
    maxPriority = config.priority.map { UInt8(ascii: "0") + UInt8($0.value) }
    maxFieldBytes = config.maxFieldBytes.bytes
    self.names = names
    starts = Array(repeating: 0, count: names.count)
    counts = Array(repeating: 0, count: names.count)
    fullCounts = Array(repeating: -1, count: names.count)
  }

  /// Reads the current entry of `journal` and, if it passes the filters, appends its record
  /// to `out`.
  mutating func map(_ journal: Journal, into out: inout [UInt8]) -> Outcome {
    collect(journal)
    guard passes() else { return .skipped }
    return write(realtime: journal.realtimeMicroseconds(), into: &out)
  }

  /// Copies the wanted fields of the current entry (the first occurrence of each).
  private mutating func collect(_ journal: Journal) {
    scratch.removeAll(keepingCapacity: true)
    for i in fullCounts.indices { fullCounts[i] = -1 }
    seen = 0
    let wanted = names.count
    journal.forEachField { item in
      bytesSeen &+= item.count
      guard let base = item.baseAddress else { return true }
      let p = base.assumingMemoryBound(to: UInt8.self)
      let scan = min(item.count, 65)
      guard let eqPointer = memchr(p, Int32(UInt8(ascii: "=")), scan) else { return true }
      let nameLength = UnsafeRawPointer(eqPointer) - base
      for s in 0..<wanted where fullCounts[s] < 0 && names[s].count == nameLength {
        let same = names[s].withUnsafeBytes { memcmp($0.baseAddress!, p, nameLength) == 0 }
        guard same else { continue }
        let valueStart = nameLength + 1
        let full = item.count - valueStart
        let take = Self.utf8Prefix(p + valueStart, min(full, maxFieldBytes), full)
        starts[s] = scratch.count
        counts[s] = take
        fullCounts[s] = full
        scratch.append(contentsOf: UnsafeRawBufferPointer(start: p + valueStart, count: take))
        seen += 1
        break
      }
      // Every wanted field found: the rest of the entry is not needed.
      return seen < wanted
    }
  }

  /// `limit` bytes of `p`, backed off to a UTF-8 sequence boundary if the value was cut.
  private static func utf8Prefix(_ p: UnsafePointer<UInt8>, _ limit: Int, _ full: Int) -> Int {
    guard limit < full else { return full }
    var n = limit
    var back = 0
    while n > 0 && back < 3 && p[n] & 0xC0 == 0x80 {
      n -= 1
      back += 1
    }
    return back == 3 && p[n] & 0xC0 == 0x80 ? limit : n
  }

  /// The current entry's `MESSAGE` as read (cut to `max_field_bytes`), if it has one.
  var message: ArraySlice<UInt8>? { value(Self.message) }

  /// The current entry's `_SYSTEMD_UNIT`, else its `SYSLOG_IDENTIFIER` (what multiline
  /// joining groups by), if kept or filtered on.
  var stream: ArraySlice<UInt8>? { unitSlot.flatMap { value($0) } ?? identifierSlot.flatMap { value($0) } }

  private func value(_ slot: Int) -> ArraySlice<UInt8>? {
    fullCounts[slot] < 0 ? nil : scratch[starts[slot]..<starts[slot] + counts[slot]]
  }

  private func passes() -> Bool {
    if let maxPriority {
      // PRIORITY is one digit; an entry without one (or with garbage) is not filtered by it.
      if let p = value(Self.priority), p.count == 1, p.first! > maxPriority { return false }
    }
    if !anyOf.isEmpty {
      let hit = anyOf.contains { slot, values in
        guard let v = value(slot) else { return false }
        return values.contains { $0.elementsEqual(v) }
      }
      if !hit { return false }
    }
    for (slot, values) in allOf {
      guard let v = value(slot), values.contains(where: { $0.elementsEqual(v) }) else { return false }
    }
    return true
  }

  private static let timestampKey: StaticString = "\"timestamp\":\""
  private static let levelKey: StaticString = "\"level\":\""
  private static let messageKey: StaticString = "\"message\":\""

  private mutating func write(realtime: UInt64, into out: inout [UInt8]) -> Outcome {
    let start = out.count
    messageIsRecord = false
    var tooLong = 0
    var binary = 0
    for s in names.indices where fullCounts[s] > counts[s] { tooLong += 1 }
    out.append(UInt8(ascii: "{"))
    var needsComma = false
    var hasTime = false
    var hasLevel = false
    // A complete MESSAGE holding a JSON object becomes the record.
    if fullCounts[Self.message] >= 0, fullCounts[Self.message] == counts[Self.message],
      let inner = jsonObjectMembers(of: Self.message)
    {
      hasTime = messageEvent.valueIndex(forAnyOf: SchemaKeys.timestamp) != nil
      hasLevel = messageEvent.valueIndex(forAnyOf: SchemaKeys.level) != nil
      messageEvent.bytes.withUnsafeBytes { raw in
        out.append(contentsOf: UnsafeRawBufferPointer(rebasing: raw[inner]))
      }
      needsComma = !inner.isEmpty
    }
    if !hasTime {
      if needsComma { out.append(UInt8(ascii: ",")) }
      JSONWriter.appendRaw(Self.timestampKey, to: &out)
      RFC3339.appendMicroseconds(Int64(clamping: realtime) &* 1000, to: &out)
      out.append(UInt8(ascii: "\""))
      needsComma = true
    }
    if !hasLevel, let p = value(Self.priority), p.count == 1, let digit = p.first,
      (UInt8(ascii: "0")...UInt8(ascii: "7")).contains(digit)
    {
      if needsComma { out.append(UInt8(ascii: ",")) }
      JSONWriter.appendRaw(Self.levelKey, to: &out)
      out.append(contentsOf: JournalPriority.nameBytes[Int(digit - UInt8(ascii: "0"))])
      out.append(UInt8(ascii: "\""))
      needsComma = true
    }
    var messageRange: Range<Int>?
    if !messageIsRecord, fullCounts[Self.message] >= 0 {
      if needsComma { out.append(UInt8(ascii: ",")) }
      JSONWriter.appendRaw(Self.messageKey, to: &out)
      let textStart = out.count
      binary += appendContent(Self.message, to: &out)
      messageRange = textStart..<out.count
      out.append(UInt8(ascii: "\""))
      needsComma = true
    }
    for (slot, prefix) in kept where fullCounts[slot] >= 0 {
      if needsComma {
        out.append(contentsOf: prefix)
      } else {
        out.append(contentsOf: prefix[1...])
      }
      out.append(UInt8(ascii: "\""))
      binary += appendContent(slot, to: &out)
      out.append(UInt8(ascii: "\""))
      needsComma = true
    }
    out.append(UInt8(ascii: "}"))
    return .written(bytes: out.count - start, tooLong: tooLong, binary: binary, message: messageRange)
  }

  /// Set by ``jsonObjectMembers(of:)`` for the entry being written.
  private var messageIsRecord = false

  /// If the slot's value is a JSON object, parses it into `messageEvent` and returns the
  /// range of its members (between the braces) in `messageEvent.bytes`.
  private mutating func jsonObjectMembers(of slot: Int) -> Range<Int>? {
    let range = starts[slot]..<starts[slot] + counts[slot]
    var first = range.lowerBound
    while first < range.upperBound && (scratch[first] == 0x20 || scratch[first] == 0x09) { first += 1 }
    guard first < range.upperBound, scratch[first] == UInt8(ascii: "{") else { return nil }
    scratch.withUnsafeBytes { raw in messageEvent.load(UnsafeRawBufferPointer(rebasing: raw[range])) }
    let valid = messageEvent.bytes.withUnsafeBytes { UTF8Validation.isValid($0) }
    guard valid, case (.object, _) = messageEvent.parse(using: scanner) else { return nil }
    guard let close = messageEvent.bytes.lastIndex(of: UInt8(ascii: "}")),
      let open = messageEvent.bytes.firstIndex(of: UInt8(ascii: "{"))
    else { return nil }
    var lower = open + 1
    var upper = close
    let bytes = messageEvent.bytes
    func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D }
    while lower < upper && isSpace(bytes[lower]) { lower += 1 }
    while upper > lower && isSpace(bytes[upper - 1]) { upper -= 1 }
    messageIsRecord = true
    return lower..<upper
  }

  /// Writes the slot's value as JSON string content; returns how many invalid UTF-8
  /// sequences were replaced (non-zero: the field was binary).
  private func appendContent(_ slot: Int, to out: inout [UInt8]) -> Int {
    let range = starts[slot]..<starts[slot] + counts[slot]
    let repaired = scratch.withUnsafeBytes { raw in
      JSONWriter.appendStringContent(UnsafeRawBufferPointer(rebasing: raw[range]), to: &out)
    }
    return repaired > 0 ? 1 : 0
  }
}

extension JournalPriority {
  /// ``names`` as bytes, for writing `level`.
  static let nameBytes: [[UInt8]] = names.map { Array($0.utf8) }
}
