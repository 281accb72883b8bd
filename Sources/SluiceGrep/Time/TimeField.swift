import SluiceCore

/// Which field holds an event's time, and its value as Unix nanoseconds.
///
/// Values are read by ``TimestampParser``: RFC 3339 text (`"2026-12-01T10:00:00.5+01:00"`),
/// or an epoch number — a JSON number or a string of digits — in seconds, milliseconds,
/// microseconds or nanoseconds, told apart by its magnitude.
public struct TimeField: Sendable {
  /// The keys tried, in order, when none is named.
  public static let autoKeys = ["timestamp", "ts", "time", "@timestamp", "t", "date"]
  /// journald's export keys, tried after ``autoKeys``: always microseconds.
  public static let journalKeys = ["_SOURCE_REALTIME_TIMESTAMP", "__REALTIME_TIMESTAMP"]

  /// The named field, or nil to detect one.
  public let name: String?
  private let keys: [String]

  /// nil: auto-detect — the first present of `timestamp`, `ts`, `time`, `@timestamp`, `t`,
  /// `date`, also `_SOURCE_REALTIME_TIMESTAMP`/`__REALTIME_TIMESTAMP` (µs) — as RFC 3339 text
  /// or an epoch number in s/ms/µs/ns told apart by magnitude. A name may be a dotted path
  /// (`http.time` finds the key `http.time`, else `time` inside `http`).
  ///
  /// When detecting, a key whose value does not read as a time (`"t": "abc"`) is passed over
  /// and the next one tried.
  public init(name: String?) {
    self.name = name
    keys = name.map { [$0] } ?? Self.autoKeys
  }

  /// What the time is read from, for a partial scan (``Event/loadObject(_:keeping:scanner:)``):
  /// settled by the first key tried; an event with no time in it must then be read whole.
  public var projection: JSONProjection? {
    JSONProjection(paths: keys + (name == nil ? Self.journalKeys : []), firstPresentWins: true)
  }

  /// The event's time in Unix nanoseconds; nil if the event is not structured or has no
  /// field that reads as a time.
  public func nanoseconds(in event: Event) -> Int64? {
    guard event.isStructured else { return nil }
    return event.bytes.withUnsafeBytes { raw -> Int64? in
      if let found = TimestampParser.nanoseconds(firstOf: keys, tape: event.tape, bytes: raw) {
        return found.nanoseconds
      }
      guard name == nil else { return nil }
      for key in Self.journalKeys {
        guard let i = JSONTape.lookup(path: key, inObjectAt: 0, tape: event.tape, bytes: raw) else { continue }
        if let ns = Self.microseconds(at: i, tape: event.tape, bytes: raw) { return ns }
      }
      return nil
    }
  }

  /// The time of a line ``LineDecoder`` decoded: the event's (for JSON and logfmt lines), else
  /// the time of its CRI prefix, if it had one.
  public func nanoseconds(of kind: LineKind, event: Event, decoder: LineDecoder) -> Int64? {
    if kind != .plain, let ns = nanoseconds(in: event) { return ns }
    return decoder.criPrefix?.time
  }

  /// A whole number of microseconds, written as a JSON number or a string of digits.
  static func microseconds(at index: Int, tape: [JSONToken], bytes: UnsafeRawBufferPointer) -> Int64? {
    let t = tape[index]
    guard t.kind == .number || (t.kind == .string && !t.hasEscapes), t.end > t.start, t.end - t.start <= 18 else {
      return nil
    }
    var v: Int64 = 0
    for c in bytes[t.range] {
      guard c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") else { return nil }
      v = v * 10 + Int64(c - UInt8(ascii: "0"))
    }
    let (ns, overflow) = v.multipliedReportingOverflow(by: 1_000)
    return overflow ? nil : ns
  }
}
