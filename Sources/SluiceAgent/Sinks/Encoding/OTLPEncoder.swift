import SluiceCore

/// Writes a batch as an OTLP/HTTP JSON logs request (`POST /v1/logs`, `application/json`): the
/// JSON mapping of `ExportLogsServiceRequest`.
///
///     {"resourceLogs":[{"resource":{"attributes":[{"key":"k8s.pod.name","value":{"stringValue":"api-7f9c"}}]},
///       "scopeLogs":[{"scope":{"name":"sluice","version":"0.1.0"},"logRecords":[{…},{…}]}]}]}
///
/// Per event:
/// - The resource fields (``defaultResourceFields`` unless configured) move to the resource,
///   after the static resource attributes; events with equal resources share one
///   `resourceLogs` entry, in order of first appearance, keeping batch order within.
/// - `timeUnixNano` is the first of ``SchemaKeys/timestamp`` that reads as a time (left out
///   otherwise); `observedTimeUnixNano` is the batch's time.
/// - The severity comes from the first level field (``SchemaKeys/level``) that ``LogLevel``
///   understands, its text kept as `severityText`; a `severity_number` of 1–24 takes
///   precedence for `severityNumber`.
/// - The body is the first non-null message field (``SchemaKeys/message``).
/// - `trace_id`/`traceId`/`trace.id` and `span_id`/`spanId`/`span.id` become `traceId` and
///   `spanId` when they are 32 and 16 hex digits (not all zero), lowercased; otherwise they stay
///   attributes.
/// - Every other member is an attribute, typed: string, `intValue` (a decimal string), double,
///   bool, `kvlistValue` for objects, `arrayValue` for arrays. Null members are left out (in
///   arrays a null is an empty value, `{}`).
///
/// A line that is not a JSON object (the pipeline does not send one) becomes a record whose
/// body is the line as a string.
struct OTLPEncoder: BatchEncoder, Sendable {
  /// Event keys moved into resource attributes unless configured otherwise: OpenTelemetry's
  /// semantic-convention names, as Sluice's Kubernetes metadata and SluiceLog write them.
  static let defaultResourceFields = [
    "service.name", "service.namespace", "service.version", "service.instance.id", "host.name",
    "k8s.namespace.name", "k8s.pod.name", "k8s.pod.uid", "k8s.container.name", "k8s.node.name",
    "k8s.deployment.name", "container.id",
  ]
  /// Fields read as the trace id, in order.
  static let traceIDKeys = ["trace_id", "traceId", "trace.id"]
  /// Fields read as the span id, in order.
  static let spanIDKeys = ["span_id", "spanId", "span.id"]

  var contentType: String { "application/json" }

  /// One resource attribute: a static value, an event field, or both (the field wins).
  private struct ResourceSlot: Sendable {
    /// `{"key":"<name>","value":`
    var prefix: [UInt8]
    /// `{"stringValue":"…"}`
    var staticValue: [UInt8]?
    var field: String?
  }

  /// Buffers reused for every event.
  private struct Scratch: Sendable {
    var decoded: [UInt8] = []
    /// Tape indices of values written outside the attributes (time, severity, body, ids,
    /// resource): their members are not repeated as attributes.
    var consumed: [Int] = []
  }

  private let resource: [ResourceSlot]
  /// `]},"scopeLogs":[{"scope":{"name":"sluice","version":"…"},"logRecords":[`
  private let scopeHead: [UInt8]
  private let scanner = JSONScanner()

  // Scratch, kept across batches.
  private var tape: [JSONToken] = []
  private var scratch = Scratch()
  private var resourceAttributes: [UInt8] = []
  private var records: [UInt8] = []
  private var recordOfEvent: [Range<Int>] = []
  private var resourceOfEvent: [Int32] = []
  private var resources = ByteStringGroups()
  private var grouped = GroupedEvents()

  /// - Parameters:
  ///   - resourceFields: event keys (or dotted paths) moved into the resource attributes.
  ///   - staticResource: resource attributes every record carries, `(key, value)`; an event
  ///     field of the same key in `resourceFields` overrides the value.
  ///   - scopeName: the instrumentation scope's name.
  ///   - scopeVersion: the instrumentation scope's version.
  init(
    resourceFields: [String] = OTLPEncoder.defaultResourceFields, staticResource: [(String, String)] = [],
    scopeName: String = "sluice", scopeVersion: String = SluiceVersion.string
  ) {
    func prefix(_ key: String) -> [UInt8] {
      Array("{\"key\":\"".utf8) + EncodingBytes.escaped(key) + Array("\",\"value\":".utf8)
    }
    var slots: [ResourceSlot] = []
    for (key, value) in staticResource where !slots.contains(where: { $0.prefix == prefix(key) }) {
      let encoded = Array("{\"stringValue\":\"".utf8) + EncodingBytes.escaped(value) + Array("\"}".utf8)
      slots.append(ResourceSlot(prefix: prefix(key), staticValue: encoded, field: nil))
    }
    for field in resourceFields {
      if let k = slots.firstIndex(where: { $0.prefix == prefix(field) }) {
        if slots[k].field == nil { slots[k].field = field }
      } else {
        slots.append(ResourceSlot(prefix: prefix(field), staticValue: nil, field: field))
      }
    }
    resource = slots
    scopeHead =
      Array("]},\"scopeLogs\":[{\"scope\":{\"name\":\"".utf8) + EncodingBytes.escaped(scopeName)
      + Array("\",\"version\":\"".utf8) + EncodingBytes.escaped(scopeVersion) + Array("\"},\"logRecords\":[".utf8)
  }

  mutating func encode(_ ndjson: [UInt8], now: Int64, into out: inout [UInt8]) {
    resources.removeAll()
    records.removeAll(keepingCapacity: true)
    recordOfEvent.removeAll(keepingCapacity: true)
    resourceOfEvent.removeAll(keepingCapacity: true)

    ndjson.withUnsafeBytes { raw in
      for line in NDJSONLines(raw) {
        let event = UnsafeRawBufferPointer(rebasing: raw[line])
        let isObject = (try? scanner.scan(event, into: &tape)) != nil && tape.first?.kind == .objectStart
        if !isObject { tape.removeAll(keepingCapacity: true) }
        scratch.consumed.removeAll(keepingCapacity: true)
        Self.writeResource(resource, tape: tape, event: event, scratch: &scratch, into: &resourceAttributes)
        let r = resourceAttributes.withUnsafeBytes { resources.group(of: $0) }
        let start = records.count
        Self.writeRecord(tape: tape, event: event, now: now, scratch: &scratch, into: &records)
        recordOfEvent.append(start..<records.count)
        resourceOfEvent.append(Int32(r))
      }
    }

    grouped.build(groupOfEvent: resourceOfEvent, groupCount: resources.count)
    out.reserveCapacity(out.count + records.count + resources.count * (scopeHead.count + 64) + 32)
    JSONWriter.appendRaw("{\"resourceLogs\":[", to: &out)
    for r in 0..<resources.count {
      if r > 0 { out.append(UInt8(ascii: ",")) }
      JSONWriter.appendRaw("{\"resource\":{\"attributes\":[", to: &out)
      resources.append(group: r, to: &out)
      out.append(contentsOf: scopeHead)
      var first = true
      for e in grouped.events(ofGroup: r) {
        if !first { out.append(UInt8(ascii: ",")) }
        first = false
        out.append(contentsOf: records[recordOfEvent[Int(e)]])
      }
      JSONWriter.appendRaw("]}]}", to: &out)
    }
    JSONWriter.appendRaw("]}", to: &out)
  }

  // MARK: - Resource

  /// Writes the resource attributes of one event (`{"key":…},…`, no brackets), marking the
  /// fields it takes as consumed. An empty tape (not an object) gives the static ones.
  private static func writeResource(
    _ slots: [ResourceSlot], tape: [JSONToken], event: UnsafeRawBufferPointer, scratch: inout Scratch,
    into out: inout [UInt8]
  ) {
    out.removeAll(keepingCapacity: true)
    for slot in slots {
      let mark = out.count
      if mark > 0 { out.append(UInt8(ascii: ",")) }
      out.append(contentsOf: slot.prefix)
      let valueStart = out.count
      if let field = slot.field, !tape.isEmpty,
        let v = JSONTape.lookup(path: field, inObjectAt: 0, tape: tape, bytes: event), tape[v].kind != .null
      {
        if appendAnyValue(at: v, tape: tape, event: event, scratch: &scratch, into: &out) {
          scratch.consumed.append(v)
        } else {
          out.removeLast(out.count - valueStart)
        }
      }
      if out.count == valueStart, let value = slot.staticValue { out.append(contentsOf: value) }
      if out.count == valueStart {
        out.removeLast(out.count - mark)
      } else {
        out.append(UInt8(ascii: "}"))
      }
    }
  }

  // MARK: - Record

  /// Writes one `LogRecord` object.
  private static func writeRecord(
    tape: [JSONToken], event: UnsafeRawBufferPointer, now: Int64, scratch: inout Scratch, into out: inout [UInt8]
  ) {
    guard !tape.isEmpty else {
      JSONWriter.appendRaw("{\"observedTimeUnixNano\":\"", to: &out)
      JSONWriter.appendInt(max(now, 0), to: &out)
      JSONWriter.appendRaw("\",\"body\":{\"stringValue\":\"", to: &out)
      JSONWriter.appendStringContent(event, to: &out)
      JSONWriter.appendRaw("\"}}", to: &out)
      return
    }

    out.append(UInt8(ascii: "{"))
    // fixed64: an event time before 1970 cannot be sent; it stays an attribute.
    if let time = TimestampParser.nanoseconds(firstOf: SchemaKeys.timestamp, tape: tape, bytes: event),
      time.nanoseconds >= 0
    {
      JSONWriter.appendRaw("\"timeUnixNano\":\"", to: &out)
      JSONWriter.appendInt(time.nanoseconds, to: &out)
      JSONWriter.appendRaw("\",", to: &out)
      scratch.consumed.append(time.valueIndex)
    }
    JSONWriter.appendRaw("\"observedTimeUnixNano\":\"", to: &out)
    JSONWriter.appendInt(max(now, 0), to: &out)
    out.append(UInt8(ascii: "\""))

    writeSeverity(tape: tape, event: event, scratch: &scratch, into: &out)

    for key in SchemaKeys.message {
      guard let v = JSONTape.lookup(path: key, inObjectAt: 0, tape: tape, bytes: event), tape[v].kind != .null
      else { continue }
      let mark = out.count
      JSONWriter.appendRaw(",\"body\":", to: &out)
      if appendAnyValue(at: v, tape: tape, event: event, scratch: &scratch, into: &out) {
        scratch.consumed.append(v)
        break
      }
      out.removeLast(out.count - mark)
    }

    let traceID = hexID(keys: traceIDKeys, digits: 32, tape: tape, event: event, scratch: &scratch)
    let spanID = hexID(keys: spanIDKeys, digits: 16, tape: tape, event: event, scratch: &scratch)
    if let traceID { scratch.consumed.append(traceID) }
    if let spanID { scratch.consumed.append(spanID) }

    JSONWriter.appendRaw(",\"attributes\":[", to: &out)
    var wrote = false
    var k = 1
    while tape[k].kind == .key {
      if appendKeyValue(keyAt: k, comma: wrote, tape: tape, event: event, scratch: &scratch, into: &out) {
        wrote = true
      }
      k = JSONTape.next(after: k + 1, in: tape)
    }
    out.append(UInt8(ascii: "]"))

    if let traceID {
      JSONWriter.appendRaw(",\"traceId\":\"", to: &out)
      appendLowercaseHex(at: traceID, tape: tape, event: event, scratch: &scratch, into: &out)
      out.append(UInt8(ascii: "\""))
    }
    if let spanID {
      JSONWriter.appendRaw(",\"spanId\":\"", to: &out)
      appendLowercaseHex(at: spanID, tape: tape, event: event, scratch: &scratch, into: &out)
      out.append(UInt8(ascii: "\""))
    }
    out.append(UInt8(ascii: "}"))
  }

  /// Writes `,"severityNumber":N` and `,"severityText":"…"` as far as the event tells them.
  private static func writeSeverity(
    tape: [JSONToken], event: UnsafeRawBufferPointer, scratch: inout Scratch, into out: inout [UInt8]
  ) {
    var number: Int?
    var textAt: Int?  // the level string, written as it is
    var canonical: LogLevel?  // for a numeric level (pino's 30), written by name
    for key in SchemaKeys.level {
      guard let v = JSONTape.lookup(path: key, inObjectAt: 0, tape: tape, bytes: event) else { continue }
      let t = tape[v]
      if t.kind == .string {
        let raw = UnsafeRawBufferPointer(rebasing: event[t.range])
        let level: LogLevel?
        if t.hasEscapes {
          scratch.decoded.removeAll(keepingCapacity: true)
          JSONTape.unescape(raw, into: &scratch.decoded)
          level = scratch.decoded.withUnsafeBytes { LogLevel.parse($0) }
        } else {
          level = LogLevel.parse(raw)
        }
        if let level {
          number = level.otelSeverityNumber
          textAt = v
          scratch.consumed.append(v)
          break
        }
      } else if t.kind == .number, let n = smallInteger(t, event), let level = LogLevel.fromNumericLevel(n) {
        number = level.otelSeverityNumber
        canonical = level
        scratch.consumed.append(v)
        break
      }
    }
    for key in SchemaKeys.severityNumber {
      guard let v = JSONTape.lookup(path: key, inObjectAt: 0, tape: tape, bytes: event), tape[v].kind == .number,
        let n = smallInteger(tape[v], event), (1...24).contains(n)
      else { continue }
      number = n
      scratch.consumed.append(v)
      break
    }
    if let number {
      JSONWriter.appendRaw(",\"severityNumber\":", to: &out)
      JSONWriter.appendInt(Int64(number), to: &out)
    }
    if let textAt {
      JSONWriter.appendRaw(",\"severityText\":\"", to: &out)
      EncodingBytes.appendStringContent(tape[textAt], bytes: event, scratch: &scratch.decoded, to: &out)
      out.append(UInt8(ascii: "\""))
    } else if let canonical {
      JSONWriter.appendRaw(",\"severityText\":\"", to: &out)
      JSONWriter.appendStringContent(canonical.name, to: &out)
      out.append(UInt8(ascii: "\""))
    }
  }

  // MARK: - Trace context

  /// The tape index of the first of `keys` whose value is a string of exactly `digits` hex
  /// digits, not all zero.
  private static func hexID(
    keys: [String], digits: Int, tape: [JSONToken], event: UnsafeRawBufferPointer, scratch: inout Scratch
  ) -> Int? {
    for key in keys {
      guard let v = JSONTape.lookup(path: key, inObjectAt: 0, tape: tape, bytes: event), tape[v].kind == .string
      else { continue }
      let valid = withDecodedString(at: v, tape: tape, event: event, scratch: &scratch) { text in
        guard text.count == digits else { return false }
        var nonZero = false
        for c in text {
          guard hexValue(c) != nil else { return false }
          if c != UInt8(ascii: "0") { nonZero = true }
        }
        return nonZero
      }
      if valid { return v }
    }
    return nil
  }

  private static func appendLowercaseHex(
    at v: Int, tape: [JSONToken], event: UnsafeRawBufferPointer, scratch: inout Scratch, into out: inout [UInt8]
  ) {
    withDecodedString(at: v, tape: tape, event: event, scratch: &scratch) { text in
      for c in text { out.append(c >= UInt8(ascii: "A") && c <= UInt8(ascii: "F") ? c | 0x20 : c) }
    }
  }

  /// Calls `body` with the decoded content of the string token at `v`.
  private static func withDecodedString<R>(
    at v: Int, tape: [JSONToken], event: UnsafeRawBufferPointer, scratch: inout Scratch,
    _ body: (UnsafeRawBufferPointer) -> R
  ) -> R {
    let t = tape[v]
    let raw = UnsafeRawBufferPointer(rebasing: event[t.range])
    guard t.hasEscapes else { return body(raw) }
    scratch.decoded.removeAll(keepingCapacity: true)
    JSONTape.unescape(raw, into: &scratch.decoded)
    return scratch.decoded.withUnsafeBytes(body)
  }

  @inline(__always)
  private static func hexValue(_ c: UInt8) -> UInt8? {
    switch c {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
    default: nil
    }
  }

  // MARK: - Attribute values

  /// Appends `{"key":"…","value":{…}}` for the member whose key is at tape index `k`, with a
  /// comma first if `comma`. Returns false, having appended nothing, for a null or consumed
  /// value, or an object whose every member was consumed.
  private static func appendKeyValue(
    keyAt k: Int, comma: Bool, tape: [JSONToken], event: UnsafeRawBufferPointer, scratch: inout Scratch,
    into out: inout [UInt8]
  ) -> Bool {
    let v = k + 1
    if tape[v].kind == .null || scratch.consumed.contains(v) { return false }
    let mark = out.count
    if comma { out.append(UInt8(ascii: ",")) }
    JSONWriter.appendRaw("{\"key\":\"", to: &out)
    EncodingBytes.appendStringContent(tape[k], bytes: event, scratch: &scratch.decoded, to: &out)
    JSONWriter.appendRaw("\",\"value\":", to: &out)
    guard appendAnyValue(at: v, tape: tape, event: event, scratch: &scratch, into: &out) else {
      out.removeLast(out.count - mark)
      return false
    }
    out.append(UInt8(ascii: "}"))
    return true
  }

  /// Appends the `AnyValue` of the JSON value at tape index `v`. Returns false (the caller
  /// drops what was appended) only for an object all of whose members were consumed, so that
  /// `{"trace":{"id":"…"}}` leaves no empty `trace` behind once the id is taken.
  private static func appendAnyValue(
    at v: Int, tape: [JSONToken], event: UnsafeRawBufferPointer, scratch: inout Scratch, into out: inout [UInt8]
  ) -> Bool {
    let t = tape[v]
    switch t.kind {
    case .string, .key:
      JSONWriter.appendRaw("{\"stringValue\":\"", to: &out)
      EncodingBytes.appendStringContent(t, bytes: event, scratch: &scratch.decoded, to: &out)
      JSONWriter.appendRaw("\"}", to: &out)
    case .number:
      let literal = UnsafeRawBufferPointer(rebasing: event[t.range])
      if !t.isFloat, let n = int64(literal) {
        JSONWriter.appendRaw("{\"intValue\":\"", to: &out)
        JSONWriter.appendInt(n, to: &out)
        JSONWriter.appendRaw("\"}", to: &out)
      } else {
        JSONWriter.appendRaw("{\"doubleValue\":", to: &out)
        appendDouble(literal, to: &out)
        out.append(UInt8(ascii: "}"))
      }
    case .true:
      JSONWriter.appendRaw("{\"boolValue\":true}", to: &out)
    case .false:
      JSONWriter.appendRaw("{\"boolValue\":false}", to: &out)
    case .null:
      JSONWriter.appendRaw("{}", to: &out)
    case .objectStart:
      JSONWriter.appendRaw("{\"kvlistValue\":{\"values\":[", to: &out)
      var wrote = false
      var skipped = false
      var k = v + 1
      while tape[k].kind == .key {
        if scratch.consumed.contains(k + 1) {
          skipped = true
        } else if appendKeyValue(keyAt: k, comma: wrote, tape: tape, event: event, scratch: &scratch, into: &out) {
          wrote = true
        }
        k = JSONTape.next(after: k + 1, in: tape)
      }
      if skipped && !wrote { return false }
      JSONWriter.appendRaw("]}}", to: &out)
    case .arrayStart:
      JSONWriter.appendRaw("{\"arrayValue\":{\"values\":[", to: &out)
      var k = v + 1
      var first = true
      while tape[k].kind != .arrayEnd {
        if !first { out.append(UInt8(ascii: ",")) }
        first = false
        let mark = out.count
        if !appendAnyValue(at: k, tape: tape, event: event, scratch: &scratch, into: &out) {
          out.removeLast(out.count - mark)
          JSONWriter.appendRaw("{}", to: &out)  // keep the element's place
        }
        k = JSONTape.next(after: k, in: tape)
      }
      JSONWriter.appendRaw("]}}", to: &out)
    case .objectEnd, .arrayEnd:
      JSONWriter.appendRaw("{}", to: &out)
    }
    return true
  }

  /// Writes a JSON number literal as a `double`: as it is, unless it is too large for one,
  /// which the JSON mapping writes as the string `"Infinity"` or `"-Infinity"`.
  private static func appendDouble(_ literal: UnsafeRawBufferPointer, to out: inout [UInt8]) {
    // Only a literal with an exponent, or of hundreds of digits, can overflow a double.
    let mayOverflow = literal.count > 300 || literal.contains { $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }
    if mayOverflow, let value = Double(String(decoding: literal, as: UTF8.self)), value.isInfinite {
      JSONWriter.appendRaw(value < 0 ? "\"-Infinity\"" : "\"Infinity\"", to: &out)
      return
    }
    out.append(contentsOf: literal)
  }

  /// The value of an integer literal, or nil when it does not fit in `Int64`.
  static func int64(_ literal: UnsafeRawBufferPointer) -> Int64? {
    guard !literal.isEmpty else { return nil }
    let negative = literal[0] == UInt8(ascii: "-")
    var magnitude: UInt64 = 0
    for c in literal[(negative ? 1 : 0)...] {
      guard c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") else { return nil }
      let (times10, o1) = magnitude.multipliedReportingOverflow(by: 10)
      let (sum, o2) = times10.addingReportingOverflow(UInt64(c - UInt8(ascii: "0")))
      if o1 || o2 { return nil }
      magnitude = sum
    }
    if negative {
      guard magnitude <= UInt64(Int64.max) + 1 else { return nil }
      return magnitude == UInt64(Int64.max) + 1 ? .min : -Int64(magnitude)
    }
    guard magnitude <= UInt64(Int64.max) else { return nil }
    return Int64(magnitude)
  }

  /// A small non-negative integer literal (a level or severity number).
  private static func smallInteger(_ t: JSONToken, _ event: UnsafeRawBufferPointer) -> Int? {
    guard !t.isFloat, t.end - t.start <= 6, let n = int64(UnsafeRawBufferPointer(rebasing: event[t.range])), n >= 0
    else { return nil }
    return Int(n)
  }
}
