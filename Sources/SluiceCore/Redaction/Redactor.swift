/// Replaces what its detectors find in an event's string values with typed markers.
///
/// Structured events have every string value scanned (keys are left alone), nested
/// objects and arrays included; escaped strings are decoded, scanned and re-escaped, so an
/// address written as `a\u0040b.com` is found too. Raw events are scanned as a whole.
/// A `Redactor` owns reusable buffers: give each worker its own copy.
public struct Redactor: Sendable {
  public let detectors: [any Detector]
  /// Per-rule counts of redactions made so far, indexed like ``detectors``.
  public private(set) var counts: [Int]
  private var matches: [DetectorMatch] = []
  private var decoded: [UInt8] = []
  private var hits: [Int] = []
  private var markers: [[UInt8]]

  public init(detectors: [any Detector]) {
    self.detectors = detectors
    self.counts = Array(repeating: 0, count: detectors.count)
    self.markers = detectors.map { Array("[REDACTED:\($0.name)]".utf8) }
  }

  /// Resets ``counts`` to zero and returns what they were.
  public mutating func takeCounts() -> [Int] {
    defer { for k in counts.indices { counts[k] = 0 } }
    return counts
  }

  /// Redacts `event` in place. - Returns: the number of values replaced.
  @discardableResult
  public mutating func redact(_ event: inout Event, scanner: JSONScanner) -> Int {
    if !event.isStructured { return redactRaw(&event, scanner: scanner) }
    hits.removeAll(keepingCapacity: true)
    let tape = event.tape
    event.bytes.withUnsafeBytes { raw in
      for (k, t) in tape.enumerated() where t.kind == .string {
        if scanString(t, raw) { hits.append(k) }
      }
    }
    if hits.isEmpty { return 0 }
    let before = counts.reduce(0, +)
    do {
      try event.rewrite(scanner: scanner) { old, tape, out in
        old.withUnsafeBytes { raw in
          var cursor = 0
          for k in hits {
            let t = tape[k]
            out.append(contentsOf: raw[cursor..<Int(t.start)])
            writeRedacted(t, raw, into: &out)
            cursor = Int(t.end)
          }
          out.append(contentsOf: raw[cursor...])
        }
      }
    } catch {
      // Unreachable: only string contents change, and markers are plain ASCII.
      preconditionFailure("redaction produced invalid JSON: \(error)")
    }
    return counts.reduce(0, +) - before
  }

  /// Scans one string token; true if anything matched.
  private mutating func scanString(_ t: JSONToken, _ raw: UnsafeRawBufferPointer) -> Bool {
    matches.removeAll(keepingCapacity: true)
    let content = UnsafeRawBufferPointer(rebasing: raw[t.range])
    if t.hasEscapes {
      decoded.removeAll(keepingCapacity: true)
      JSONTape.unescape(content, into: &decoded)
      decoded.withUnsafeBytes { detectAll(in: $0) }
    } else {
      detectAll(in: content)
    }
    return !matches.isEmpty
  }

  private mutating func detectAll(in text: UnsafeRawBufferPointer) {
    for (rule, d) in detectors.enumerated() {
      d.detect(in: text, rule: rule, into: &matches)
    }
    if detectors.count > 1 { resolveOverlaps() }
  }

  /// Sorts matches and drops any that overlap an earlier, longer-starting one.
  private mutating func resolveOverlaps() {
    matches.sort { $0.range.lowerBound < $1.range.lowerBound }
    var kept = 0
    for m in matches {
      if kept > 0 && m.range.lowerBound < matches[kept - 1].range.upperBound { continue }
      matches[kept] = m
      kept += 1
    }
    matches.removeLast(matches.count - kept)
  }

  /// Writes the redacted content of string token `t` (matches are recomputed).
  private mutating func writeRedacted(_ t: JSONToken, _ raw: UnsafeRawBufferPointer, into out: inout [UInt8]) {
    _ = scanString(t, raw)
    if t.hasEscapes {
      var plain: [UInt8] = []
      decoded.withUnsafeBytes { applyMatches(to: $0, into: &plain) }
      plain.withUnsafeBytes { _ = JSONWriter.appendStringContent($0, to: &out) }
    } else {
      applyMatches(to: UnsafeRawBufferPointer(rebasing: raw[t.range]), into: &out)
    }
  }

  private mutating func applyMatches(to text: UnsafeRawBufferPointer, into out: inout [UInt8]) {
    var cursor = 0
    for m in matches {
      out.append(contentsOf: text[cursor..<m.range.lowerBound])
      out.append(contentsOf: markers[m.rule])
      counts[m.rule] += 1
      cursor = m.range.upperBound
    }
    out.append(contentsOf: text[cursor...])
  }

  private mutating func redactRaw(_ event: inout Event, scanner: JSONScanner) -> Int {
    matches.removeAll(keepingCapacity: true)
    event.bytes.withUnsafeBytes { detectAll(in: $0) }
    if matches.isEmpty { return 0 }
    let n = matches.count
    try? event.rewrite(scanner: scanner) { old, _, out in
      old.withUnsafeBytes { applyMatches(to: $0, into: &out) }
    }
    return n
  }
}
