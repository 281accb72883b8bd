import Foundation
import SluiceCore

/// Where the default metrics find an event's service and level.
///
/// `service` is the first non-empty string (or number) among ``serviceKeys`` — `service`,
/// `service.name` (flat, as OpenTelemetry and ECS write it, or nested), `k8s.container.name`
/// (added for container logs under /var/log/pods), `journald.unit` — else the source's name.
///
/// `level` is the event's level in any schema Sluice reads (``Event/level``), normalised to
/// swift-log's seven names; failing that, a numeric syslog priority in `priority`,
/// `syslog.priority`, `syslog.severity` or `level` (0–2 critical, 3 error, 4 warning,
/// 5 notice, 6 info, 7 debug); else `unknown`. The error family is error and critical: the
/// names err, error, fatal, critical, crit, alert, emerg, panic and priority ≤ 3.
enum ServiceAndLevel {
  static let serviceKeys = ["service", "service.name", "k8s.container.name", "journald.unit"]
  static let priorityKeys = ["priority", "syslog.priority", "syslog.severity", "level"]
  /// Label values by level index (``LogLevel/rawValue``; 7 is unknown).
  static let levelNames: [[UInt8]] = LogLevel.allCases.map { Array($0.name.utf8) } + [Array("unknown".utf8)]
  static let unknownLevel = LogLevel.allCases.count

  /// The tape index of the service value, or nil if the event has none (use the source name).
  static func serviceIndex(in event: Event) -> Int? {
    for key in serviceKeys {
      guard let i = event.valueIndex(at: key) else { continue }
      let t = event.tape[i]
      if (t.kind == .string && t.end > t.start) || t.kind == .number { return i }
    }
    return nil
  }

  /// The level index: a ``LogLevel`` raw value, or ``unknownLevel``.
  static func levelIndex(of event: Event) -> Int {
    if let level = event.level { return Int(level.rawValue) }
    for key in priorityKeys {
      guard let i = event.valueIndex(at: key), event.tape[i].kind == .number else { continue }
      let t = event.tape[i]
      guard t.end == t.start + 1 else { continue }
      switch event.bytes[Int(t.start)] {
      case UInt8(ascii: "0")...UInt8(ascii: "2"): return Int(LogLevel.critical.rawValue)
      case UInt8(ascii: "3"): return Int(LogLevel.error.rawValue)
      case UInt8(ascii: "4"): return Int(LogLevel.warning.rawValue)
      case UInt8(ascii: "5"): return Int(LogLevel.notice.rawValue)
      case UInt8(ascii: "6"): return Int(LogLevel.info.rawValue)
      case UInt8(ascii: "7"): return Int(LogLevel.debug.rawValue)
      default: continue
      }
    }
    return unknownLevel
  }

  static func isError(levelIndex: Int) -> Bool {
    levelIndex != unknownLevel && levelIndex >= Int(LogLevel.error.rawValue)
  }
}

/// ``ServiceAndLevel``'s answers from one pass over an event's top-level keys. Its tables are
/// copied into each instance, so the per-event path reads no globals.
struct ServiceLevelScanner {
  /// ``flatKeys`` back to back, where each starts, and the key slots by length:
  /// the candidates for a key of length L are `candidates[lengthStart[L]..<lengthStart[L+1]]`.
  /// Flat arrays, read through one buffer pointer each: no reference counting per key.
  private let keyBytes: [UInt8]
  private let keyStart: [Int]
  private let candidates: [Int]
  private let lengthStart: [Int]
  private let nestedParents = Self.nestedParents
  // The group bounds as instance constants: static ones are lazy globals, checked per read.
  private let levelRange = Self.levelRange
  private let serviceRange = Self.serviceRange
  private let severityNumberSlot = Self.severityNumberSlot
  private let priorityRange = Self.priorityRange

  init() {
    keyBytes = Self.flatKeys.flatMap { $0 }
    var start: [Int] = []
    var offset = 0
    for key in Self.flatKeys {
      start.append(offset)
      offset += key.count
    }
    keyStart = start
    var candidates: [Int] = []
    var lengthStart: [Int] = []
    for length in 0...Self.byLength.count {
      lengthStart.append(candidates.count)
      if length < Self.byLength.count { candidates.append(contentsOf: Self.byLength[length]) }
    }
    self.candidates = candidates
    self.lengthStart = lengthStart
  }

  /// Every flat key ``scan(_:)`` looks for, by group: levels (in ``SchemaKeys/level``
  /// order), then `severity_number`, then services, then priorities.
  static let flatKeys: [[UInt8]] =
    (SchemaKeys.level + SchemaKeys.severityNumber + ServiceAndLevel.serviceKeys
    + ServiceAndLevel.priorityKeys.dropLast()).map { Array($0.utf8) }
  /// Indices into ``flatKeys`` by key length.
  static let byLength: [[Int]] = {
    var table = [[Int]](repeating: [], count: (flatKeys.map(\.count).max() ?? 0) + 1)
    for (c, key) in flatKeys.enumerated() { table[key.count].append(c) }
    return table
  }()
  static let nestedParents: [[UInt8]] = ["log", "service", "k8s", "journald", "syslog"].map { Array($0.utf8) }
  static let levelRange = 0..<SchemaKeys.level.count
  static let severityNumberSlot = SchemaKeys.level.count
  static let serviceRange = (severityNumberSlot + 1)..<(severityNumberSlot + 1 + ServiceAndLevel.serviceKeys.count)
  static let priorityRange = serviceRange.upperBound..<flatKeys.count

  /// The level, if the first service key's value is usable and the first level key's value
  /// is a level name: then no later key can change the answer.
  @inline(__always)
  static func decidedLevel(service: JSONToken, level: JSONToken, _ bytes: UnsafeRawBufferPointer) -> LogLevel? {
    guard (service.kind == .string && service.end > service.start) || service.kind == .number else { return nil }
    guard level.kind == .string, !level.hasEscapes else { return nil }
    return LogLevel.parse(UnsafeRawBufferPointer(rebasing: bytes[level.range]))
  }

  /// Byte equality of two buffers of the same length, inline (keys are short: a call to
  /// memcmp costs more than the comparison).
  @inline(__always)
  static func equal(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
    for k in 0..<a.count where a[k] != b[k] { return false }
    return true
  }

  /// The service's tape index and the level index, from one pass over the top-level keys
  /// (the same answers as ``serviceIndex(in:)`` and ``levelIndex(of:)``, which run instead
  /// when the pass cannot decide: an escaped key, a nested `service` or `log` object, no
  /// level key).
  func scan(_ event: Event) -> (service: Int?, level: Int) {
    let tape = event.tape
    var found = (Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int)(
      -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1)
    var slow = false
    var triedDecision = false
    var decided: (Int, Int)?
    let firstLevel = levelRange.lowerBound
    let firstService = serviceRange.lowerBound
    let maxLength = lengthStart.count - 2
    withUnsafeMutableBytes(of: &found) { raw in
      let slots = raw.bindMemory(to: Int.self)
      event.bytes.withUnsafeBytes { bytes in
        tape.withUnsafeBufferPointer { tape in
          keyBytes.withUnsafeBytes { keyBytes in
            keyStart.withUnsafeBufferPointer { keyStart in
              candidates.withUnsafeBufferPointer { candidates in
                lengthStart.withUnsafeBufferPointer { lengthStart in
                  var i = 1
                  while i < tape.count, tape[i].kind == .key {
                    let k = tape[i]
                    if k.hasEscapes {
                      slow = true
                      return
                    }
                    let length = Int(k.end &- k.start)
                    let key = bytes.baseAddress! + Int(k.start)
                    if length <= maxLength {
                      for j in lengthStart[length]..<lengthStart[length &+ 1] {
                        let c = candidates[j]
                        guard slots[c] < 0 else { continue }
                        let want = keyBytes.baseAddress! + keyStart[c]
                        var same = true
                        for b in 0..<length
                        where want.load(fromByteOffset: b, as: UInt8.self)
                          != key.load(fromByteOffset: b, as: UInt8.self)
                        {
                          same = false
                          break
                        }
                        if same { slots[c] = i &+ 1 }
                      }
                    }
                    let v = tape[i &+ 1]
                    if v.kind == .objectStart, length <= 8,
                      nestedParents.contains(where: { p in
                        p.count == length
                          && p.withUnsafeBytes { Self.equal($0, UnsafeRawBufferPointer(start: key, count: length)) }
                      })
                    {
                      // `log`, `service`, `k8s`, `journald`: a nested form the flat pass does not see.
                      slow = true
                      return
                    }
                    // The first key of each group outranks the rest: once both are here with
                    // values that decide, stop.
                    if !triedDecision && slots[firstLevel] > 0 && slots[firstService] > 0 {
                      triedDecision = true
                      if let l = Self.decidedLevel(
                        service: tape[slots[firstService]], level: tape[slots[firstLevel]], bytes)
                      {
                        decided = (slots[firstService], Int(l.rawValue))
                        return
                      }
                    }
                    i = v.kind == .objectStart || v.kind == .arrayStart ? Int(v.end) : i &+ 2
                  }
                }
              }
            }
          }
        }
      }
    }
    if slow { return (ServiceAndLevel.serviceIndex(in: event), ServiceAndLevel.levelIndex(of: event)) }
    if let decided { return decided }
    return withUnsafeBytes(of: &found) { raw -> (Int?, Int) in
      let slots = raw.bindMemory(to: Int.self)
      var service: Int?
      for c in serviceRange where slots[c] > 0 {
        let t = tape[slots[c]]
        if (t.kind == .string && t.end > t.start) || t.kind == .number {
          service = slots[c]
          break
        }
      }
      var level: Int?
      event.bytes.withUnsafeBytes { bytes in
        for c in levelRange where slots[c] > 0 && level == nil {
          let t = tape[slots[c]]
          if t.kind == .string, !t.hasEscapes {
            if let l = LogLevel.parse(UnsafeRawBufferPointer(rebasing: bytes[t.range])) { level = Int(l.rawValue) }
          } else if t.kind == .string || t.kind == .number {
            level = -1  // escaped or numeric: let Event.level decide
          }
        }
      }
      if let level, level >= 0 { return (service, level) }
      if level == nil && slots[severityNumberSlot] < 0 && !priorityRange.contains(where: { slots[$0] > 0 }) {
        return (service, ServiceAndLevel.unknownLevel)
      }
      return (service, ServiceAndLevel.levelIndex(of: event))
    }
  }

}
