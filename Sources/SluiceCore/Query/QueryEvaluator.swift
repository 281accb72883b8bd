/// What evaluating a query on one line reads; valid only inside ``QueryProgram/evaluate(_:)``'s
/// caller, which holds the buffers.
struct QueryInput {
  /// The event's tape (empty without an event).
  let tape: [JSONToken]
  /// The event's bytes (empty without an event).
  let bytes: UnsafeRawBufferPointer
  /// What full-text terms search: the raw line (grep) or the event's bytes (agent).
  let line: UnsafeRawBufferPointer
  /// The program's storage and path parts.
  let storage: UnsafeRawBufferPointer
  let parts: UnsafeBufferPointer<Range<Int>>
  /// There is a structured event: field terms can hold.
  let hasEvent: Bool
  /// The event's ``Event/level``, read once when the query compares `level`.
  let level: LogLevel?
  /// Type errors are thrown (grep) rather than counted as false (agent).
  let strict: Bool

  /// Runs `body` on the decoded text of a string token: its bytes in place, or, when it has
  /// escapes, a temporary unescaped copy (on the stack for short strings).
  @inline(__always)
  func withText<R>(of token: JSONToken, _ body: (UnsafeRawBufferPointer) -> R) -> R {
    let raw = UnsafeRawBufferPointer(rebasing: bytes[token.range])
    if !token.hasEscapes { return body(raw) }
    return withUnsafeTemporaryAllocation(byteCount: max(raw.count, 1), alignment: 1) { buffer in
      let n = JSONTape.unescape(raw, into: buffer)
      return body(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
    }
  }
}

extension QueryProgram {
  /// Evaluates the query on one line. `line` is what full-text terms search; `event` (when
  /// structured) is what field terms read; `strict` makes type errors throw.
  /// `level`: the event's ``Event/level`` if the caller has read it already.
  func evaluate(
    event: Event, structured: Bool, line: UnsafeRawBufferPointer, strict: Bool, level known: LogLevel?? = nil
  )
    throws(QueryTypeError) -> Bool
  {
    guard structured, event.isStructured else {
      return try evaluate(
        tape: [], bytes: UnsafeRawBufferPointer(start: nil, count: 0), line: line, hasEvent: false, level: nil,
        strict: strict)
    }
    let level = readsLevel ? (known ?? event.level) : nil
    return try event.bytes.withUnsafeBytes { raw in
      Result { () throws(QueryTypeError) -> Bool in
        try evaluate(tape: event.tape, bytes: raw, line: line, hasEvent: true, level: level, strict: strict)
      }
    }.get()
  }

  private func evaluate(
    tape: [JSONToken], bytes: UnsafeRawBufferPointer, line: UnsafeRawBufferPointer, hasEvent: Bool,
    level: LogLevel?, strict: Bool
  ) throws(QueryTypeError) -> Bool {
    // Array's `withUnsafeBytes` rethrows untyped errors: the result crosses it as a value.
    try storage.withUnsafeBytes { storage in
      parts.withUnsafeBufferPointer { parts in
        let input = QueryInput(
          tape: tape, bytes: bytes, line: line, storage: storage, parts: parts, hasEvent: hasEvent, level: level,
          strict: strict)
        return Result { () throws(QueryTypeError) -> Bool in try evaluate(root, input) }
      }
    }.get()
  }

  /// Whether instruction `i` holds.
  func evaluate(_ i: Int, _ input: QueryInput) throws(QueryTypeError) -> Bool {
    let ins = instructions[i]
    switch ins.kind {
    case .and:
      for k in Int(ins.a)..<Int(ins.a + ins.b) where !(try evaluate(Int(children[k]), input)) { return false }
      return true
    case .or:
      for k in Int(ins.a)..<Int(ins.a + ins.b) where try evaluate(Int(children[k]), input) { return true }
      return false
    case .not:
      return !(try evaluate(Int(ins.a), input))
    case .text:
      let t = texts[Int(ins.a)]
      let term = UnsafeRawBufferPointer(rebasing: input.storage[t.bytes])
      return t.ignoresCase
        ? ByteSearch.firstIndex(ofLowercased: term, ignoringASCIICaseIn: input.line) != nil
        : ByteSearch.contains(term, in: input.line)
    case .exists:
      guard input.hasEvent else { return false }
      let f = fields[Int(ins.a)]
      if f.isLevel && (input.level != nil || levelTextIndex(input) != nil) { return true }
      return lookup(f, input) != nil
    case .compare:
      guard input.hasEvent else { return false }
      return try holds(comparisons[Int(ins.a)], input)
    }
  }

  /// Whether a comparison holds on the (structured) event.
  private func holds(_ c: Comparison, _ input: QueryInput) throws(QueryTypeError) -> Bool {
    let f = fields[c.field]
    if f.isLevel { return try levelHolds(c, input) }
    guard let at = lookup(f, input) else { return c.op == .ne || c.op == .notMatches }
    return try holds(c, valueAt: at, input)
  }

  /// A comparison on the value at tape index `at`.
  private func holds(_ c: Comparison, valueAt at: Int, _ input: QueryInput) throws(QueryTypeError) -> Bool {
    switch c.op {
    case .matches, .contains: return textMatches(valueAt: at, c, input)
    case .notMatches: return !textMatches(valueAt: at, c, input)
    case .oneOf:
      for l in c.literals
      where try relation(valueAt: at, to: literals[l], ordering: false, comparison: c, input) == .equal {
        return true
      }
      return false
    default:
      let r = try relation(
        valueAt: at, to: literals[c.literals.lowerBound], ordering: c.op.isOrdering, comparison: c, input)
      return Self.holds(c.op, r)
    }
  }

  /// A comparison on `level`. A value that names a level compares by severity with
  /// ``Event/level``; any other value, and `~`, `!~`, `contains`, read the text of the first
  /// level field present (``SchemaKeys/level``), patterns ignoring case — and a pattern also
  /// holds when it matches the name of the event's severity (`level~crit` finds `fatal`).
  private func levelHolds(_ c: Comparison, _ input: QueryInput) throws(QueryTypeError) -> Bool {
    switch c.op {
    case .matches, .notMatches, .contains:
      var hit = false
      if let have = input.level, c.levelNames & (1 << have.rawValue) != 0 {
        hit = true
      } else if let at = levelTextIndex(input) {
        hit = textMatches(valueAt: at, c, input)
      }
      return c.op == .notMatches ? !hit : hit
    case .oneOf:
      for i in c.literals {
        let l = literals[i]
        if let want = l.level {
          if input.level == want { return true }
        } else if let at = levelTextIndex(input),
          try relation(valueAt: at, to: l, ordering: false, comparison: c, input) == .equal
        {
          return true
        }
      }
      return false
    default:
      let l = literals[c.literals.lowerBound]
      guard let want = l.level else {
        // The parser lets only = and != through with a value that names no level.
        guard let at = levelTextIndex(input) else { return c.op == .ne }
        return Self.holds(c.op, try relation(valueAt: at, to: l, ordering: false, comparison: c, input))
      }
      guard let have = input.level else { return c.op == .ne }
      return Self.holds(c.op, Self.relation(have, want))
    }
  }

  /// The tape index of the first of ``SchemaKeys/level`` present, or nil.
  private func levelTextIndex(_ input: QueryInput) -> Int? {
    for f in levelFields {
      if let at = lookup(fields[f], input) { return at }
    }
    return nil
  }

  /// The tape index of a field's value: a single key; or the whole dotted text as one key,
  /// then key by key through nested objects (``JSONTape/lookup(path:inObjectAt:tape:bytes:)``'s
  /// rule); or, for a path with quoted keys, key by key only.
  func lookup(_ f: Field, _ input: QueryInput) -> Int? {
    if f.triesWholeKeyFirst || f.components.count == 1 {
      let whole = UnsafeRawBufferPointer(rebasing: input.storage[f.whole])
      if let v = JSONTape.member(whole, inObjectAt: 0, tape: input.tape, bytes: input.bytes) { return v }
      if f.components.count == 1 { return nil }
    }
    var current = 0
    for k in f.components {
      let key = UnsafeRawBufferPointer(rebasing: input.storage[input.parts[k]])
      guard let v = JSONTape.member(key, inObjectAt: current, tape: input.tape, bytes: input.bytes) else {
        return nil
      }
      current = v
    }
    return current
  }
}
