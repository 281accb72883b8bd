/// A query of Sluice's query language, the one language that selects events in
/// `sluice grep`, the agent's `filter` step and the `match:` of derived metrics
/// (docs/query.md has the full reference):
///
/// ```
/// level>=error timeout                       severity, and the word "timeout" anywhere in the line
/// status>=500 and path~"^/api"               a number, and a POSIX extended regular expression
/// request_id in (a1, b2) or not exists(user) lists, presence, precedence not > and > or
/// duration_ms>2s  "error.type"=io            durations in the field's unit; a key with dots, quoted
/// ```
///
/// The text is parsed once into a tree and compiled: field paths, values and search terms
/// become bytes, regular expressions are compiled (`regcomp`) once. Matching then reads the
/// event's token tape and bytes and allocates nothing per line (for the rare texts where only
/// `String` can decide a comparison — non-ASCII values, combining marks next to a match — it
/// falls back to `String`). A query is immutable and may be evaluated from several threads
/// at once.
public struct Query: Sendable, Equatable, CustomStringConvertible {
  /// The compiled query behind one reference, so that copying a query (binding it, passing
  /// it per line) costs one retain rather than one per array it holds.
  final class Compiled: Sendable {
    let node: QueryNode
    let program: QueryProgram
    let requiredLiterals: [[UInt8]]
    let projection: JSONProjection?

    init(node: QueryNode) {
      self.node = node
      program = QueryProgram(node)
      requiredLiterals = node.requiredLiterals
      projection = program.projection
    }
  }

  let compiled: Compiled

  /// The syntax tree (queries are equal when their trees are).
  var node: QueryNode { compiled.node }
  var program: QueryProgram { compiled.program }

  /// Byte strings that every matching line contains — from the top-level conjunction:
  /// case-sensitive full-text terms (and those without ASCII letters), and the text values
  /// of `=`, `contains` and `~` with a literal pattern, when made only of bytes JSON writers
  /// do not escape. A caller may skip (`memmem`) any line that lacks one of them without
  /// evaluating the query. Empty when there are none.
  public var requiredLiterals: [[UInt8]] { compiled.requiredLiterals }

  /// The top-level members the query can read of a JSON object and the keys that settle it:
  /// an event loaded with it (``Event/loadObject(_:keeping:scanner:)``) gives the same answer
  /// as the whole event — except that when ``readsLevel`` and the partial event has no
  /// ``Event/level``, the whole event must be read (the level may be in a later key). nil
  /// when the query reads no field, or too many keys.
  public var projection: JSONProjection? { compiled.projection }

  /// Whether a `not` has a field term under it (see ``projection``: a partial event's "no"
  /// is then not final).
  public var negatesFields: Bool { node.negatesFields }

  /// Whether the query compares or tests `level`.
  public var readsLevel: Bool { program.readsLevel }

  /// Whether the query reads any field. When false (full-text terms only), lines need not
  /// be parsed: ``matches(_:line:)`` with a nil event gives the same answer.
  public var needsFields: Bool { program.needsFields }

  /// Parses and compiles a query.
  /// - Throws: ``ParseError`` with the message and the column of the offending token.
  public init(_ text: String) throws(ParseError) {
    compiled = Compiled(node: try QueryParser.parse(text))
  }

  private init(compiled: Compiled) { self.compiled = compiled }

  /// The same query compiled again, sharing no object with this one: for a thread of its own.
  /// Threads that evaluate one shared query retain and release the same objects on every line,
  /// and those reference counts bounce between the cores' caches.
  public func compiledAgain() -> Query { Query(compiled: Compiled(node: node)) }

  /// The query in a canonical spelling (`level>=error and (a=1 or b~"x")`).
  public var description: String { node.description }

  public static func == (a: Query, b: Query) -> Bool { a.node == b.node }

  /// Whether a structured event matches, for the agent's `filter` step and metric rules.
  ///
  /// Raw (unparsed) events match nothing; full-text terms search the event's bytes (its
  /// JSON text); a comparison whose types do not fit (a number ordered by a string) is false.
  public func matches(_ event: Event) -> Bool {
    guard event.isStructured else { return false }
    return event.bytes.withUnsafeBytes { raw in
      (try? compiled.program.evaluate(event: event, structured: true, line: raw, strict: false)) ?? false
    }
  }

  /// Whether a line matches, for `sluice grep`.
  ///
  /// - Parameters:
  ///   - event: the line as a structured event, or nil for a plain-text line: then only
  ///     full-text terms can hold (every field term is false, so `not field=x` is true).
  ///   - line: the raw line, which full-text terms search.
  /// - Throws: ``QueryTypeError`` when the query orders a number by a string
  ///   (`duration_ms>fast`) on an event where the field is a number.
  public func matches(_ event: Event?, line: UnsafeRawBufferPointer) throws(QueryTypeError) -> Bool {
    guard let event else {
      return try compiled.program.evaluate(event: Event(), structured: false, line: line, strict: true)
    }
    return try compiled.program.evaluate(event: event, structured: true, line: line, strict: true)
  }

  /// ``matches(_:line:)`` without wrapping the event in an optional (no copy of it per line):
  /// `structured` false stands for a plain-text line, whatever `event` holds.
  /// `level`, when given, is the event's ``Event/level`` as the caller already read it.
  public func matches(
    _ event: Event, structured: Bool, line: UnsafeRawBufferPointer, level: LogLevel?? = nil
  ) throws(QueryTypeError) -> Bool {
    try compiled.program.evaluate(event: event, structured: structured, line: line, strict: true, level: level)
  }
}

extension Query {
  /// A syntax error: a message and the column (0-based, in `Character`s of the query text)
  /// of the offending token — for "expected … after 'x'", the column just after `x`, where
  /// the missing part belongs.
  public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public var position: Int

    public init(message: String, position: Int) {
      self.message = message
      self.position = position
    }

    /// `query error at N: message` (configuration validation shows this).
    public var description: String { "query error at \(position): \(message)" }

    /// The error for a terminal: the message line, then the query's line indented by two
    /// spaces, then a caret under the offending column.
    ///
    /// ```
    /// sluice grep: query error: expected a value after '>='
    ///   level>= and x
    ///          ^
    /// ```
    /// A query of several lines shows the line of the error. Tabs are kept in the caret line
    /// so that it aligns; East Asian wide characters count two columns.
    public func rendered(query: String, prefix: String = "sluice grep: query error: ") -> String {
      let chars = Array(query)
      let at = min(max(position, 0), chars.count)
      var lineStart = at
      while lineStart > 0 && !chars[lineStart - 1].isNewline { lineStart -= 1 }
      var lineEnd = at
      while lineEnd < chars.count && !chars[lineEnd].isNewline { lineEnd += 1 }
      var caret = ""
      for c in chars[lineStart..<at] {
        caret += c == "\t" ? "\t" : Self.isWide(c) ? "  " : " "
      }
      return prefix + message + "\n  " + String(chars[lineStart..<lineEnd]) + "\n  " + caret + "^"
    }

    /// Whether a terminal shows `c` two columns wide (East Asian Wide and Fullwidth, emoji).
    static func isWide(_ c: Character) -> Bool {
      guard let v = c.unicodeScalars.first?.value else { return false }
      switch v {
      case 0x1100...0x115F, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xA000...0xA4CF,
        0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE30...0xFE4F, 0xFF00...0xFF60, 0xFFE0...0xFFE6, 0x1F300...0x1F64F,
        0x1F900...0x1F9FF, 0x20000...0x3FFFD:
        return true
      default: return false
      }
    }
  }
}

/// A comparison that cannot be made on an event's value: the query orders a field that is a
/// number by a string (`duration_ms>fast`). ``Query/matches(_:line:)`` throws it; the agent's
/// ``Query/matches(_:)`` counts it as false.
public struct QueryTypeError: Error, Sendable, Equatable, CustomStringConvertible {
  /// The field as written in the query.
  public var field: String
  /// The literal it was compared with.
  public var value: String
  /// The sentence to show, e.g. `'duration_ms' is a number, but the query compares it with
  /// the string 'fast' (write a number, or quote nothing)`.
  public var message: String

  public init(field: String, value: String, message: String) {
    self.field = field
    self.value = value
    self.message = message
  }

  public var description: String { message }
}
