#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Text comparison on UTF-8 bytes with the results of `String`'s: `==` and `<` (canonical
/// equivalence, ordering of the NFC-normalized scalars) and `contains` (which matches whole
/// `Character`s) — in every case, not only for ASCII: wherever the bytes alone cannot decide
/// what `String` would answer, the caller falls back to `String` (``orderByString(_:_:)``,
/// ``containsByString(_:_:)``).
///
/// For ASCII text against an ASCII value, bytes always decide. The byte path also decides,
/// for non-ASCII text, a first difference followed by an ASCII byte, a value that is a prefix
/// of the text, a match with ASCII (or no) bytes either side, and the absence of any byte
/// match. What falls back (and allocates when the text is over 15 bytes): a non-ASCII value
/// compared with a string; a difference or match next to a non-ASCII byte (`e` then U+0301 is
/// the single character `é`, not `e`); a value with a CR or LF searched for (`\r\n` is one
/// character); a value with `K`, `;` or `` ` `` not found in a non-ASCII text (U+212A KELVIN
/// SIGN, U+037E GREEK QUESTION MARK and U+1FEF GREEK VARIA are canonically equivalent to
/// them).
enum TextComparison {
  /// What the byte path needs to know about a value, computed once.
  struct Value: Sendable {
    /// All ASCII: byte order and byte equality are `String`'s for it.
    var isASCII: Bool
    /// ASCII without CR or LF: each of its bytes is one `Character`.
    var isSearchable: Bool
    /// Contains `K`, `;` or `` ` ``, which a non-ASCII scalar can stand for.
    var hasCanonicalTwin: Bool

    init(_ v: ArraySlice<UInt8>) {
      isASCII = v.allSatisfy { $0 < 0x80 }
      isSearchable = isASCII && !v.contains(0x0A) && !v.contains(0x0D)
      hasCanonicalTwin = v.contains { $0 == UInt8(ascii: "K") || $0 == UInt8(ascii: ";") || $0 == UInt8(ascii: "`") }
    }
  }

  /// How `String(text)` orders against `String(value)`: -1, 0 or 1.
  @inline(__always)
  static func order(of text: UnsafeRawBufferPointer, against value: UnsafeRawBufferPointer, _ v: Value) -> Int {
    if v.isASCII, let o = order(of: text, againstASCII: value) { return o }
    return orderByString(text, value)
  }

  /// `String(text).contains(String(value))`.
  @inline(__always)
  static func contains(_ value: UnsafeRawBufferPointer, in text: UnsafeRawBufferPointer, _ v: Value) -> Bool {
    if let c = contains(in: text, value: value, v) { return c }
    return containsByString(text, value)
  }

  /// How `String(text)` orders against the (ASCII) value: -1, 0 or 1; nil when only the
  /// `String` comparison can tell.
  ///
  /// `String` compares the NFC forms scalar by scalar, which for UTF-8 is byte order. An
  /// ASCII byte followed by an ASCII byte (or the end) is left alone by normalization, so a
  /// first difference there decides; so does a value that is a prefix of the text (a
  /// composed character after it is non-ASCII, above any ASCII byte).
  static func order(of text: UnsafeRawBufferPointer, againstASCII v: UnsafeRawBufferPointer) -> Int? {
    let n = text.count
    let m = v.count
    var i = 0
    while i < n && i < m {
      let a = text[i]
      if a >= 0x80 { return nil }
      let b = v[i]
      if a != b {
        if i + 1 < n && text[i + 1] >= 0x80 { return nil }
        return a < b ? -1 : 1
      }
      i += 1
    }
    return n == m ? 0 : n < m ? -1 : 1
  }

  /// `String(text).contains(value)`, or nil when only `String` can tell.
  ///
  /// For a value of ASCII bytes other than CR and LF (one `Character` each), a byte match
  /// with ASCII bytes (or nothing) on both sides is a match of whole characters; and since
  /// the only characters equal to a lone ASCII character other than themselves are three
  /// non-ASCII scalars standing for `K`, `;` and `` ` ``, no byte match means no match.
  static func contains(in text: UnsafeRawBufferPointer, value v: UnsafeRawBufferPointer, _ flags: Value) -> Bool? {
    if v.isEmpty { return true }
    guard flags.isSearchable else { return nil }
    let n = text.count
    let m = v.count
    var unclearMatch = false
    if m <= n, let base = text.baseAddress {
      let first = Int32(v[0])
      var p = 0
      while p <= n - m {
        guard let hit = memchr(base + p, first, n - m - p + 1) else { break }
        p = UnsafeRawPointer(hit) - base
        if memcmp(base + p, v.baseAddress!, m) == 0 {
          if (p == 0 || text[p - 1] < 0x80) && (p + m == n || text[p + m] < 0x80) { return true }
          unclearMatch = true
        }
        p += 1
      }
    }
    if unclearMatch { return nil }
    if flags.hasCanonicalTwin && !isASCII(text) { return nil }
    return false
  }

  static func isASCII(_ text: UnsafeRawBufferPointer) -> Bool {
    var i = 0
    let n = text.count
    while i + 8 <= n {
      if text.loadUnaligned(fromByteOffset: i, as: UInt64.self) & 0x8080_8080_8080_8080 != 0 { return false }
      i += 8
    }
    while i < n {
      if text[i] >= 0x80 { return false }
      i += 1
    }
    return true
  }

  /// The `String` comparison the byte path falls back to (allocates for texts over 15 bytes).
  static func orderByString(_ text: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) -> Int {
    let a = String(decoding: text, as: UTF8.self)
    let b = String(decoding: value, as: UTF8.self)
    return a == b ? 0 : a < b ? -1 : 1
  }

  /// `String.contains`, the fallback of the byte search.
  static func containsByString(_ text: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) -> Bool {
    String(decoding: text, as: UTF8.self).contains(String(decoding: value, as: UTF8.self))
  }
}

// MARK: - One comparison on one value

extension QueryProgram {
  /// How a field's value relates to a literal.
  enum Relation { case less, equal, greater, different }

  /// Whether `op` holds for `relation`.
  @inline(__always)
  static func holds(_ op: QueryOp, _ r: Relation) -> Bool {
    switch op {
    case .eq, .oneOf: r == .equal
    case .ne: r != .equal
    case .gt: r == .greater
    case .ge: r == .greater || r == .equal
    case .lt: r == .less
    case .le: r == .less || r == .equal
    case .matches, .notMatches, .contains: false
    }
  }

  @inline(__always)
  static func relation<T: Comparable>(_ a: T, _ b: T) -> Relation {
    a < b ? .less : a > b ? .greater : a == b ? .equal : .different
  }

  /// How the value at tape index `at` relates to `literal`, by their types:
  ///
  /// | value \ literal | string | number | duration | bool | null |
  /// | --- | --- | --- | --- | --- | --- |
  /// | string | text | as a number if it is one | as a duration (`1m30s`) or a number in the field's unit | its text | — |
  /// | number | numerically if the string is a number; ordering is a type error | numerically | in the field's unit | — | — |
  /// | true/false | its literal text (`=`, `!=`) | — | — | by value | — |
  /// | null | — | — | — | — | equal |
  ///
  /// "—" is ``Relation/different`` (`=` false, `!=` true, orderings false), as is any
  /// comparison with an object or array.
  func relation(
    valueAt at: Int, to literal: Literal, ordering: Bool, comparison: Comparison, _ input: QueryInput
  ) throws(QueryTypeError) -> Relation {
    let token = input.tape[at]
    switch token.kind {
    case .string:
      return input.withText(of: token) { text -> Relation in
        switch literal.kind {
        case .string:
          let o = TextComparison.order(of: text, against: value(literal, input), literal.text)
          return o < 0 ? .less : o > 0 ? .greater : .equal
        case .number:
          guard let v = QueryNumber.value(text), let l = literal.number else { return .different }
          return Self.relation(v, l)
        case .duration:
          if let ns = QueryDuration.nanoseconds(parsing: text) { return Self.relation(ns, literal.nanoseconds) }
          guard let v = QueryNumber.value(text) else { return .different }
          return Self.relation(v, literal.inFieldUnit)
        case .bool:
          return TextComparison.order(of: text, againstASCII: value(literal, input)) == 0 ? .equal : .different
        case .null:
          return .different
        }
      }
    case .number:
      guard let v = JSONTape.double(at: at, tape: input.tape, bytes: input.bytes) else { return .different }
      switch literal.kind {
      case .number: return Self.relation(v, literal.number ?? .nan)
      case .duration: return Self.relation(v, literal.inFieldUnit)
      case .string:
        if ordering {
          if input.strict { throw typeError(comparison, literal) }
          return .different
        }
        guard let l = literal.number else { return .different }
        return Self.relation(v, l)
      case .bool, .null: return .different
      }
    case .true, .false:
      switch literal.kind {
      case .bool: return literal.bool == (token.kind == .true) ? .equal : .different
      case .string where !ordering:
        let content = UnsafeRawBufferPointer(rebasing: input.bytes[token.range])
        return TextComparison.order(of: content, againstASCII: value(literal, input)) == 0 ? .equal : .different
      default: return .different
      }
    case .null:
      return literal.kind == .null ? .equal : .different
    default:
      return .different
    }
  }

  /// Whether `~`, `!~` (before negation) or `contains` finds its pattern in the value at `at`:
  /// a string's decoded text, a scalar's literal, or an object's or array's JSON text as written.
  func textMatches(valueAt at: Int, _ c: Comparison, _ input: QueryInput) -> Bool {
    let token = input.tape[at]
    switch token.kind {
    case .objectStart, .arrayStart:
      let end = Int(input.tape[Int(token.end) - 1].end)
      let json = UnsafeRawBufferPointer(rebasing: input.bytes[Int(token.start)..<end])
      if c.regex >= 0 { return regexes[c.regex].matches(json) }
      return ByteSearch.contains(value(literals[c.literals.lowerBound], input), in: json)
    case .string:
      return input.withText(of: token) { text in textMatches(text, c, input) }
    default:
      return textMatches(UnsafeRawBufferPointer(rebasing: input.bytes[token.range]), c, input)
    }
  }

  @inline(__always)
  private func textMatches(_ text: UnsafeRawBufferPointer, _ c: Comparison, _ input: QueryInput) -> Bool {
    if c.regex >= 0 { return regexes[c.regex].matches(text) }
    let l = literals[c.literals.lowerBound]
    return TextComparison.contains(value(l, input), in: text, l.text)
  }

  @inline(__always)
  func value(_ l: Literal, _ input: QueryInput) -> UnsafeRawBufferPointer {
    UnsafeRawBufferPointer(rebasing: input.storage[l.bytes])
  }

  /// The error for ordering a number by a string (built only when thrown).
  private func typeError(_ c: Comparison, _ l: Literal) -> QueryTypeError {
    let field = String(decoding: storage[fields[c.field].display], as: UTF8.self)
    let value = String(decoding: storage[l.bytes], as: UTF8.self)
    let advice = l.quoted && l.number != nil ? "write the number without quotes" : "write a number, or quote nothing"
    return QueryTypeError(
      field: field, value: value,
      message: "'\(field)' is a number, but the query compares it with the string '\(value)' (\(advice))")
  }
}
