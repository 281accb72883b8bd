/// Builds the syntax tree of a query from its tokens (recursive descent).
///
/// ```
/// query   = or
/// or      = and { ("or" | "||") and }
/// and     = unary { [ "and" | "&&" ] unary }          juxtaposition is "and"
/// unary   = ("not" | "!") unary | primary
/// primary = "(" or ")" | "exists" "(" field ")" | field op value
///         | field "in" "(" value { "," value } [","] ")" | text
/// ```
///
/// Values are checked as they are read: ordering a `level` by a name that is not a level,
/// ordering by `true`, `false` or `null`, and regular expressions that do not compile are
/// syntax errors, reported at the value.
struct QueryParser {
  private let tokens: [QueryToken]
  private var p = 0
  private var depth = 0
  static let maximumDepth = 200

  /// Parses `text` into a tree.
  static func parse(_ text: String) throws(Query.ParseError) -> QueryNode {
    var parser = QueryParser(tokens: try QueryLexer.tokenize(text))
    if parser.tokens[0].kind == .end {
      throw Query.ParseError(message: "empty query", position: parser.tokens[0].start)
    }
    let node = try parser.parseOr()
    let rest = parser.tokens[parser.p]
    if rest.kind != .end { throw parser.unexpected(rest) }
    return node
  }

  private init(tokens: [QueryToken]) { self.tokens = tokens }

  // MARK: - Connectives

  private mutating func parseOr() throws(Query.ParseError) -> QueryNode {
    var items = [try parseAnd()]
    while tokens[p].kind == .or || isWord(tokens[p], "or") {
      let or = tokens[p]
      p += 1
      guard canStartTerm(tokens[p]) else { throw expected("a term", after: or, found: tokens[p]) }
      items.append(try parseAnd())
    }
    return items.count == 1 ? items[0] : .or(items)
  }

  private mutating func parseAnd() throws(Query.ParseError) -> QueryNode {
    var items = [try parseUnary()]
    while true {
      let t = tokens[p]
      if t.kind == .and || isWord(t, "and") {
        p += 1
        guard canStartTerm(tokens[p]) else { throw expected("a term", after: t, found: tokens[p]) }
      } else if !canStartTerm(t) {
        break
      }
      items.append(try parseUnary())
    }
    return items.count == 1 ? items[0] : .and(items)
  }

  private mutating func parseUnary() throws(Query.ParseError) -> QueryNode {
    let t = tokens[p]
    guard t.kind == .not || isWord(t, "not") else { return try parsePrimary() }
    p += 1
    guard canStartTerm(tokens[p]) else { throw expected("a term", after: t, found: tokens[p]) }
    try enter(t)
    defer { depth -= 1 }
    return .not(try parseUnary())
  }

  // MARK: - Terms

  private mutating func parsePrimary() throws(Query.ParseError) -> QueryNode {
    let t = tokens[p]
    switch t.kind {
    case .leftParen:
      p += 1
      guard canStartTerm(tokens[p]) else { throw expected("a term", after: t, found: tokens[p]) }
      try enter(t)
      defer { depth -= 1 }
      let inner = try parseOr()
      try close(t)
      return inner
    case .word where t.text.lowercased() == "exists" && tokens[p + 1].kind == .leftParen:
      let open = tokens[p + 1]
      p += 2
      let f = tokens[p]
      guard f.kind == .word || f.kind == .string || f.kind == .path, !QueryLexer.isConnective(f.text) else {
        throw expected("a field name in exists(…)", f)
      }
      p += 1
      try close(open)
      return .exists(field(f))
    case .word where isWord(t, "and") || isWord(t, "or"):
      throw unexpected(t)
    case .word, .string, .path:
      let next = tokens[p + 1]
      if case .compare(let op) = next.kind { return try parseComparison(op: op) }
      if isWord(next, "contains") { return try parseComparison(op: .contains) }
      if isWord(next, "in") { return try parseList() }
      p += 1
      return .text(t.kind == .path ? t.source : t.text)
    default:
      throw unexpected(t)
    }
  }

  /// `field op value`, at the field.
  private mutating func parseComparison(op: QueryOp) throws(Query.ParseError) -> QueryNode {
    let f = field(tokens[p])
    let opToken = tokens[p + 1]
    p += 2
    let v = tokens[p]
    guard isValue(v) else { throw expected("a value", after: opToken, found: v) }
    p += 1
    let value = literal(v)
    try check(value, for: f, op: op, at: v.start)
    return .compare(f, op, [value])
  }

  /// `field in (a, b, …)`, at the field.
  private mutating func parseList() throws(Query.ParseError) -> QueryNode {
    let f = field(tokens[p])
    p += 2
    let open = tokens[p]
    guard open.kind == .leftParen else { throw expected("'('", after: tokens[p - 1], found: open) }
    p += 1
    var values: [QueryLiteral] = []
    while true {
      let v = tokens[p]
      if v.kind == .rightParen && !values.isEmpty { break }
      if v.kind == .end { throw Query.ParseError(message: "unclosed '('", position: open.start) }
      guard isValue(v) else { throw expected("a value in the 'in' list", v) }
      p += 1
      let value = literal(v)
      try check(value, for: f, op: .eq, at: v.start)
      values.append(value)
      let separator = tokens[p]
      if separator.kind == .comma {
        p += 1
      } else if separator.kind != .rightParen {
        if separator.kind == .end { throw Query.ParseError(message: "unclosed '('", position: open.start) }
        throw expected("',' or ')' in the 'in' list", separator)
      }
    }
    p += 1
    return .compare(f, .oneOf, values)
  }

  // MARK: - Values

  /// Rejects what can never compare: orderings by `true`, `false`, `null`, or (on `level`)
  /// by a name that is no level, and regular expressions that do not compile.
  private func check(
    _ value: QueryLiteral, for field: QueryField, op: QueryOp, at position: Int
  )
    throws(Query.ParseError)
  {
    if op.isOrdering {
      switch value {
      case .bool, .null:
        throw Query.ParseError(
          message: "'\(op.rawValue)' cannot order by \(value.text): true, false and null take = and !=",
          position: position)
      default:
        if field.isLevel && value.level == nil {
          throw Query.ParseError(message: "unknown level '\(value.text)'", position: position)
        }
      }
    }
    if op == .matches || op == .notMatches {
      let (pattern, ignoreCase) = Self.regexPattern(value.text)
      do {
        _ = try POSIXRegex(pattern, options: ignoreCase || field.isLevel ? .ignoreCase : [])
      } catch {
        throw Query.ParseError(message: "invalid regular expression: \(error.reason)", position: position)
      }
    }
  }

  /// A regular expression's pattern without a leading `(?i)`, and whether it had one.
  static func regexPattern(_ text: String) -> (pattern: String, ignoreCase: Bool) {
    text.hasPrefix("(?i)") ? (String(text.dropFirst(4)), true) : (text, false)
  }

  private func literal(_ t: QueryToken) -> QueryLiteral {
    switch t.kind {
    case .word: QueryLiteral(word: t.text)
    case .string: .string(t.text, quoted: true)
    default: .string(t.source, quoted: true)
    }
  }

  private func field(_ t: QueryToken) -> QueryField {
    switch t.kind {
    case .word: QueryField(word: t.text)
    default: QueryField(segments: t.segments, text: t.source)
    }
  }

  // MARK: - Helpers

  private func isWord(_ t: QueryToken, _ keyword: String) -> Bool {
    t.kind == .word && t.text.count == keyword.count && t.text.lowercased() == keyword
  }

  /// Whether a term (`not`, `(`, a field, a search term) can start at `t`.
  private func canStartTerm(_ t: QueryToken) -> Bool {
    switch t.kind {
    case .word: !isWord(t, "and") && !isWord(t, "or")
    case .string, .path, .leftParen, .not: true
    default: false
    }
  }

  /// Whether `t` can be a value: a word other than `and`, `or`, `not`, or quoted text.
  private func isValue(_ t: QueryToken) -> Bool {
    switch t.kind {
    case .word: !QueryLexer.isConnective(t.text)
    case .string, .path: true
    default: false
    }
  }

  private mutating func close(_ open: QueryToken) throws(Query.ParseError) {
    let t = tokens[p]
    if t.kind == .rightParen {
      p += 1
      return
    }
    if t.kind == .end { throw Query.ParseError(message: "unclosed '('", position: open.start) }
    throw expected("')'", t)
  }

  private mutating func enter(_ t: QueryToken) throws(Query.ParseError) {
    depth += 1
    if depth > Self.maximumDepth {
      throw Query.ParseError(message: "the query nests deeper than \(Self.maximumDepth) levels", position: t.start)
    }
  }

  /// "expected … " at the token found instead.
  private func expected(_ what: String, _ found: QueryToken) -> Query.ParseError {
    Query.ParseError(message: "expected \(what)" + (found.kind == .end ? ", found the end" : ""), position: found.start)
  }

  /// "expected … after 'x'", at the column just after `x` (where what is missing belongs).
  private func expected(_ what: String, after previous: QueryToken, found: QueryToken) -> Query.ParseError {
    Query.ParseError(
      message: "expected \(what) after '\(previous.source)'" + (found.kind == .end ? ", found the end" : ""),
      position: previous.end)
  }

  /// The error for a token that cannot stand where it is.
  private func unexpected(_ t: QueryToken) -> Query.ParseError {
    switch t.kind {
    case .rightParen: Query.ParseError(message: "unexpected ')' without a matching '('", position: t.start)
    case .comma: Query.ParseError(message: "unexpected ',' (quote text that contains commas)", position: t.start)
    case .compare: Query.ParseError(message: "expected a field name before '\(t.source)'", position: t.start)
    case .and, .or, .word: Query.ParseError(message: "expected a term before '\(t.source)'", position: t.start)
    default: Query.ParseError(message: "unexpected '\(t.source)'", position: t.start)
    }
  }
}

extension QueryLiteral {
  /// The level the literal names: a level name (``LogLevel/parse(_:)-(String)``), a syslog
  /// severity `0`–`7` (0 emerg … 7 debug, as `journalctl -p` takes them) or a pino/bunyan
  /// level `10`–`60`; nil otherwise.
  var level: LogLevel? {
    switch self {
    case .string(let s, _): return LogLevel.parse(s)
    case .number(let d, _):
      guard d == d.rounded(), d >= 0, d <= 60 else { return nil }
      switch Int(d) {
      case 0, 1, 2: return .critical
      case 3: return .error
      case 4: return .warning
      case 5: return .notice
      case 6: return .info
      case 7: return .debug
      case let n: return LogLevel.fromNumericLevel(n)
      }
    default: return nil
    }
  }
}
