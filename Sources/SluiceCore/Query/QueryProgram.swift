/// A query compiled for evaluation: flat tables of plain values (no references but the
/// regular expressions), with every field path, value and search term as UTF-8 in one
/// `storage` array, so that evaluating an event (``QueryEvaluator.swift``) reads bytes and
/// allocates nothing.
struct QueryProgram: Sendable {
  /// One node of the tree, by index.
  struct Instruction: Sendable {
    enum Kind: UInt8, Sendable { case and, or, not, compare, exists, text }
    var kind: Kind
    /// `and`/`or`: first index into ``QueryProgram/children``; `not`: the operand's
    /// instruction; `compare`: the comparison; `exists`: the field; `text`: the term.
    var a: Int32
    /// `and`/`or`: the number of children.
    var b: Int32 = 0
  }

  /// A field reference.
  struct Field: Sendable {
    /// The whole path as one key (tried first when ``triesWholeKeyFirst``), in the storage.
    var whole: Range<Int>
    /// The keys, as ranges of ``QueryProgram/parts``.
    var components: Range<Int>
    var triesWholeKeyFirst: Bool
    var isLevel: Bool
    /// The field as written (for messages), in the storage.
    var display: Range<Int>
  }

  /// A literal, prepared for the field it is compared with.
  struct Literal: Sendable {
    enum Kind: UInt8, Sendable { case string, number, bool, null, duration }
    var kind: Kind
    var quoted: Bool
    /// The text: a string's content, anything else as written. In the storage.
    var bytes: Range<Int>
    /// A number's value; for a string, its value when it reads as a decimal number.
    var number: Double?
    var nanoseconds: Int64
    /// A duration in the unit of the compared field's number (``QueryDuration``).
    var inFieldUnit: Double
    var bool: Bool
    /// The level the literal names (for comparisons on `level`).
    var level: LogLevel?
    /// How the text compares byte by byte (see ``TextComparison``).
    var text: TextComparison.Value
  }

  /// One comparison: `field op literal(s)`.
  struct Comparison: Sendable {
    var op: QueryOp
    var field: Int
    /// One literal, or the list of `in`.
    var literals: Range<Int>
    /// For `~`, `!~` (and `contains` on `level`): the index in ``QueryProgram/regexes``; -1 otherwise.
    var regex: Int
    /// On `level` with `~`, `!~`, `contains`: bit `l.rawValue` is set when the pattern matches
    /// level `l`'s name.
    var levelNames: UInt8
  }

  /// A full-text term.
  struct Text: Sendable {
    /// The term (lower-cased in ASCII when ``ignoresCase``), in the storage.
    var bytes: Range<Int>
    /// Smart case: the term has no upper-case letter.
    var ignoresCase: Bool
  }

  var instructions: [Instruction] = []
  var children: [Int32] = []
  var comparisons: [Comparison] = []
  var fields: [Field] = []
  var literals: [Literal] = []
  var texts: [Text] = []
  var regexes: [POSIXRegex] = []
  var storage: [UInt8] = []
  var parts: [Range<Int>] = []
  var root = 0
  /// The fields of ``SchemaKeys/level``, whose first present one is `level`'s text.
  var levelFields: Range<Int> = 0..<0
  /// Some comparison is on `level`: evaluation reads ``Event/level`` once first.
  var readsLevel = false
  /// Some term reads a field.
  var needsFields = false

  /// Compiles a tree the parser built (and checked: its patterns compile).
  init(_ node: QueryNode) {
    let first = fields.count
    for key in SchemaKeys.level { _ = addField(QueryField(word: key)) }
    levelFields = first..<fields.count
    root = add(node)
  }

  // MARK: - Compiling

  private mutating func add(_ node: QueryNode) -> Int {
    let instruction: Instruction
    switch node {
    case .and(let items), .or(let items):
      let indices = items.map { add($0) }
      instruction = Instruction(
        kind: node.isAnd ? .and : .or, a: Int32(children.count), b: Int32(indices.count))
      children += indices.map { Int32($0) }
    case .not(let item):
      instruction = Instruction(kind: .not, a: Int32(add(item)))
    case .exists(let field):
      needsFields = true
      readsLevel = readsLevel || field.isLevel
      instruction = Instruction(kind: .exists, a: Int32(addField(field)))
    case .text(let term):
      let ignoresCase = !term.contains { $0.isUppercase }
      let bytes = ignoresCase ? Array(term.utf8).map(ByteSearch.foldASCII) : Array(term.utf8)
      texts.append(Text(bytes: append(bytes), ignoresCase: ignoresCase))
      instruction = Instruction(kind: .text, a: Int32(texts.count - 1))
    case .compare(let field, let op, let values):
      needsFields = true
      readsLevel = readsLevel || field.isLevel
      instruction = Instruction(kind: .compare, a: Int32(addComparison(field, op, values)))
    }
    instructions.append(instruction)
    return instructions.count - 1
  }

  private mutating func addComparison(_ field: QueryField, _ op: QueryOp, _ values: [QueryLiteral]) -> Int {
    let f = addField(field)
    let unit = Double(QueryDuration.unitNanoseconds(forFieldNamed: field.lastKey))
    let first = literals.count
    for v in values { literals.append(literal(v, unit: unit)) }
    var regex = -1
    var levelNames: UInt8 = 0
    if op == .matches || op == .notMatches || (op == .contains && field.isLevel) {
      let text = values[0].text
      // On `level`, `contains` is a literal pattern, and every pattern ignores case.
      let (pattern, ignoreCase) =
        op == .contains ? (Self.escapedPattern(text), true) : QueryParser.regexPattern(text)
      // The parser compiled the pattern once already: it cannot fail here.
      let compiled = try! POSIXRegex(pattern, options: ignoreCase || field.isLevel ? .ignoreCase : [])
      regexes.append(compiled)
      regex = regexes.count - 1
      if field.isLevel {
        for l in LogLevel.allCases {
          var name = l.name
          if name.withUTF8({ compiled.matches(UnsafeRawBufferPointer($0)) }) { levelNames |= 1 << l.rawValue }
        }
      }
    }
    comparisons.append(
      Comparison(op: op, field: f, literals: first..<literals.count, regex: regex, levelNames: levelNames))
    return comparisons.count - 1
  }

  private mutating func addField(_ field: QueryField) -> Int {
    let firstPart = parts.count
    for key in field.segments { parts.append(append(Array(key.utf8))) }
    fields.append(
      Field(
        whole: append(Array(field.segments.joined(separator: ".").utf8)), components: firstPart..<parts.count,
        triesWholeKeyFirst: field.triesWholeKeyFirst, isLevel: field.isLevel, display: append(Array(field.text.utf8))))
    return fields.count - 1
  }

  private mutating func literal(_ v: QueryLiteral, unit: Double) -> Literal {
    let bytes = append(Array(v.text.utf8))
    var l = Literal(
      kind: .string, quoted: false, bytes: bytes, number: nil, nanoseconds: 0, inFieldUnit: 0, bool: false,
      level: v.level, text: TextComparison.Value(storage[bytes]))
    switch v {
    case .string(let s, let quoted):
      l.quoted = quoted
      l.number = QueryNumber.isDecimal(s) ? Double(s) : nil
    case .number(let d, _):
      l.kind = .number
      l.number = d
    case .bool(let b):
      l.kind = .bool
      l.bool = b
    case .null:
      l.kind = .null
    case .duration(let n, _):
      l.kind = .duration
      l.nanoseconds = n
      l.inFieldUnit = Double(n) / unit
    }
    return l
  }

  private mutating func append(_ bytes: [UInt8]) -> Range<Int> {
    let start = storage.count
    storage += bytes
    return start..<storage.count
  }

  /// `text` with every metacharacter escaped: a pattern that matches exactly it.
  static func escapedPattern(_ text: String) -> String {
    var out = ""
    for c in text {
      if c.isASCII, let b = c.asciiValue, POSIXRegex.isMetacharacter(b) { out.append("\\") }
      out.append(c)
    }
    return out
  }
}

extension QueryNode {
  fileprivate var isAnd: Bool {
    if case .and = self { return true }
    return false
  }

  /// Byte strings every line the query matches contains: from the terms of the top-level
  /// conjunction, case-sensitive full-text terms (and terms with no ASCII letter), and the
  /// values of `=` (or a one-value `in`), `contains` and `~` with a literal pattern that are
  /// text (not numbers) made only of bytes JSON writers do not escape.
  var requiredLiterals: [[UInt8]] {
    var out: [[UInt8]] = []
    func add(_ bytes: [UInt8]) {
      if !bytes.isEmpty && !out.contains(bytes) { out.append(bytes) }
    }
    let conjuncts: [QueryNode]
    if case .and(let items) = self { conjuncts = items } else { conjuncts = [self] }
    for term in conjuncts {
      switch term {
      case .and: for b in term.requiredLiterals { add(b) }
      case .text(let t):
        if t.contains(where: \.isUppercase) || !t.utf8.contains(where: { ($0 | 0x20) >= 0x61 && ($0 | 0x20) <= 0x7A }) {
          add(Array(t.utf8))
        }
      case .compare(let field, let op, let values) where !field.isLevel && values.count == 1:
        let v = values[0]
        switch op {
        case .eq, .oneOf:
          // Text only: a string that reads as a number equals numbers written otherwise (5e2).
          guard case .string(let s, _) = v, !QueryNumber.isDecimal(s), Self.neverEscaped(s) else { continue }
          add(Array(s.utf8))
        case .contains:
          if Self.neverEscaped(v.text) { add(Array(v.text.utf8)) }
        case .matches:
          let (pattern, ignoreCase) = QueryParser.regexPattern(v.text)
          guard !ignoreCase, let bytes = POSIXRegex.literalBytes(of: pattern),
            Self.neverEscaped(String(decoding: bytes, as: UTF8.self))
          else { continue }
          add(bytes)
        default: continue
        }
      default: continue
      }
    }
    return out
  }

  /// Letters, digits, space and the punctuation no common JSON writer escapes (not `"`, `\`,
  /// `/`, `<`, `>`, `&`, `'`), and none of `K`, `;`, `` ` ``, which text comparison also
  /// finds as the scalars canonically equal to them (U+212A, U+037E, U+1FEF).
  static func neverEscaped(_ s: String) -> Bool {
    s.utf8.allSatisfy { b in
      switch b {
      case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"): true
      case UInt8(ascii: "A")...UInt8(ascii: "Z"): b != UInt8(ascii: "K")
      default: " !#$%()*+,-.:=?@[]^_{|}~".utf8.contains(b)
      }
    }
  }

  /// Whether a `not` has a field term under it: only then can a field that is missing (a line
  /// read as plain text) make the query hold where the field present made it fail.
  var negatesFields: Bool {
    switch self {
    case .and(let items), .or(let items): items.contains { $0.negatesFields }
    case .not(let item): item.readsFields
    case .compare, .exists, .text: false
    }
  }

  /// Whether some comparison or `exists` reads a field.
  var readsFields: Bool {
    switch self {
    case .and(let items), .or(let items): items.contains { $0.readsFields }
    case .not(let item): item.readsFields
    case .compare, .exists: true
    case .text: false
    }
  }
}
