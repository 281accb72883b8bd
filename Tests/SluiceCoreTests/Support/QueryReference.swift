@testable import SluiceCore

/// One comparison of the query language evaluated the slow, obvious way — through
/// `JSONValue` trees, `String` and `Double(String)` — as the reference the compiled,
/// byte-level evaluation must agree with. Covers `= != > >= < <= contains` with a string or
/// number literal on any field but `level` (which has its own tests).
enum QueryReference {
  enum Outcome: Equatable, CustomStringConvertible {
    case holds(Bool)
    case typeError

    var description: String {
      switch self {
      case .holds(let b): "\(b)"
      case .typeError: "type error"
      }
    }
  }

  /// A literal as the query text gives it: quoted text, or a decimal number.
  enum Literal {
    case text(String)
    case number(String)
  }

  static func evaluate(field: String, op: String, literal: Literal, on event: Event) -> Outcome {
    guard let index = event.valueIndex(forAnyOf: [field]) else { return .holds(op == "!=") }
    let token = event.tape[index]
    let value = event.value(at: index)
    // The value's text as the line has it: a decoded string, a scalar's literal, a container's JSON.
    let text: String
    switch token.kind {
    case .string: text = value.stringValue!
    case .objectStart, .arrayStart:
      let end = Int(event.tape[Int(token.end) - 1].end)
      text = String(decoding: event.bytes[Int(token.start)..<end], as: UTF8.self)
    default: text = String(decoding: event.bytes[token.range], as: UTF8.self)
    }
    let literalText: String
    switch literal {
    case .text(let s), .number(let s): literalText = s
    }
    if op == "contains" {
      if token.kind == .objectStart || token.kind == .arrayStart {
        return .holds(Array(text.utf8).firstRange(of: Array(literalText.utf8)) != nil || literalText.isEmpty)
      }
      // Whole Characters, compared with canonical equivalence: String.contains's semantics,
      // spelled out (Foundation's `contains`, visible in this module, differs for "").
      return .holds(literalText.isEmpty || Array(text).firstRange(of: Array(literalText)) != nil)
    }
    let ordering = op != "=" && op != "!="
    // The relation: -1, 0, 1, or nil for values that do not compare.
    var relation: Int?
    switch (token.kind, literal) {
    case (.string, .text(let s)):
      relation = text == s ? 0 : text < s ? -1 : 1
    case (.string, .number(let s)):
      if isDecimal(text), let a = Double(text), let b = Double(s) { relation = order(a, b) }
    case (.number, .number(let s)):
      relation = order(Double(text)!, Double(s)!)
    case (.number, .text(let s)):
      if ordering { return .typeError }
      if isDecimal(s), let b = Double(s) { relation = order(Double(text)!, b) }
    case (.true, .text(let s)), (.false, .text(let s)):
      if !ordering && text == s { relation = 0 }
    default:
      relation = nil
    }
    switch op {
    case "=": return .holds(relation == 0)
    case "!=": return .holds(relation != 0)
    case ">": return .holds(relation == 1)
    case ">=": return .holds(relation == 1 || relation == 0)
    case "<": return .holds(relation == -1)
    case "<=": return .holds(relation == -1 || relation == 0)
    default: fatalError("operator \(op)")
    }
  }

  private static func order(_ a: Double, _ b: Double) -> Int? {
    a < b ? -1 : a > b ? 1 : a == b ? 0 : nil
  }

  /// Decimal text, by a different route than the implementation's: the characters a decimal
  /// number is made of, in an order `Double` accepts, and no `inf`, `nan` or hex.
  static func isDecimal(_ s: String) -> Bool {
    guard !s.isEmpty, Double(s) != nil else { return false }
    let allowed = Set("0123456789+-.eE")
    guard s.allSatisfy(allowed.contains) else { return false }
    // Double accepts "1." and ".5" as the language does; a sign may only lead or follow e.
    let body = s.first == "+" || s.first == "-" ? s.dropFirst() : s[...]
    return body.first.map { $0.isNumber || $0 == "." } ?? false
  }
}
