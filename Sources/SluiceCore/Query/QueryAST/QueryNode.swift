/// A comparison operator of the query language.
enum QueryOp: String, Sendable, CaseIterable {
  case eq = "="
  case ne = "!="
  case gt = ">"
  case ge = ">="
  case lt = "<"
  case le = "<="
  /// `~`: a POSIX extended regular expression matches somewhere in the field's text.
  case matches = "~"
  /// `!~`: the regular expression matches nowhere (or the field is missing).
  case notMatches = "!~"
  /// `contains`: a substring of the field's text.
  case contains = "contains"
  /// `in (a, b)`: equal to one of the values.
  case oneOf = "in"

  /// `>`, `>=`, `<`, `<=`.
  var isOrdering: Bool { self == .gt || self == .ge || self == .lt || self == .le }
  /// `~`, `!~`, `contains`: they read the field's text.
  var readsText: Bool { self == .matches || self == .notMatches || self == .contains }
}

/// A field reference: a top-level key, or a path into nested objects.
struct QueryField: Sendable, Equatable {
  /// The keys from the top level down.
  var segments: [String]
  /// Written as one bare word with dots (`http.status`): the whole text is tried as one key
  /// first (as ECS writes `log.level`), then the path. False for a path with quoted keys.
  var triesWholeKeyFirst: Bool
  /// As written in the query (for messages and ``QueryNode/description``).
  var text: String

  /// A field written as one bare word (`status`, `http.status`).
  init(word: String) {
    segments = word.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
    triesWholeKeyFirst = segments.count > 1
    text = word
  }

  /// A field written with quoted keys: `"error.type"` is the single key `error.type`.
  init(segments: [String], text: String) {
    self.segments = segments
    triesWholeKeyFirst = false
    self.text = text
  }

  /// The field `level`, which compares by severity across schemas.
  var isLevel: Bool { segments == ["level"] }

  /// The last key, whose suffix gives the unit of a duration in a number (`duration_ms`).
  var lastKey: String { segments.last ?? "" }

  /// Fields are equal when they read the same keys the same way, however they were written.
  static func == (a: QueryField, b: QueryField) -> Bool {
    a.segments == b.segments && a.triesWholeKeyFirst == b.triesWholeKeyFirst
  }
}

/// A typed literal of the query language.
enum QueryLiteral: Sendable, Equatable {
  /// Literals are equal when they mean the same: quoting a string only changes the advice
  /// of a type error.
  static func == (a: QueryLiteral, b: QueryLiteral) -> Bool {
    switch (a, b) {
    case (.string(let x, _), .string(let y, _)): x == y
    case (.number(let x, _), .number(let y, _)): x == y
    case (.bool(let x), .bool(let y)): x == y
    case (.null, .null): true
    case (.duration(let x, _), .duration(let y, _)): x == y
    default: false
    }
  }

  /// Quoted text, or a bare word that is no other literal.
  case string(String, quoted: Bool)
  /// A decimal number (`500`, `-0.5`, `1e3`), with its text as written.
  case number(Double, text: String)
  case bool(Bool)
  case null
  /// A duration (`500ms`, `1.5m`, `1h30m`) in nanoseconds, with its text as written.
  case duration(nanoseconds: Int64, text: String)

  /// The literal's text: a string's content, anything else as written.
  var text: String {
    switch self {
    case .string(let s, _): s
    case .number(_, let t), .duration(_, let t): t
    case .bool(let b): b ? "true" : "false"
    case .null: "null"
    }
  }

  /// Classifies a bare word: number, duration, `true`, `false`, `null`, or text.
  init(word: String) {
    switch word {
    case "true": self = .bool(true)
    case "false": self = .bool(false)
    case "null": self = .null
    default:
      if QueryNumber.isDecimal(word), let d = Double(word) {
        self = .number(d, text: word)
      } else if let n = QueryDuration.nanoseconds(parsing: word) {
        self = .duration(nanoseconds: n, text: word)
      } else {
        self = .string(word, quoted: false)
      }
    }
  }
}

/// A parsed query: the syntax tree the parser builds and ``QueryProgram`` compiles.
indirect enum QueryNode: Sendable, Equatable {
  case and([QueryNode])
  case or([QueryNode])
  case not(QueryNode)
  /// `field op value`; for `in`, every value of the list.
  case compare(QueryField, QueryOp, [QueryLiteral])
  /// `exists(field)`.
  case exists(QueryField)
  /// A full-text term, searched for in the line's bytes.
  case text(String)
}

extension QueryNode: CustomStringConvertible {
  /// The query in a canonical spelling (it parses back to an equal tree).
  var description: String { spelled(inside: .or) }

  private enum Context { case or, and, not }

  private func spelled(inside context: Context) -> String {
    switch self {
    case .or(let items):
      let text = items.map { $0.spelled(inside: .or) }.joined(separator: " or ")
      return context == .or ? text : "(\(text))"
    case .and(let items):
      let text = items.map { $0.spelled(inside: .and) }.joined(separator: " and ")
      return context == .not ? "(\(text))" : text
    case .not(let item): return "not " + item.spelled(inside: .not)
    case .exists(let field): return "exists(\(Self.spell(field)))"
    case .text(let term): return Self.spell(text: term, quotedIfKeyword: true)
    case .compare(let field, let op, let values):
      let name = Self.spell(field)
      if op == .oneOf { return "\(name) in (" + values.map(Self.spell).joined(separator: ", ") + ")" }
      let value = values.first.map(Self.spell) ?? ""
      return op == .contains ? "\(name) contains \(value)" : "\(name)\(op.rawValue)\(value)"
    }
  }

  private static func spell(_ field: QueryField) -> String {
    if field.triesWholeKeyFirst {
      let whole = field.segments.joined(separator: ".")
      if QueryLexer.isBareWord(whole) { return whole }
    }
    return field.segments.map { QueryLexer.isBareWord($0) && !$0.contains(".") ? $0 : quote($0) }
      .joined(separator: ".")
  }

  private static func spell(_ literal: QueryLiteral) -> String {
    switch literal {
    case .string(let s, _):
      // A bare word that would read as another literal (or a keyword) is quoted.
      if QueryLexer.isBareWord(s), case .string = QueryLiteral(word: s), !QueryLexer.isConnective(s) { return s }
      return quote(s)
    default: return literal.text
    }
  }

  private static func spell(text: String, quotedIfKeyword: Bool) -> String {
    QueryLexer.isBareWord(text) && !QueryLexer.isKeyword(text) ? text : quote(text)
  }

  static func quote(_ s: String) -> String {
    var out = "\""
    // By scalar: a quote followed by a combining mark is still a quote to the lexer.
    for c in s.unicodeScalars {
      switch c {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      default: out.unicodeScalars.append(c)
      }
    }
    return out + "\""
  }
}

/// Decimal numbers as the query language and JSON numbers in strings read them.
enum QueryNumber {
  /// `-?(digits[.digits?] | .digits)([eE][+-]?digits)?` — no `inf`, `nan` or hex.
  static func isDecimal(_ text: String) -> Bool {
    var text = text
    return text.withUTF8 { isDecimal(UnsafeRawBufferPointer($0)) }
  }

  /// ``isDecimal(_:)`` on UTF-8 bytes.
  static func isDecimal(_ b: UnsafeRawBufferPointer) -> Bool {
    let n = b.count
    var i = 0
    if i < n && (b[i] == UInt8(ascii: "-") || b[i] == UInt8(ascii: "+")) { i += 1 }
    var digits = 0
    while i < n && isDigit(b[i]) {
      i += 1
      digits += 1
    }
    if i < n && b[i] == UInt8(ascii: ".") {
      i += 1
      while i < n && isDigit(b[i]) {
        i += 1
        digits += 1
      }
    }
    guard digits > 0 else { return false }
    if i < n && (b[i] == UInt8(ascii: "e") || b[i] == UInt8(ascii: "E")) {
      i += 1
      if i < n && (b[i] == UInt8(ascii: "-") || b[i] == UInt8(ascii: "+")) { i += 1 }
      var exponent = 0
      while i < n && isDigit(b[i]) {
        i += 1
        exponent += 1
      }
      guard exponent > 0 else { return false }
    }
    return i == n
  }

  @inline(__always)
  static func isDigit(_ c: UInt8) -> Bool { c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }

  /// The value of decimal text (``isDecimal(_:)``), as `Double(String)` reads it; allocates
  /// only for literals beyond Clinger's fast path that are over 15 bytes.
  static func value(_ b: UnsafeRawBufferPointer) -> Double? {
    guard isDecimal(b) else { return nil }
    if b.first == UInt8(ascii: "+") { return value(UnsafeRawBufferPointer(rebasing: b.dropFirst())) }
    if let d = JSONTape.exactDouble(b) { return d }
    return Double(String(decoding: b, as: UTF8.self))
  }
}
