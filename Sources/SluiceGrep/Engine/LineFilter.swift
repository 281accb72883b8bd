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
  private var decoder = LineDecoder()
  private(set) var event = Event()
  private let scanner = JSONScanner()
  /// What the last line judged was, if it was decoded.
  private(set) var kind: LineKind?
  var stats = GrepStats()

  init(options: GrepOptions) {
    query = options.query
    literals = (options.query?.requiredLiterals ?? []).sorted { $0.count > $1.count }
    decodes = options.needsDecoding
    timeField = TimeField(name: options.timeField)
    since = options.since
    until = options.until
  }

  /// Whether `line` matches. Throws when the query compares a numeric field with a string.
  mutating func matches(_ line: UnsafeRawBufferPointer) throws(QueryTypeError) -> Bool {
    stats.linesRead += 1
    kind = nil
    for literal in literals where !ByteSearch.contains(line, literal) { return false }
    var structured = false
    if decodes {
      let k = decode(line)
      structured = k != .plain
      if since != nil || until != nil {
        // A CRI line without a time of its own has the runtime's.
        guard let t = timeField.nanoseconds(of: k, event: event, decoder: decoder) else { return false }
        if let since, t < since { return false }
        if let until, t > until { return false }
      }
    }
    guard let query else { return true }
    return try query.matches(structured ? event : nil, line: line)
  }

  /// The decoded form of `line` for output (nil for plain text): the one ``matches(_:)`` made
  /// if it decoded this line, else decoded now (a context line, or raw-mode judging).
  mutating func decoded(_ line: UnsafeRawBufferPointer, sameAsJudged: Bool) -> Event? {
    let k = sameAsJudged ? (kind ?? decode(line)) : decode(line)
    return k == .plain ? nil : event
  }

  private mutating func decode(_ line: UnsafeRawBufferPointer) -> LineKind {
    let k = decoder.decode(line, into: &event, scanner: scanner)
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
