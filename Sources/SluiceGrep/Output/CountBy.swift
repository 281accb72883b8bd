import SluiceCore

/// `--count-by a,b`: how many matching lines have each combination of values of the fields.
///
/// A key is the fields' values (strings decoded, other values as their JSON text, a missing
/// field as nothing), each followed by 0xFF — a byte UTF-8 never contains — so combinations
/// never collide. The key is built in a reused buffer; the table copies it only the first time
/// it sees it. Two tables (one per scanning thread) merge by adding counts.
public struct CountBy {
  public let fields: [String]
  private var counts: [[UInt8]: Int] = [:]
  private var key: [UInt8] = []
  /// Every line counted.
  public private(set) var total = 0

  public init(fields: [String]) { self.fields = fields }

  /// The members counting reads (for a partial scan).
  public var projection: JSONProjection? { JSONProjection(paths: fields) }

  /// Counts one matching line (`event` nil for a plain-text line: every field missing).
  public mutating func add(_ event: Event?) {
    if let event { add(event, structured: true) } else { add(Event(), structured: false) }
  }

  /// Counts one matching line; `structured` false stands for a plain-text line (every field
  /// missing), whatever `event` holds. (No optional to wrap the event in: no copy of it.)
  public mutating func add(_ event: Event, structured: Bool) {
    key.removeAll(keepingCapacity: true)
    if structured && event.isStructured {
      event.bytes.withUnsafeBytes { bytes in
        for field in fields {
          if let i = JSONTape.lookup(path: field, inObjectAt: 0, tape: event.tape, bytes: bytes) {
            let t = event.tape[i]
            switch t.kind {
            case .string:
              let raw = UnsafeRawBufferPointer(rebasing: bytes[t.range])
              if t.hasEscapes { JSONTape.unescape(raw, into: &key) } else { key.append(contentsOf: raw) }
            case .objectStart, .arrayStart:
              let end = JSONTape.next(after: i, in: event.tape)
              key.append(contentsOf: bytes[Int(t.start)..<RecordWriter.valueEnd(i, end, event.tape)])
            default:
              key.append(contentsOf: bytes[t.range])
            }
          } else {
            key.append(0xFE)  // missing: told apart from an empty string
          }
          key.append(0xFF)
        }
      }
    } else {
      for _ in fields { key.append(contentsOf: [0xFE, 0xFF]) }
    }
    counts[key, default: 0] += 1
    total += 1
  }

  /// Adds another table's counts.
  public mutating func merge(_ other: CountBy) {
    for (k, n) in other.counts { counts[k, default: 0] += n }
    total += other.total
  }

  /// The rows, most frequent first (ties by value), each value nil when the field was missing.
  public func rows() -> [(values: [String?], count: Int)] {
    counts.sorted { a, b in a.value != b.value ? a.value > b.value : a.key.lexicographicallyPrecedes(b.key) }
      .map { key, count in
        let values = key.split(separator: 0xFF, omittingEmptySubsequences: false).dropLast().map {
          $0 == [0xFE] ? nil : String(decoding: $0, as: UTF8.self)
        }
        return (Array(values), count)
      }
  }

  /// The table: a header, then `count  percent  value…` per row, at most `top` rows (and a
  /// line saying how many more there were). With `json`, one object per row instead:
  /// `{"service":"checkout","count":51234,"percent":51.2}`.
  public func render(top: Int?, json: Bool) -> [UInt8] {
    let all = rows()
    let shown = top.map { Array(all.prefix($0)) } ?? all
    var out: [UInt8] = []
    if json {
      for row in shown {
        out.append(UInt8(ascii: "{"))
        for (field, value) in zip(fields, row.values) {
          JSONWriter.appendString(field, to: &out)
          out.append(UInt8(ascii: ":"))
          if let value { JSONWriter.appendString(value, to: &out) } else { JSONWriter.appendRaw("null", to: &out) }
          out.append(UInt8(ascii: ","))
        }
        JSONWriter.appendRaw(#""count":"#, to: &out)
        JSONWriter.appendInt(Int64(row.count), to: &out)
        JSONWriter.appendRaw(#","percent":"#, to: &out)
        out.append(contentsOf: Self.percent(row.count, of: total).utf8)
        JSONWriter.appendRaw("}\n", to: &out)
      }
      return out
    }
    let countWidth = max("count".count, String(all.first?.count ?? 0).count)
    let percentWidth = "100.0%".count
    // Values are padded to their column's width so multi-field tables line up.
    var widths = fields.map(\.count)
    for row in shown {
      for (k, v) in row.values.enumerated() { widths[k] = max(widths[k], Self.display(v).count) }
    }
    var text =
      Self.pad("count", countWidth) + "  " + Self.pad("%", percentWidth) + "  "
      + zip(fields, widths).map { Self.padRight($0, $1) }.joined(separator: "  ").trimmingSuffixSpaces() + "\n"
    for row in shown {
      let values = zip(row.values, widths).map { Self.padRight(Self.display($0), $1) }.joined(separator: "  ")
      text +=
        Self.pad(String(row.count), countWidth) + "  "
        + Self.pad(Self.percent(row.count, of: total) + "%", percentWidth)
        + "  " + values.trimmingSuffixSpaces() + "\n"
    }
    if shown.count < all.count {
      let rest = all.dropFirst(shown.count).reduce(0) { $0 + $1.count }
      text += "(\(all.count - shown.count) more values, \(rest) lines)\n"
    }
    out.append(contentsOf: text.utf8)
    return out
  }

  static func display(_ value: String?) -> String {
    guard let value else { return "-" }
    if value.isEmpty { return "\"\"" }
    var text = value
    var escaped: [UInt8] = []
    text.withUTF8 { PrettyPrinter.appendEscaped(UnsafeRawBufferPointer($0), quoted: false, to: &escaped) }
    return String(decoding: escaped, as: UTF8.self)
  }

  /// `count` as a percentage of `total` with one decimal.
  static func percent(_ count: Int, of total: Int) -> String {
    guard total > 0 else { return "0.0" }
    let tenths = (count * 1000 + total / 2) / total
    return "\(tenths / 10).\(tenths % 10)"
  }

  static func pad(_ s: String, _ width: Int) -> String { String(repeating: " ", count: max(0, width - s.count)) + s }
  static func padRight(_ s: String, _ width: Int) -> String {
    s + String(repeating: " ", count: max(0, width - s.count))
  }
}

extension String {
  fileprivate func trimmingSuffixSpaces() -> String {
    var s = self
    while s.last == " " { s.removeLast() }
    return s
  }
}
