#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A query's comparisons prepared once, when it is parsed, so that matching an event reads
/// its tape and bytes directly and allocates nothing in the common cases.
///
/// What it compiles: the field path as UTF-8 (and its dot-separated components), the value
/// as UTF-8, the value as a `Double` when it reads as one, and for the field `level` the
/// value as a ``LogLevel`` plus which level names contain it.
///
/// What it evaluates without allocating:
/// - `level` comparisons, through ``Event/level`` as before;
/// - numbers against a numeric value: the literal is read by ``JSONTape/exactDouble(_:)``,
///   which gives what `Double(String)` gives (literals beyond its fast path, rare in logs,
///   go through `Double(String)`, which allocates only for literals over 15 bytes);
/// - strings (escaped ones are decoded into a stack buffer first, up to 1 KiB), number
///   literals, `true`, `false` and `null` against an ASCII value, by byte comparison and a
///   byte substring search.
///
/// The results are those of ``Query/Comparison/holdsByText(for:)`` — `String` comparison
/// (canonical equivalence, ordering of the NFC-normalized scalars) and `String.contains`
/// (which matches whole `Character`s) — in every case, not only for ASCII: wherever the
/// bytes alone cannot decide what `String` would answer, the comparison falls back to the
/// `String` path. For ASCII text against an ASCII value, bytes always decide. The byte
/// path also decides, for non-ASCII text, a first difference followed by an ASCII byte, a
/// value that is a prefix of the text, a match with ASCII (or no) bytes either side, and
/// the absence of any byte match. What falls back (and allocates when the text is over 15
/// bytes): a non-ASCII value compared with a string; a difference or match next to a
/// non-ASCII byte (`e` then U+0301 is the single character `é`, not `e`); a value with a
/// CR or LF searched for (`\r\n` is one character); a value with `K`, `;` or `` ` `` not
/// found in a non-ASCII text (U+212A KELVIN SIGN, U+037E GREEK QUESTION MARK and U+1FEF
/// GREEK VARIA are canonically equivalent to them); objects and arrays (compared as their
/// JSON text); escaped strings over 1 KiB.
struct CompiledQuery: Sendable {
  /// The paths and values of all comparisons, back to back.
  private var storage: [UInt8] = []
  /// The dot-separated parts of the paths, as ranges of ``storage``.
  private var parts: [Range<Int>] = []
  private var comparisons: [CompiledComparison] = []

  init(_ source: [Query.Comparison]) {
    for (i, c) in source.enumerated() {
      comparisons.append(CompiledComparison(c, index: i, storage: &storage, parts: &parts))
    }
  }

  /// Whether every comparison holds for a structured event. `source` is what the query
  /// was compiled from (the fallback evaluates it).
  func matches(_ event: Event, source: [Query.Comparison]) -> Bool {
    storage.withUnsafeBytes { storage in
      parts.withUnsafeBufferPointer { parts in
        comparisons.withUnsafeBufferPointer { comparisons in
          event.bytes.withUnsafeBytes { raw in
            let context = MatchContext(
              event: event, tape: event.tape, bytes: raw, storage: storage, parts: parts, source: source)
            for c in comparisons where !c.holds(in: context) { return false }
            return true
          }
        }
      }
    }
  }
}

/// What evaluating a comparison on one event reads; valid during ``CompiledQuery/matches(_:source:)``.
struct MatchContext {
  let event: Event
  let tape: [JSONToken]
  let bytes: UnsafeRawBufferPointer
  let storage: UnsafeRawBufferPointer
  let parts: UnsafeBufferPointer<Range<Int>>
  let source: [Query.Comparison]
}

/// One compiled comparison: plain values and ranges of its query's storage, so that
/// reading it costs no reference counting.
struct CompiledComparison: Sendable {
  /// The index of the comparison in the query's source comparisons.
  let index: Int
  let op: Query.Op
  /// The field is `level`: compared by severity when the value names a level.
  let isLevel: Bool
  /// The value as a level (meaningful when ``isLevel``).
  let level: LogLevel?
  /// Bit `l.rawValue` is set when level `l`'s name contains the lower-cased value.
  let levelNamesContainingValue: UInt8
  /// The field path as UTF-8, a range of the storage.
  let path: Range<Int>
  /// The dot-separated parts of the path, a range of the parts; empty when it has no dot.
  let components: Range<Int>
  /// The value as UTF-8, a range of the storage.
  let value: Range<Int>
  /// The value is all ASCII: byte order and byte equality are `String`'s for it.
  let valueIsASCII: Bool
  /// The value is ASCII without CR or LF: each of its bytes is one `Character`.
  let valueIsSearchable: Bool
  /// The value contains `K`, `;` or `` ` ``, which a non-ASCII scalar can stand for.
  let valueHasCanonicalTwin: Bool
  /// `Double(value)`.
  let number: Double?

  init(_ comparison: Query.Comparison, index: Int, storage: inout [UInt8], parts: inout [Range<Int>]) {
    self.index = index
    op = comparison.op
    isLevel = comparison.field == "level"
    level = LogLevel.parse(comparison.value)
    let lowered = comparison.value.lowercased()
    var mask: UInt8 = 0
    for l in LogLevel.allCases where l.name.contains(lowered) { mask |= 1 << l.rawValue }
    levelNamesContainingValue = mask
    let pathStart = storage.count
    storage.append(contentsOf: comparison.field.utf8)
    path = pathStart..<storage.count
    let firstPart = parts.count
    if storage[path].contains(UInt8(ascii: ".")) {
      var start = pathStart
      for i in pathStart...path.upperBound where i == path.upperBound || storage[i] == UInt8(ascii: ".") {
        parts.append(start..<i)
        start = i + 1
      }
    }
    components = firstPart..<parts.count
    let valueStart = storage.count
    storage.append(contentsOf: comparison.value.utf8)
    value = valueStart..<storage.count
    let v = storage[value]
    valueIsASCII = v.allSatisfy { $0 < 0x80 }
    valueIsSearchable = valueIsASCII && !v.contains(0x0A) && !v.contains(0x0D)
    valueHasCanonicalTwin = v.contains { $0 == UInt8(ascii: "K") || $0 == UInt8(ascii: ";") || $0 == UInt8(ascii: "`") }
    number = Double(comparison.value)
  }

  /// Whether the comparison holds for the context's (structured) event.
  func holds(in context: MatchContext) -> Bool {
    if isLevel {
      guard let have = context.event.level else { return op == .ne }
      if let want = level {
        if op == .contains { return levelNamesContainingValue & (1 << have.rawValue) != 0 }
        return op.holds(have, want)
      }
    }
    guard let at = lookup(in: context) else { return op == .ne }
    let v = UnsafeRawBufferPointer(rebasing: context.storage[value])
    if let result = holdsByBytes(valueAt: at, tape: context.tape, bytes: context.bytes, value: v) { return result }
    return context.source[index].holdsByText(for: context.event, valueAt: at)
  }

  /// The tape index of the field's value: the whole path as one key, then component by
  /// component (``JSONTape/lookup(path:inObjectAt:tape:bytes:)``'s rule).
  func lookup(in context: MatchContext) -> Int? {
    let whole = UnsafeRawBufferPointer(rebasing: context.storage[path])
    if let v = JSONTape.member(whole, inObjectAt: 0, tape: context.tape, bytes: context.bytes) { return v }
    guard !components.isEmpty else { return nil }
    var current = 0
    for k in components {
      let key = UnsafeRawBufferPointer(rebasing: context.storage[context.parts[k]])
      guard let v = JSONTape.member(key, inObjectAt: current, tape: context.tape, bytes: context.bytes) else {
        return nil
      }
      current = v
    }
    return current
  }

  /// The result for the value at `index`, or nil when only the `String` path can tell.
  func holdsByBytes(
    valueAt index: Int, tape: [JSONToken], bytes: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer
  ) -> Bool? {
    let token = tape[index]
    // A container's `end` is a tape index: its tokens have no byte range.
    if token.kind == .objectStart || token.kind == .arrayStart { return nil }
    let content = UnsafeRawBufferPointer(rebasing: bytes[token.range])
    switch token.kind {
    case .string:
      if !token.hasEscapes { return holds(onText: content, value: value) }
      guard content.count <= 1024 else { return nil }
      return withUnsafeTemporaryAllocation(byteCount: content.count, alignment: 1) { buffer -> Bool? in
        let n = JSONTape.unescape(content, into: buffer)
        return holds(onText: UnsafeRawBufferPointer(rebasing: buffer[0..<n]), value: value)
      }
    case .number:
      if op == .contains { return contains(in: content, value: value) }
      if let b = number, let a = JSONTape.double(at: index, tape: tape, bytes: bytes) { return compare(a, b) }
      return holds(onText: content, value: value)
    case .true, .false, .null:
      return holds(onText: content, value: value)
    default:
      return nil
    }
  }

  /// The comparison on decoded UTF-8 text, or nil when only `String` can tell.
  func holds(onText text: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) -> Bool? {
    if op == .contains { return contains(in: text, value: value) }
    guard valueIsASCII, let order = Self.order(of: text, against: value) else { return nil }
    switch op {
    case .eq: return order == 0
    case .ne: return order != 0
    case .gt: return order > 0
    case .ge: return order >= 0
    case .lt: return order < 0
    case .le: return order <= 0
    case .contains: return nil
    }
  }

  /// How `String(text)` orders against the (ASCII) value: -1, 0 or 1; nil when only the
  /// `String` comparison can tell.
  ///
  /// `String` compares the NFC forms scalar by scalar, which for UTF-8 is byte order. An
  /// ASCII byte followed by an ASCII byte (or the end) is left alone by normalization, so a
  /// first difference there decides; so does a value that is a prefix of the text (a
  /// composed character after it is non-ASCII, above any ASCII byte).
  static func order(of text: UnsafeRawBufferPointer, against v: UnsafeRawBufferPointer) -> Int? {
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
  func contains(in text: UnsafeRawBufferPointer, value v: UnsafeRawBufferPointer) -> Bool? {
    if v.isEmpty { return true }
    guard valueIsSearchable else { return nil }
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
    if valueHasCanonicalTwin && !Self.isASCII(text) { return nil }
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

  func compare(_ a: Double, _ b: Double) -> Bool { op.holds(a, b) }
}
