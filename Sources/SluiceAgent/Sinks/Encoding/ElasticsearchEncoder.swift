import SluiceCore

/// Writes a batch as an Elasticsearch / OpenSearch `_bulk` body (`application/x-ndjson`): per
/// event an action line, `{"create":{"_index":"logs-2024.05.01"}}`, then the event's line.
///
/// The index name may hold date placeholders, `%Y` (four-digit year), `%m` and `%d` (two
/// digits), filled from each event's time in UTC (the first of ``SchemaKeys/timestamp`` that
/// reads as one, else the batch's time); `%%` is a literal `%`. Item k of the response is event
/// k of the batch (see ``NDJSONLines`` and ``ElasticsearchBulkResponse``).
struct ElasticsearchEncoder: BatchEncoder, Sendable {
  /// The bulk action written for each event.
  enum Action: String, Sendable {
    /// Fails with 409 when a document of the same id exists; the only action data streams
    /// accept.
    case create
    /// Adds or replaces the document.
    case index
  }

  /// A piece of the index name.
  private enum Part: Sendable, Equatable {
    /// Escaped literal text.
    case text([UInt8])
    case year, month, day
  }

  var contentType: String { "application/x-ndjson" }

  let index: String
  let action: Action
  /// `{"create":{"_index":"` and `"}}\n`.
  private let head: [UInt8]
  private let tail: [UInt8]
  private let parts: [Part]
  /// Whether the index name has date placeholders (else every action line is the same).
  private let isDated: Bool
  private let scanner = JSONScanner()

  // Scratch, kept across batches: the action line of the last UTC day used.
  private var cachedDay: Int64 = .min
  private var cachedLine: [UInt8] = []
  private var tape: [JSONToken] = []

  /// - Parameters:
  ///   - index: the index (or data stream) name, with optional `%Y`, `%m`, `%d` placeholders.
  ///   - action: `create` (the default) or `index`.
  init(index: String, action: Action = .create) {
    self.index = index
    self.action = action
    head = Array("{\"\(action.rawValue)\":{\"_index\":\"".utf8)
    tail = Array("\"}}\n".utf8)
    parts = Self.parse(index)
    isDated = parts.contains { !Self.isText($0) }
    if !isDated {
      cachedLine = Self.actionLine(head: head, tail: tail, parts: parts, date: (1970, 1, 1))
      cachedDay = 0
    }
  }

  mutating func encode(_ ndjson: [UInt8], now: Int64, into out: inout [UInt8]) {
    out.reserveCapacity(out.count + ndjson.count + (ndjson.count / 4) + 64)
    ndjson.withUnsafeBytes { raw in
      for line in NDJSONLines(raw) {
        let event = UnsafeRawBufferPointer(rebasing: raw[line])
        if isDated {
          var time = now
          if (try? scanner.scan(event, into: &tape)) != nil, tape.first?.kind == .objectStart,
            let found = TimestampParser.nanoseconds(firstOf: SchemaKeys.timestamp, tape: tape, bytes: event)
          {
            time = found.nanoseconds
          }
          let day = time.dividedWithFloor(by: 86_400_000_000_000)
          if day != cachedDay {
            cachedLine = Self.actionLine(
              head: head, tail: tail, parts: parts, date: TimestampParser.utcDate(nanoseconds: time))
            cachedDay = day
          }
        }
        out.append(contentsOf: cachedLine)
        out.append(contentsOf: event)
        out.append(0x0A)
      }
    }
  }

  /// The index name for an event at `nanoseconds` since the epoch (for diagnostics and tests).
  func indexName(at nanoseconds: Int64) -> String {
    let escaped = Self.actionLine(
      head: [], tail: [], parts: parts, date: TimestampParser.utcDate(nanoseconds: nanoseconds))
    var name: [UInt8] = []
    escaped.withUnsafeBytes { JSONTape.unescape($0, into: &name) }
    return String(decoding: name, as: UTF8.self)
  }

  private static func isText(_ part: Part) -> Bool {
    if case .text = part { return true }
    return false
  }

  /// Splits an index pattern into escaped text and placeholders.
  private static func parse(_ pattern: String) -> [Part] {
    var parts: [Part] = []
    var text: [UInt8] = []
    func flush() {
      if !text.isEmpty {
        text.withUnsafeBytes { raw in
          var escaped: [UInt8] = []
          JSONWriter.appendStringContent(raw, to: &escaped)
          parts.append(.text(escaped))
        }
        text.removeAll()
      }
    }
    let bytes = Array(pattern.utf8)
    var i = 0
    while i < bytes.count {
      if bytes[i] == UInt8(ascii: "%") && i + 1 < bytes.count {
        let placeholder: Part? =
          switch bytes[i + 1] {
          case UInt8(ascii: "Y"): .year
          case UInt8(ascii: "m"): .month
          case UInt8(ascii: "d"): .day
          default: nil
          }
        if let placeholder {
          flush()
          parts.append(placeholder)
          i += 2
          continue
        }
        if bytes[i + 1] == UInt8(ascii: "%") {
          text.append(UInt8(ascii: "%"))
          i += 2
          continue
        }
      }
      text.append(bytes[i])
      i += 1
    }
    flush()
    return parts
  }

  private static func actionLine(
    head: [UInt8], tail: [UInt8], parts: [Part], date: (year: Int64, month: Int64, day: Int64)
  ) -> [UInt8] {
    var line = head
    for part in parts {
      switch part {
      case .text(let bytes): line.append(contentsOf: bytes)
      case .year: appendDigits(date.year, 4, to: &line)
      case .month: appendDigits(date.month, 2, to: &line)
      case .day: appendDigits(date.day, 2, to: &line)
      }
    }
    line.append(contentsOf: tail)
    return line
  }

  private static func appendDigits(_ value: Int64, _ width: Int, to out: inout [UInt8]) {
    var divisor: Int64 = 1
    for _ in 1..<width { divisor *= 10 }
    let v = max(value, 0)  // dates in Int64 nanoseconds' range are years 1677–2262
    while divisor > v && divisor > 1 {
      out.append(UInt8(ascii: "0"))
      divisor /= 10
    }
    JSONWriter.appendInt(v, to: &out)
  }
}

/// The result of a `_bulk` request, read from the response body (Elasticsearch and OpenSearch
/// write the same shape):
///
///     {"took":5,"errors":true,"items":[{"create":{"_index":"logs","_id":"…","status":201,…}},
///       {"create":{"_index":"logs","status":429,"error":{"type":"es_rejected_execution_exception","reason":"…"}}}]}
///
/// Item k answers event k of the batch sent (see ``NDJSONLines``).
struct ElasticsearchBulkResponse: Sendable, Equatable {
  /// One item's outcome.
  struct Item: Sendable, Equatable {
    /// The HTTP status of the item (201 created, 200 updated, 409 conflict, 429 rejected, …).
    var status: Int
    /// `type: reason` of the item's error, cut to ``maxReasonBytes``; nil for none.
    var error: String?

    init(status: Int, error: String? = nil) {
      self.status = status
      self.error = error
    }

    /// ``error``, or empty when there is none.
    var reason: String { error ?? "" }
    /// Stored (2xx).
    var isSuccess: Bool { (200..<300).contains(status) }
    /// Worth sending again: rejected under load (429) or failed on the server's side (5xx).
    var isRetryable: Bool { status == 429 || status >= 500 }
  }

  /// Error reasons are cut to this many bytes (on a character boundary).
  static let maxReasonBytes = 512

  /// The response's `errors` flag: whether at least one item failed.
  var errors: Bool
  /// The number of items (one per event sent).
  var itemCount: Int
  /// Every item's outcome, in order, when ``errors`` is true. Empty when it is false: every
  /// item succeeded, and the items are only counted, not read.
  var items: [Item]

  init(errors: Bool, itemCount: Int, items: [Item]) {
    self.errors = errors
    self.itemCount = itemCount
    self.items = items
  }

  /// The indices of the items that did not succeed, in order.
  var failedItems: [Int] {
    items.indices.filter { !items[$0].isSuccess }
  }

  /// Reads a `_bulk` response body (see ``init(body:expectedItems:)-([UInt8],_)``).
  static func parse(_ body: [UInt8], expectedItems: Int? = nil) -> ElasticsearchBulkResponse? {
    ElasticsearchBulkResponse(body: body, expectedItems: expectedItems)
  }

  /// Reads a `_bulk` response body. Nil when it is not one: not JSON, no `items` array, an item
  /// that is not `{"<action>":{…,"status":N}}`, or (when given) not `expectedItems` items.
  init?(body: [UInt8], expectedItems: Int? = nil) {
    guard let parsed = body.withUnsafeBytes({ Self(body: $0, expectedItems: expectedItems) }) else { return nil }
    self = parsed
  }

  /// Reads a `_bulk` response body (see ``init(body:expectedItems:)-([UInt8],_)``).
  init?(body: UnsafeRawBufferPointer, expectedItems: Int? = nil) {
    var tape: [JSONToken] = []
    guard (try? JSONScanner().scan(body, into: &tape)) != nil, tape.first?.kind == .objectStart,
      let itemsAt = Self.member("items", 0, tape, body), tape[itemsAt].kind == .arrayStart
    else { return nil }
    let errorsFlag: Bool?
    switch Self.member("errors", 0, tape, body).map({ tape[$0].kind }) {
    case .true?: errorsFlag = true
    case .false?: errorsFlag = false
    case nil: errorsFlag = nil  // not written: read the items
    default: return nil
    }

    var count = 0
    var items: [Item] = []
    var i = itemsAt + 1
    while tape[i].kind != .arrayEnd {
      // {"create": {…}}: one member whose value is an object.
      guard tape[i].kind == .objectStart, tape[i + 1].kind == .key, tape[i + 2].kind == .objectStart else { return nil }
      if errorsFlag != false {
        guard let item = Self.item(resultAt: i + 2, tape, body) else { return nil }
        items.append(item)
      }
      count += 1
      i = JSONTape.next(after: i, in: tape)
    }
    if let expectedItems, count != expectedItems { return nil }
    self.errors = errorsFlag ?? items.contains { !$0.isSuccess }
    self.itemCount = count
    self.items = errors ? items : []
  }

  private static func item(resultAt r: Int, _ tape: [JSONToken], _ body: UnsafeRawBufferPointer) -> Item? {
    guard let s = member("status", r, tape, body), tape[s].kind == .number, !tape[s].isFloat,
      let status = smallInteger(UnsafeRawBufferPointer(rebasing: body[tape[s].range]))
    else { return nil }
    guard let e = member("error", r, tape, body) else { return Item(status: status) }
    var reason: [UInt8] = []
    switch tape[e].kind {
    case .objectStart:
      let type = member("type", e, tape, body).flatMap { tape[$0].kind == .string ? $0 : nil }
      let text = member("reason", e, tape, body).flatMap { tape[$0].kind == .string ? $0 : nil }
      if let type { JSONTape.unescape(UnsafeRawBufferPointer(rebasing: body[tape[type].range]), into: &reason) }
      if let text {
        if type != nil { reason.append(contentsOf: ": ".utf8) }
        JSONTape.unescape(UnsafeRawBufferPointer(rebasing: body[tape[text].range]), into: &reason)
      }
    case .string:  // older versions: "error": "MapperParsingException[…]"
      JSONTape.unescape(UnsafeRawBufferPointer(rebasing: body[tape[e].range]), into: &reason)
    case .null:
      return Item(status: status)
    default:
      break
    }
    if reason.isEmpty { reason.append(contentsOf: "error".utf8) }
    let n = reason.withUnsafeBytes { EncodingBytes.truncatedCount($0, limit: maxReasonBytes) }
    return Item(status: status, error: String(decoding: reason[0..<n], as: UTF8.self))
  }

  private static func member(
    _ key: StaticString, _ object: Int, _ tape: [JSONToken], _ body: UnsafeRawBufferPointer
  ) -> Int? {
    JSONTape.member(
      UnsafeRawBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount), inObjectAt: object, tape: tape,
      bytes: body)
  }

  /// A non-negative integer literal of at most six digits (an HTTP status).
  private static func smallInteger(_ literal: UnsafeRawBufferPointer) -> Int? {
    guard !literal.isEmpty, literal.count <= 6 else { return nil }
    var v = 0
    for c in literal {
      guard c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") else { return nil }
      v = v * 10 + Int(c - UInt8(ascii: "0"))
    }
    return v
  }
}
