import SluiceCore

/// Writes a batch as a Loki push request (`POST /loki/api/v1/push`, `application/json`):
///
///     {"streams":[{"stream":{"app":"api","env":"prod"},"values":[["1714564800000000000","<line>"],…]},…]}
///
/// Each event's labels are the static labels plus those read from its fields; events with the
/// same label set form one stream. Streams come in order of first appearance and keep batch
/// order within. An entry's time is the event's own (the first of ``SchemaKeys/timestamp``
/// that reads as one) or else the batch's time; its line is the event's JSON text as it is.
struct LokiEncoder: BatchEncoder, Sendable {
  /// Label values are cut to this many bytes (on a character boundary).
  static let maxLabelValueBytes = 1024

  var contentType: String { "application/json" }

  /// One label of the stream object, in name order.
  private struct Label: Sendable {
    /// `"name":"`, escaped.
    var prefix: [UInt8]
    /// The escaped static value, used when the field is missing (or there is no field).
    var staticValue: [UInt8]?
    /// The event field (key or dotted path) the value is read from.
    var field: String?
  }

  private let labels: [Label]
  private let scanner = JSONScanner()

  // Scratch, kept across batches.
  private var tape: [JSONToken] = []
  private var labelSet: [UInt8] = []
  private var decoded: [UInt8] = []
  private var streams = ByteStringGroups()
  private var streamOfEvent: [Int32] = []
  private var timeOfEvent: [Int64] = []
  private var lineOfEvent: [Range<Int>] = []
  private var grouped = GroupedEvents()

  /// - Parameters:
  ///   - staticLabels: labels every stream carries, `(name, value)`.
  ///   - labelFields: labels read from each event: `field` is a key or dotted path (see
  ///     ``JSONTape/lookup(path:inObjectAt:tape:bytes:)``). A string value is used as it is, a
  ///     number or boolean by its literal; a missing, null, empty-string, object or array
  ///     value leaves the label out (or falls back to a static label of the same name).
  ///     When two fields name the same label, the first is used.
  ///
  /// Names are expected to have passed ``validateLabelName(_:)``; values longer than
  /// ``maxLabelValueBytes`` are cut. Empty static values are left out, as Loki does.
  init(staticLabels: [(String, String)] = [], labelFields: [(label: String, field: String)] = []) {
    var byName: [String: Label] = [:]
    func prefix(_ name: String) -> [UInt8] {
      Array("\"".utf8) + EncodingBytes.escaped(name) + Array("\":\"".utf8)
    }
    for (name, value) in staticLabels where !value.isEmpty {
      byName[name] = Label(
        prefix: prefix(name), staticValue: EncodingBytes.escaped(value, limit: Self.maxLabelValueBytes), field: nil)
    }
    for (name, field) in labelFields {
      var label = byName[name] ?? Label(prefix: prefix(name), staticValue: nil, field: nil)
      if label.field == nil { label.field = field }
      byName[name] = label
    }
    labels = byName.sorted { Array($0.key.utf8).lexicographicallyPrecedes(Array($1.key.utf8)) }.map(\.value)
  }

  /// Whether `name` is a valid Loki (Prometheus) label name: `[a-zA-Z_][a-zA-Z0-9_]*`.
  static func validateLabelName(_ name: String) -> Bool {
    var first = true
    for c in name.utf8 {
      let letter =
        (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z")) || (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z"))
      let ok = letter || c == UInt8(ascii: "_") || (!first && c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9"))
      if !ok { return false }
      first = false
    }
    return !first
  }

  mutating func encode(_ ndjson: [UInt8], now: Int64, into out: inout [UInt8]) {
    streams.removeAll()
    streamOfEvent.removeAll(keepingCapacity: true)
    timeOfEvent.removeAll(keepingCapacity: true)
    lineOfEvent.removeAll(keepingCapacity: true)

    ndjson.withUnsafeBytes { raw in
      for line in NDJSONLines(raw) {
        let event = UnsafeRawBufferPointer(rebasing: raw[line])
        let isObject = (try? scanner.scan(event, into: &tape)) != nil && tape.first?.kind == .objectStart
        if !isObject { tape.removeAll(keepingCapacity: true) }
        Self.writeLabelSet(labels, tape: tape, event: event, decoded: &decoded, into: &labelSet)
        let stream = labelSet.withUnsafeBytes { streams.group(of: $0) }
        let time =
          isObject
          ? TimestampParser.nanoseconds(firstOf: SchemaKeys.timestamp, tape: tape, bytes: event)?.nanoseconds ?? now
          : now
        streamOfEvent.append(Int32(stream))
        timeOfEvent.append(time)
        lineOfEvent.append(line)
      }
    }

    grouped.build(groupOfEvent: streamOfEvent, groupCount: streams.count)
    out.reserveCapacity(out.count + ndjson.count + ndjson.count / 8 + 64 * streamOfEvent.count + 64)
    JSONWriter.appendRaw("{\"streams\":[", to: &out)
    ndjson.withUnsafeBytes { raw in
      for s in 0..<streams.count {
        if s > 0 { out.append(UInt8(ascii: ",")) }
        JSONWriter.appendRaw("{\"stream\":", to: &out)
        streams.append(group: s, to: &out)
        JSONWriter.appendRaw(",\"values\":[", to: &out)
        var first = true
        for e in grouped.events(ofGroup: s) {
          if !first { out.append(UInt8(ascii: ",")) }
          first = false
          JSONWriter.appendRaw("[\"", to: &out)
          JSONWriter.appendInt(timeOfEvent[Int(e)], to: &out)
          JSONWriter.appendRaw("\",\"", to: &out)
          JSONWriter.appendStringContent(UnsafeRawBufferPointer(rebasing: raw[lineOfEvent[Int(e)]]), to: &out)
          JSONWriter.appendRaw("\"]", to: &out)
        }
        JSONWriter.appendRaw("]}", to: &out)
      }
    }
    JSONWriter.appendRaw("]}", to: &out)
  }

  /// Writes the stream object `{"a":"x",…}` of one event (an empty tape: not an object, so
  /// static labels only). Equal label sets give equal bytes: values are decoded and escaped
  /// again the same way whatever escapes the event used.
  private static func writeLabelSet(
    _ labels: [Label], tape: [JSONToken], event: UnsafeRawBufferPointer, decoded: inout [UInt8],
    into out: inout [UInt8]
  ) {
    out.removeAll(keepingCapacity: true)
    out.append(UInt8(ascii: "{"))
    for label in labels {
      let mark = out.count
      if out.count > 1 { out.append(UInt8(ascii: ",")) }
      out.append(contentsOf: label.prefix)
      let valueStart = out.count
      if let field = label.field, !tape.isEmpty,
        let v = JSONTape.lookup(path: field, inObjectAt: 0, tape: tape, bytes: event)
      {
        let t = tape[v]
        switch t.kind {
        case .string:
          EncodingBytes.appendStringContent(
            t, bytes: event, limit: maxLabelValueBytes, scratch: &decoded, to: &out)
        case .number, .true, .false:
          out.append(contentsOf: UnsafeRawBufferPointer(rebasing: event[t.range]))
        default:
          break
        }
      }
      if out.count == valueStart, let value = label.staticValue { out.append(contentsOf: value) }
      if out.count == valueStart {
        out.removeLast(out.count - mark)  // no value: leave the label out
      } else {
        out.append(UInt8(ascii: "\""))
      }
    }
    out.append(UInt8(ascii: "}"))
  }
}
