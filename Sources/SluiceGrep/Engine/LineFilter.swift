import SluiceCore

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Judges one line: the literal prefilter, decoding (JSON, logfmt, CRI, plain), the time
/// range, then the query. One per scanning thread; it reuses its event and buffers, so judging
/// a line allocates nothing once they have grown.
struct LineFilter {
  let query: Query?
  /// Byte strings every matching line contains: lines without one are passed over unscanned.
  let literals: [[UInt8]]
  let decodes: Bool
  let timeField: TimeField
  let since: Int64?
  let until: Int64?
  /// The members judging reads of a JSON line (the query's, the time field's, `--count-by`'s),
  /// or nil to read lines whole.
  let projection: JSONProjection?
  /// Judging reads the level: a line settled early without one is read whole.
  private let readsLevel: Bool
  /// The query has a `not` over a field term: a partial answer of "no" is not final.
  private let negatesFields: Bool
  /// Every decoded line is an answer of "yes" (no query: `--count-by`, a time range alone),
  /// which must be confirmed on the whole line: the projected scan checks it in the same pass.
  private let validatesWhileScanning: Bool
  private var decoder = LineDecoder()
  private(set) var event = Event()
  private let scanner = JSONScanner()
  /// What the last line judged was, if it was decoded.
  private(set) var kind: LineKind?
  var stats = GrepStats()

  init(options: GrepOptions) {
    // A compilation of its own (and so a projection of its own): see Query.compiledAgain().
    query = options.query?.compiledAgain()
    literals = (options.query?.requiredLiterals ?? []).sorted { $0.count > $1.count }
    decodes = options.needsDecoding
    timeField = TimeField(name: options.timeField)
    since = options.since
    until = options.until
    readsLevel = options.query?.readsLevel ?? false
    negatesFields = options.query?.negatesFields ?? false
    validatesWhileScanning = options.query == nil
    // `--stats` counts unparsable lines: every line is then read whole.
    var own = options
    own.query = query
    projection = options.stats ? nil : Self.projection(options: own, timeField: timeField)
  }

  /// The union of what the query, the time range and `--count-by` read; nil if any of them
  /// needs the whole line or nothing reads a field.
  static func projection(options: GrepOptions, timeField: TimeField) -> JSONProjection? {
    var parts: [JSONProjection?] = []
    if let query = options.query, query.needsFields { parts.append(query.projection) }
    if options.since != nil || options.until != nil { parts.append(timeField.projection) }
    if let fields = options.countBy { parts.append(CountBy(fields: fields).projection) }
    guard var union = parts.first ?? nil else { return nil }
    for part in parts.dropFirst() {
      guard let part, let both = union.union(part) else { return nil }
      union = both
    }
    return union
  }

  /// Whether `line` matches. Throws when the query compares a numeric field with a string.
  ///
  /// With a projection, a JSON line is first judged on the members judging reads, scanned
  /// only until they are settled. That answer stands when it is "no" and the query cannot
  /// turn a missing field into a match (no `not` over a field term): the rest of the line,
  /// valid or not, cannot change it. A match (or any answer of such a query) stands once the
  /// whole line is checked to be valid JSON (``JSONScanner/isValid(_:)``, no tape); an invalid
  /// line is judged as plain text. A level or time not found in what was read sends the line to
  /// a whole scan. So every answer is the one a whole scan gives.
  mutating func matches(_ line: UnsafeRawBufferPointer) throws(QueryTypeError) -> Bool {
    stats.linesRead += 1
    kind = nil
    for literal in literals where !ByteSearch.contains(line, literal) { return false }
    guard decodes else { return try judge(line, .plain) == true }
    if projection != nil && validatesWhileScanning {
      // Every line would be checked whole: one pass reads the members and checks the rest.
      let k = Self.decode(line, keeping: projection, validating: true, &decoder, &event, &kind, &stats, scanner)
      return try judge(line, k) == true
    }
    if projection != nil {
      // (Tested, not bound: a binding would copy the projection for every line.)
      let k = Self.decode(line, keeping: projection, validating: false, &decoder, &event, &kind, &stats, scanner)
      guard k == .json, event.isPartial else { return try judge(line, k) == true }
      let level: LogLevel?? = readsLevel ? .some(event.level) : .none
      let undecided = decoder.settledEarly && level == .some(nil)
      if !undecided, let answer = try judge(line, k, settledEarly: decoder.settledEarly, level: level) {
        if !answer && !negatesFields { return false }
        // The partial answer is the whole one if the rest of the line is sound JSON; if it is
        // not, the line is plain text.
        if scanner.isValid(decoder.content) { return answer }
        kind = .plain
        stats.unparsable += 1
        return try judge(line, .plain) == true
      }
    }
    // Decoded first: `judge` reads `self`, which an argument decoded in the call would change
    // only after `self` was read for the call.
    let k = decode(line)
    return try judge(line, k) == true
  }

  /// Whether the line decoded as `k` (into ``event``) is in the time range and matches; nil
  /// when `settledEarly` and no time was found in what was read (it may come later).
  private func judge(
    _ line: UnsafeRawBufferPointer, _ k: LineKind, settledEarly: Bool = false, level: LogLevel?? = nil
  ) throws(QueryTypeError) -> Bool? {
    if since != nil || until != nil {
      // A CRI line without a time of its own has the runtime's.
      guard let t = timeField.nanoseconds(of: k, event: event, decoder: decoder) else {
        return settledEarly ? nil : false
      }
      if let since, t < since { return false }
      if let until, t > until { return false }
    }
    guard query != nil else { return true }
    return try query!.matches(event, structured: k != .plain, line: line, level: level)
  }

  /// The decoded form of `line` for output (nil for plain text): the one ``matches(_:)`` made
  /// if it decoded this line, else decoded now (a context line, or raw-mode judging).
  /// - Parameter whole: the caller reads any field (a formatter), not only those judging read
  ///   (`--count-by`): a partial event is read again whole.
  mutating func decoded(_ line: UnsafeRawBufferPointer, sameAsJudged: Bool, whole: Bool = true) -> Event? {
    decode(line, sameAsJudged: sameAsJudged, whole: whole) ? event : nil
  }

  /// Makes ``event`` the decoded form of `line` as ``decoded(_:sameAsJudged:whole:)`` does and
  /// returns whether the line is structured (``event`` is then it), without copying the event.
  mutating func decode(_ line: UnsafeRawBufferPointer, sameAsJudged: Bool, whole: Bool) -> Bool {
    var k = sameAsJudged ? kind : nil
    if k == nil || (whole && k != .plain && event.isPartial) { k = decode(line) }
    return k != .plain
  }

  private mutating func decode(_ line: UnsafeRawBufferPointer) -> LineKind {
    Self.decode(line, keeping: nil, validating: false, &decoder, &event, &kind, &stats, scanner)
  }

  /// Decodes `line` into `event` (static, so that the filter's projection is passed along
  /// without a copy while its state changes).
  private static func decode(
    _ line: UnsafeRawBufferPointer, keeping projection: JSONProjection?, validating: Bool,
    _ decoder: inout LineDecoder,
    _ event: inout Event, _ kind: inout LineKind?, _ stats: inout GrepStats, _ scanner: JSONScanner
  ) -> LineKind {
    let k = decoder.decode(line, into: &event, scanner: scanner, keeping: projection, validating: validating)
    kind = k
    if k == .plain, ByteSearch.firstNonSpace(decoder.content) == UInt8(ascii: "{") { stats.unparsable += 1 }
    return k
  }
}

/// What grep needs beyond SluiceCore's searches.
extension ByteSearch {
  @inline(__always)
  static func contains(_ haystack: UnsafeRawBufferPointer, _ needle: [UInt8]) -> Bool {
    needle.withUnsafeBytes { contains($0, in: haystack) }
  }

  @inline(__always)
  static func find(_ needle: UnsafeRawBufferPointer, in haystack: UnsafeRawBufferPointer, from: Int) -> Int? {
    firstIndex(of: needle, in: haystack, from: from)
  }

  static func firstNonSpace(_ bytes: UnsafeRawBufferPointer) -> UInt8? {
    bytes.first { $0 != 0x20 && $0 != 0x09 }
  }
}
