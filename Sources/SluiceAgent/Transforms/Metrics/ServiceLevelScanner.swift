import SluiceCore

/// ``ServiceAndLevel``'s answers from one pass over an event's top-level keys.
///
/// Each key is matched by its length and its bytes read eight at a time: the candidates for
/// a key of length L are `lengthStart[L]..<lengthStart[L + 1]`, each with up to three packed
/// words (keys are at most 24 bytes). The pass stops as soon as the first service key and the
/// first level key are both seen with values that decide (`level` and `service` in the
/// layouts SluiceLog and most loggers write), and hands over to ``ServiceAndLevel``'s general
/// lookups when it cannot decide: an escaped key, a nested `service`/`log`/`k8s`/`journald`/
/// `syslog` object, an escaped or numeric level.
struct ServiceLevelScanner {
  /// What a candidate key is: a slot in the found table, and whether it is also a nested
  /// parent (`service` may be a string or the parent of `service.name`).
  private struct Candidate {
    var words: (UInt64, UInt64, UInt64)
    /// Index into the found table, or -1 for a key that is only a nested parent.
    var slot: Int
    var isParent: Bool
  }

  private let table: [Candidate]
  private let lengthStart: [Int]
  /// Per key length: bit `b & 63` is set when some candidate of that length starts with byte
  /// `b`. Most keys are no candidate and are passed over on this one test.
  private let firstBytes: [UInt64]
  private let maxLength: Int
  // The group bounds as instance constants: statics are lazy globals, checked per read.
  private let firstService = Self.serviceRange.lowerBound

  init() {
    var byLength = [[Candidate]](repeating: [], count: 25)
    func add(_ key: String, slot: Int, isParent: Bool) {
      let bytes = Array(key.utf8)
      precondition(bytes.count < byLength.count, "a candidate key longer than 24 bytes")
      if let k = byLength[bytes.count].firstIndex(where: {
        $0.words == Self.words(bytes)
      }) {
        byLength[bytes.count][k].isParent = byLength[bytes.count][k].isParent || isParent
        if slot >= 0 && byLength[bytes.count][k].slot < 0 { byLength[bytes.count][k].slot = slot }
        return
      }
      byLength[bytes.count].append(Candidate(words: Self.words(bytes), slot: slot, isParent: isParent))
    }
    for (slot, key) in Self.flatKeys.enumerated() { add(key, slot: slot, isParent: false) }
    for parent in Self.nestedParents { add(parent, slot: -1, isParent: true) }
    var table: [Candidate] = []
    var lengthStart: [Int] = []
    for length in byLength.indices {
      lengthStart.append(table.count)
      table.append(contentsOf: byLength[length])
    }
    lengthStart.append(table.count)
    precondition(Self.flatKeys.count <= Self.foundCapacity)
    firstBytes = byLength.map { $0.reduce(0) { mask, c in mask | 1 << (c.words.0 & 63) } }
    self.table = table
    self.lengthStart = lengthStart
    maxLength = byLength.count - 1
  }

  private static func words(_ bytes: [UInt8]) -> (UInt64, UInt64, UInt64) {
    (
      ByteWords.prefix(bytes[0...]), bytes.count > 8 ? ByteWords.prefix(bytes[8...]) : 0,
      bytes.count > 16 ? ByteWords.prefix(bytes[16...]) : 0
    )
  }

  /// Every flat key ``scan(_:)`` looks for, by group: levels (in ``SchemaKeys/level``
  /// order), then `severity_number`, then services, then priorities.
  static let flatKeys: [String] =
    SchemaKeys.level + SchemaKeys.severityNumber + ServiceAndLevel.serviceKeys + ServiceAndLevel.priorityKeys.dropLast()
  /// Top-level keys whose object value holds keys the flat pass does not see.
  static let nestedParents = ["log", "service", "k8s", "journald", "syslog"]
  static let levelRange = 0..<SchemaKeys.level.count
  static let severityNumberSlot = SchemaKeys.level.count
  static let serviceRange = (severityNumberSlot + 1)..<(severityNumberSlot + 1 + ServiceAndLevel.serviceKeys.count)
  static let priorityRange = serviceRange.upperBound..<flatKeys.count
  /// The found table's size (a fixed-size local: ``flatKeys`` must fit).
  static let foundCapacity = 16

  /// The level, if the first service key's value is usable and the first level key's value
  /// is a level name: then no later key can change the answer.
  @inline(__always)
  static func decidedLevel(service: JSONToken, level: JSONToken, _ bytes: UnsafeRawBufferPointer) -> LogLevel? {
    guard (service.kind == .string && service.end > service.start) || service.kind == .number else { return nil }
    guard level.kind == .string, !level.hasEscapes else { return nil }
    return LogLevel.parse(UnsafeRawBufferPointer(rebasing: bytes[level.range]))
  }

  /// The service's tape index and the level index, from one pass over the top-level keys
  /// (the same answers as ``ServiceAndLevel/serviceIndex(in:)`` and
  /// ``ServiceAndLevel/levelIndex(of:)``, which run instead when the pass cannot decide).
  func scan(_ event: Event) -> (service: Int?, level: Int) {
    // Slot c holds the tape index of key c's value, or 0 if not seen (index 0 is the object).
    withUnsafeTemporaryAllocation(of: Int32.self, capacity: Self.foundCapacity) { found in
      found.initialize(repeating: 0)
      return scan(event, found)
    }
  }

  private func scan(_ event: Event, _ found: UnsafeMutableBufferPointer<Int32>) -> (service: Int?, level: Int) {
    let firstService = self.firstService
    let outcome: Int = event.bytes.withUnsafeBytes { bytes in
      event.tape.withUnsafeBufferPointer { tape in
        firstBytes.withUnsafeBufferPointer { firstBytes in
          let base = bytes.baseAddress!
          let maxLength = firstBytes.count &- 1
          var i = 1
          while i < tape.count {
            let k = tape[i]
            guard k.kind == .key else { break }
            if k.hasEscapes { return -1 }
            let v = tape[i &+ 1]
            let length = Int(k.end &- k.start)
            let key = base + Int(k.start)
            // Most keys are no candidate: one table test passes them over.
            if length <= maxLength && firstBytes[length] & (1 << (key.load(as: UInt8.self) & 63)) != 0 {
              let c = candidate(key, length, end: base + bytes.count)
              if c >= 0 {
                if table[c].isParent && v.kind == .objectStart { return -1 }  // nested: not this pass's
                let slot = table[c].slot
                if slot >= 0 && found[slot] == 0 {
                  found[slot] = Int32(truncatingIfNeeded: i &+ 1)
                  // The first key of each group outranks the rest: once both are here with
                  // values that decide, stop.
                  if found[0] > 0 && found[firstService] > 0 && (slot == 0 || slot == firstService),
                    let l = Self.decidedLevel(
                      service: tape[Int(found[firstService])], level: tape[Int(found[0])], bytes)
                  {
                    return Int(l.rawValue)
                  }
                }
              }
            }
            i = v.kind == .objectStart || v.kind == .arrayStart ? Int(v.end) : i &+ 2
          }
          return -2
        }
      }
    }
    if outcome == -1 { return (ServiceAndLevel.serviceIndex(in: event), ServiceAndLevel.levelIndex(of: event)) }
    if outcome >= 0 { return (Int(found[firstService]), outcome) }
    return finish(event, found)
  }

  /// The candidate whose name is the `length` bytes at `key`, or -1.
  @inline(never)
  private func candidate(_ key: UnsafeRawPointer, _ length: Int, end: UnsafeRawPointer) -> Int {
    let w0 = ByteWords.prefix(key, min(length, 8), end: end)
    for j in lengthStart[length]..<lengthStart[length &+ 1] where table[j].words.0 == w0 {
      if length <= 8 || tailMatches(table[j], key, length, end: end) { return j }
    }
    return -1
  }

  /// Whether the bytes after the first eight of a key longer than eight match `c`'s (apart,
  /// so that ``candidate(_:_:end:)``'s loop for the common short keys stays small).
  @inline(never)
  private func tailMatches(_ c: Candidate, _ key: UnsafeRawPointer, _ length: Int, end: UnsafeRawPointer) -> Bool {
    guard c.words.1 == ByteWords.prefix(key + 8, min(length &- 8, 8), end: end) else { return false }
    return length <= 16 || c.words.2 == ByteWords.prefix(key + 16, length &- 16, end: end)
  }

  /// The answers after a full pass that did not decide early.
  private func finish(_ event: Event, _ found: UnsafeMutableBufferPointer<Int32>) -> (service: Int?, level: Int) {
    let tape = event.tape
    var service: Int?
    for c in Self.serviceRange where found[c] > 0 {
      let t = tape[Int(found[c])]
      if (t.kind == .string && t.end > t.start) || t.kind == .number {
        service = Int(found[c])
        break
      }
    }
    var level: Int?
    event.bytes.withUnsafeBytes { bytes in
      for c in Self.levelRange where found[c] > 0 && level == nil {
        let t = tape[Int(found[c])]
        if t.kind == .string, !t.hasEscapes {
          if let l = LogLevel.parse(UnsafeRawBufferPointer(rebasing: bytes[t.range])) { level = Int(l.rawValue) }
        } else if t.kind == .string || t.kind == .number {
          level = -1  // escaped or numeric: let Event.level decide
        }
      }
    }
    if let level, level >= 0 { return (service, level) }
    if level == nil && found[Self.severityNumberSlot] == 0 && !Self.priorityRange.contains(where: { found[$0] > 0 }) {
      return (service, ServiceAndLevel.unknownLevel)
    }
    return (service, ServiceAndLevel.levelIndex(of: event))
  }
}
