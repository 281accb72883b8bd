/// One token of a query, with the columns (0-based, in `Character`s) it spans.
struct QueryToken: Sendable, Equatable {
  enum Kind: Sendable, Equatable {
    /// Bare text: a field, a keyword (`and`, `in`, …), a value or a search term.
    case word
    /// Quoted text, escapes resolved.
    case string
    /// A field path with quoted keys (`"error.type"`, `labels."app.kubernetes.io/name"`).
    case path
    case leftParen, rightParen, comma
    /// `&&`, `||`, `!`.
    case and, or, not
    case compare(QueryOp)
    case end
  }

  var kind: Kind
  /// The word or the string's content; for symbols, the symbol.
  var text: String
  /// For ``Kind/path`` and ``Kind/string``: the keys of the path.
  var segments: [String] = []
  var start: Int
  var end: Int
  /// The source text of the token, as typed (quotes included).
  var source: String = ""
}

/// Splits a query into tokens.
///
/// - Words run until whitespace, `(`, `)`, `,`, `=`, `<`, `>`, `~`, `!=`, `!~`, `&&` or `||`
///   (so `http.status>=500` is three tokens, and `it's` one word). A word may start with
///   `(?i)`, a regular expression's flag.
/// - Strings are quoted with `"` or `'`; `\\`, `\"`, `\'`, `\n`, `\r`, `\t` and `\u{…}`
///   are escapes, any other backslash stays (regular expressions keep `\.`).
/// - A quoted key joined to a bare one by a dot (`labels."app.kubernetes.io/name"`) makes a
///   path token.
/// - Operators are read as one run of `= ! < > ~`: `=`, `==`, `!=`, `>`, `>=`, `<`, `<=`, `~`,
///   `=~` (as `~`), `!~`, and `!` (not); any other run is an unknown operator.
struct QueryLexer {
  /// The query's scalars: a quote or an operator followed by a combining mark is still a
  /// quote or an operator (as a `Character` it would be a different one).
  private let chars: [Unicode.Scalar]
  /// For each scalar index (and the end), the column in `Character`s that positions report.
  private let columns: [Int]
  private var i = 0

  private init(_ text: String) {
    chars = Array(text.unicodeScalars)
    var columns: [Int] = []
    columns.reserveCapacity(chars.count + 1)
    for (column, character) in text.enumerated() {
      for _ in character.unicodeScalars { columns.append(column) }
    }
    columns.append(text.count)
    self.columns = columns
  }

  private static func string(_ scalars: ArraySlice<Unicode.Scalar>) -> String {
    var s = ""
    s.unicodeScalars.append(contentsOf: scalars)
    return s
  }

  private func error(_ message: String, at index: Int) -> Query.ParseError {
    Query.ParseError(message: message, position: columns[index])
  }

  /// The tokens of `text`, ending with an ``QueryToken/Kind/end`` token.
  static func tokenize(_ text: String) throws(Query.ParseError) -> [QueryToken] {
    var lexer = QueryLexer(text)
    var tokens: [QueryToken] = []
    while true {
      var token = try lexer.next()
      token.start = lexer.columns[token.start]
      token.end = lexer.columns[token.end]
      tokens.append(token)
      if token.kind == .end { return tokens }
    }
  }

  private mutating func next() throws(Query.ParseError) -> QueryToken {
    while i < chars.count && chars[i].properties.isWhitespace { i += 1 }
    let start = i
    guard i < chars.count else { return QueryToken(kind: .end, text: "", start: i, end: i) }
    let c = chars[i]
    func symbol(_ kind: QueryToken.Kind, length: Int) -> QueryToken {
      i += length
      let text = Self.string(chars[start..<i])
      return QueryToken(kind: kind, text: text, start: start, end: i, source: text)
    }
    switch c {
    case ")": return symbol(.rightParen, length: 1)
    case ",": return symbol(.comma, length: 1)
    case "&" where peek(1) == "&": return symbol(.and, length: 2)
    case "|" where peek(1) == "|": return symbol(.or, length: 2)
    case "=", "!", "<", ">", "~": return try operatorRun()
    case "(" where peek(1) == "?" && peek(2) == "i" && peek(3) == ")": return try term()  // `(?i)pattern`
    case "(": return symbol(.leftParen, length: 1)
    default: return try term()
    }
  }

  private func peek(_ offset: Int) -> Unicode.Scalar? { i + offset < chars.count ? chars[i + offset] : nil }

  private mutating func operatorRun() throws(Query.ParseError) -> QueryToken {
    let start = i
    while i < chars.count && Self.isOperatorCharacter(chars[i]) { i += 1 }
    var run = Self.string(chars[start..<i])
    // `!` directly before a term is `not`; `!!x` is two of them.
    if run.allSatisfy({ $0 == "!" }) {
      i = start + 1
      run = "!"
      return QueryToken(kind: .not, text: run, start: start, end: i, source: run)
    }
    let op: QueryOp? =
      switch run {
      case "=", "==": .eq
      case "!=": .ne
      case ">": .gt
      case ">=": .ge
      case "<": .lt
      case "<=": .le
      case "~", "=~": .matches
      case "!~": .notMatches
      default: nil
      }
    guard let op else { throw error("unknown operator '\(run)'", at: start) }
    return QueryToken(kind: .compare(op), text: run, start: start, end: i, source: run)
  }

  static func isOperatorCharacter(_ c: Unicode.Scalar) -> Bool {
    c == "=" || c == "!" || c == "<" || c == ">" || c == "~"
  }

  /// Whether `c` at `index` ends a word.
  private func endsWord(at index: Int) -> Bool {
    let c = chars[index]
    if c.properties.isWhitespace { return true }
    switch c {
    case "(", ")", ",", "=", "<", ">", "~": return true
    case "!": return index + 1 < chars.count && (chars[index + 1] == "=" || chars[index + 1] == "~")
    case "&": return index + 1 < chars.count && chars[index + 1] == "&"
    case "|": return index + 1 < chars.count && chars[index + 1] == "|"
    default: return false
    }
  }

  /// A word, a string, or a path made of bare and quoted keys joined by dots.
  private mutating func term() throws(Query.ParseError) -> QueryToken {
    let start = i
    var segments: [String] = []
    var current = ""
    var quotedAny = false
    var onlyOneQuoted = true
    // A regular expression's case-insensitivity flag starts a word: `msg~(?i)failed`.
    if chars[i] == "(" {
      current = "(?i)"
      i += 4
    }
    while i < chars.count {
      let c = chars[i]
      let atKeyStart = i == start || chars[i - 1] == "."
      if (c == "\"" || c == "'") && atKeyStart {
        if i != start { onlyOneQuoted = false }
        current = try quoted()
        quotedAny = true
        // After a quoted key, only a dot followed by another key continues the term.
        if i + 1 < chars.count && chars[i] == "." && !endsWord(at: i + 1) {
          segments.append(current)
          current = ""
          onlyOneQuoted = false
          i += 1
          continue
        }
        break
      }
      if endsWord(at: i) { break }
      if c == "." {
        segments.append(current)
        current = ""
      } else {
        current.unicodeScalars.append(c)
      }
      i += 1
    }
    segments.append(current)
    let source = Self.string(chars[start..<i])
    if !quotedAny { return QueryToken(kind: .word, text: source, start: start, end: i, source: source) }
    if onlyOneQuoted && segments.count == 1 {
      return QueryToken(kind: .string, text: segments[0], segments: segments, start: start, end: i, source: source)
    }
    return QueryToken(kind: .path, text: source, segments: segments, start: start, end: i, source: source)
  }

  /// A quoted string starting at `i`; leaves `i` after the closing quote.
  private mutating func quoted() throws(Query.ParseError) -> String {
    let open = i
    let quote = chars[i]
    i += 1
    var out = ""
    while i < chars.count {
      let c = chars[i]
      if c == quote {
        i += 1
        return out
      }
      if c == "\\" && i + 1 < chars.count {
        let e = chars[i + 1]
        switch e {
        case "\\", "\"", "'": out.unicodeScalars.append(e)
        case "n": out.append("\n")
        case "r": out.append("\r")
        case "t": out.append("\t")
        case "u" where i + 2 < chars.count && chars[i + 2] == "{":
          var j = i + 3
          var hex = ""
          while j < chars.count && chars[j] != "}" && hex.count <= 6 {
            hex.unicodeScalars.append(chars[j])
            j += 1
          }
          guard j < chars.count, chars[j] == "}", let v = UInt32(hex, radix: 16), let s = Unicode.Scalar(v) else {
            throw error("invalid escape: write \\u{hex digits} for a Unicode scalar", at: i)
          }
          out.unicodeScalars.append(s)
          i = j + 1
          continue
        default:
          // Not an escape: the backslash stays (`\.` in a regular expression).
          out.unicodeScalars.append(c)
          out.unicodeScalars.append(e)
        }
        i += 2
        continue
      }
      out.unicodeScalars.append(c)
      i += 1
    }
    throw error("unterminated string: no closing \(quote)", at: open)
  }

  /// Whether `text` reads back as one word token (so it needs no quotes).
  static func isBareWord(_ text: String) -> Bool {
    guard let first = text.first, first != "\"", first != "'" else { return false }
    let tokens = try? tokenize(text)
    guard let tokens, tokens.count == 2, tokens[0].kind == .word else { return false }
    return tokens[0].text == text
  }

  /// `and`, `or`, `not` in any case: words that join terms.
  static func isConnective(_ word: String) -> Bool {
    let w = word.lowercased()
    return w == "and" || w == "or" || w == "not"
  }

  /// Connectives, and the words that start an operator or function (`in`, `contains`, `exists`).
  static func isKeyword(_ word: String) -> Bool {
    let w = word.lowercased()
    return isConnective(w) || w == "in" || w == "contains" || w == "exists"
  }
}
