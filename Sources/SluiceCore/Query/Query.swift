/// A filter over structured events: comparisons on fields, all of which must hold.
///
/// Syntax (a first cut; the full query language is its own piece of work):
/// `FIELD OP VALUE [and FIELD OP VALUE ...]` with `OP` one of `= == != > >= < <= ~`
/// (`~` is "contains"). Fields are top-level keys or dotted paths. `level` compares by
/// severity across all known schemas; numbers compare numerically, other values as text.
/// `VALUE` may be quoted with `"` or `'`.
///
/// Each comparison is compiled once, when the query is parsed, so ``matches(_:)`` reads
/// the event's tape and bytes directly and allocates nothing for the common events.
public struct Query: Sendable, Equatable, CustomStringConvertible {
  public enum Op: String, Sendable, CaseIterable {
    case eq = "=", ne = "!=", gt = ">", ge = ">=", lt = "<", le = "<=", contains = "~"
  }

  public struct Comparison: Sendable, Equatable {
    public var field: String
    public var op: Op
    public var value: String
  }

  /// The comparisons, all of which must hold. Setting them compiles them again.
  public var comparisons: [Comparison] {
    get { source }
    set {
      source = newValue
      compiled = CompiledQuery(newValue)
    }
  }

  private var source: [Comparison]
  private var compiled: CompiledQuery

  /// Queries are equal when their comparisons are (the compiled form follows from them).
  public static func == (a: Query, b: Query) -> Bool { a.source == b.source }

  /// A syntax error, with the position (0-based, in characters) where it was found.
  public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public var position: Int
    public var description: String { "query error at \(position): \(message)" }
  }

  public var description: String {
    comparisons.map { "\($0.field)\($0.op.rawValue)\($0.value)" }.joined(separator: " and ")
  }

  /// Parses a query. Several arguments are joined with `and`.
  public init(_ text: String) throws(ParseError) {
    var comparisons: [Comparison] = []
    let chars = Array(text)
    var i = 0
    func skipSpaces() { while i < chars.count && chars[i].isWhitespace { i += 1 } }
    while true {
      skipSpaces()
      if i == chars.count {
        if comparisons.isEmpty { throw ParseError(message: "empty query", position: i) }
        break
      }
      if !comparisons.isEmpty {
        let word = String(chars[i..<min(i + 3, chars.count)]).lowercased()
        if word == "and", i + 3 < chars.count, chars[i + 3].isWhitespace {
          i += 3
        } else if i + 1 < chars.count, chars[i] == "&", chars[i + 1] == "&" {
          i += 2
        } else {
          throw ParseError(message: "expected 'and' between comparisons", position: i)
        }
        skipSpaces()
      }
      let fieldStart = i
      while i < chars.count, !"=!<>~".contains(chars[i]), !chars[i].isWhitespace { i += 1 }
      let field = String(chars[fieldStart..<i])
      if field.isEmpty { throw ParseError(message: "expected a field name", position: fieldStart) }
      skipSpaces()
      let opStart = i
      var opText = ""
      while i < chars.count, "=!<>~".contains(chars[i]), opText.count < 2 {
        opText.append(chars[i])
        i += 1
      }
      if opText == "==" { opText = "=" }
      guard let op = Op(rawValue: opText) else {
        throw ParseError(message: "expected an operator (= != > >= < <= ~)", position: opStart)
      }
      skipSpaces()
      var value = ""
      if i < chars.count, chars[i] == "\"" || chars[i] == "'" {
        let quote = chars[i]
        let start = i
        i += 1
        while i < chars.count, chars[i] != quote {
          if chars[i] == "\\", i + 1 < chars.count { i += 1 }
          value.append(chars[i])
          i += 1
        }
        if i == chars.count { throw ParseError(message: "unterminated quoted value", position: start) }
        i += 1
      } else {
        let start = i
        while i < chars.count, !chars[i].isWhitespace { i += 1 }
        value = String(chars[start..<i])
        if value.isEmpty { throw ParseError(message: "expected a value", position: start) }
      }
      if field == "level" && op != .contains && op != .eq && op != .ne && LogLevel.parse(value) == nil {
        throw ParseError(message: "unknown level '\(value)'", position: i - value.count)
      }
      comparisons.append(Comparison(field: field, op: op, value: value))
    }
    self.source = comparisons
    self.compiled = CompiledQuery(comparisons)
  }

  /// Whether a structured event satisfies every comparison. Raw events match nothing.
  public func matches(_ event: Event) -> Bool {
    guard event.isStructured else { return false }
    return compiled.matches(event, source: source)
  }

  /// ``matches(_:)`` evaluated the way it was before comparisons were compiled: through
  /// decoded `String`s and `Double(String)`. The reference the compiled form must agree with.
  func matchesByText(_ event: Event) -> Bool {
    guard event.isStructured else { return false }
    for c in source where !c.holdsByText(for: event) { return false }
    return true
  }
}

extension Query.Op {
  /// Whether `a op b` holds for an ordering operator (`~` is not one: false).
  @inline(__always)
  func holds<T: Comparable>(_ a: T, _ b: T) -> Bool {
    switch self {
    case .eq: a == b
    case .ne: a != b
    case .gt: a > b
    case .ge: a >= b
    case .lt: a < b
    case .le: a <= b
    case .contains: false
    }
  }
}

extension Query.Comparison {
  /// Whether the comparison holds, evaluated through decoded `String`s (allocating). The
  /// compiled form falls back to this for what it does not handle byte by byte.
  func holdsByText(for event: Event) -> Bool {
    if field == "level" {
      guard let have = event.level else { return op == .ne }
      if let want = LogLevel.parse(value) {
        if op == .contains { return have.name.contains(value.lowercased()) }
        return op.holds(have, want)
      }
    }
    guard let index = event.valueIndex(forAnyOf: [field]) else { return op == .ne }
    return holdsByText(for: event, valueAt: index)
  }

  /// The field part of ``holdsByText(for:)``, for the value at tape index `index`.
  func holdsByText(for event: Event, valueAt index: Int) -> Bool {
    let token = event.tape[index]
    let text: String
    switch token.kind {
    case .string: text = event.bytes.withUnsafeBytes { JSONTape.string(at: index, tape: event.tape, bytes: $0) }
    case .objectStart, .arrayStart: text = event.value(at: index).jsonText
    default: text = String(decoding: event.bytes[token.range], as: UTF8.self)
    }
    if op == .contains { return text.contains(value) }
    if token.kind == .number, let a = Double(text), let b = Double(value) {
      return compare(a, b)
    }
    return compare(text, value)
  }

  private func compare<T: Comparable>(_ a: T, _ b: T) -> Bool { op.holds(a, b) }
}
