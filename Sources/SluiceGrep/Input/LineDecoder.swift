import SluiceCore

/// What a line was.
public enum LineKind: Sendable, Equatable {
  /// A JSON object, loaded into the event as it is.
  case json
  /// logfmt pairs, converted into a JSON object in the event.
  case logfmt
  /// Anything else: the event is not touched; only full-text terms can match it.
  case plain
}

/// Turns one raw line into something the query can read.
///
/// - A line whose first non-space byte is `{` and that scans as JSON is loaded into the event
///   as it is (``LineKind/json``). One that does not scan is ``LineKind/plain`` — never
///   wrapped as `{"message": …}`.
/// - A logfmt line (`key=value key2="quoted value" flag`, at least one `key=value` pair, keys
///   made of `[A-Za-z0-9_.@/-]`) is converted into a JSON object in a reused buffer (unquoted
///   numbers → JSON numbers, `true`/`false` → booleans, others → strings, properly escaped)
///   and loaded as a structured event (``LineKind/logfmt``).
/// - A CRI container log line (`2026-12-01T10:00:00.123456789Z stdout F <content>`) is
///   unwrapped: its content is decoded as above, and the prefix is in ``criPrefix``. Each
///   record is decoded on its own: the pieces of a partial (`P`) record are not joined (a
///   piece of a JSON object is plain); ``CRIPrefix/isPartial`` tells them apart.
/// - Anything else is ``LineKind/plain`` and the event is left exactly as it was.
///
/// No allocation per line once the buffers have grown to fit.
public struct LineDecoder {
  private var logfmt = LogfmtConverter()
  /// Where lines are parsed; swapped with the caller's event on success, so that a failure
  /// never touches the caller's.
  private var scratch = Event()
  private var contentStart: UnsafeRawPointer?
  private var contentCount = 0

  /// The CRI prefix of the last line decoded, or nil if it had none.
  public private(set) var criPrefix: CRIPrefix?

  /// Creates a decoder with empty buffers.
  public init() {}

  /// The content after a CRI prefix was removed (the whole line otherwise), valid until the
  /// next decode — and no longer than the line passed to it.
  public var content: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: contentStart, count: contentCount) }

  /// Whether the last JSON line decoded with a projection was left unread past the members
  /// that settled it (``Event/ProjectedLoad/settled``).
  public private(set) var settledEarly = false

  /// Decodes `line`: JSON and logfmt lines are loaded into `event` as structured events;
  /// for a plain line `event` is not modified.
  ///
  /// With `projection`, a JSON line is loaded partially (``Event/loadObject(_:keeping:scanner:)``):
  /// only the members it keeps are read, and only as much of the line as settles them is
  /// checked (all of it, `validating`: then only a valid line is ``LineKind/json``). logfmt
  /// lines are always converted whole. A line found plain on the way may then
  /// leave `event` changed (no longer structured).
  public mutating func decode(
    _ line: UnsafeRawBufferPointer, into event: inout Event, scanner: JSONScanner,
    keeping projection: JSONProjection? = nil, validating: Bool = false
  ) -> LineKind {
    settledEarly = false
    var body = line
    criPrefix = CRIPrefix.parse(line)
    if let prefix = criPrefix { body = UnsafeRawBufferPointer(rebasing: line[prefix.contentStart...]) }
    contentStart = body.baseAddress
    contentCount = body.count

    var first = 0
    while first < body.count && (body[first] == 0x20 || body[first] == 0x09) { first += 1 }
    guard first < body.count else { return .plain }
    if body[first] == UInt8(ascii: "{") {
      if let projection {
        // Straight into the caller's event (a swap of two events costs a retain and a release
        // of each of their buffers, on every line).
        let load = event.loadObject(body, keeping: projection, validating: validating, scanner: scanner)
        guard load != .notObject else { return .plain }
        settledEarly = load == .settled
        return .json
      }
      scratch.load(body)
      guard case (.object, _) = scratch.parse(using: scanner) else { return .plain }
      swap(&event, &scratch)
      return .json
    }
    guard logfmt.convert(body) else { return .plain }
    logfmt.json.withUnsafeBytes { scratch.load($0) }
    guard case (.object, _) = scratch.parse(using: scanner) else { return .plain }
    swap(&event, &scratch)
    return .logfmt
  }
}
