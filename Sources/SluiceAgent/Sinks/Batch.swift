/// A sealed batch on its way to one sink: encoded events plus what delivering it acknowledges.
public struct Batch: Sendable {
  /// Encoded payload, uncompressed (NDJSON: one event per line).
  public var payload: [UInt8]
  public var eventCount: Int
  /// Delivering this batch (and all before it) completes every chunk up to this sequence
  /// number. Nil if it completes no chunk that an earlier batch did not.
  public var throughChunk: UInt64?

  public init(payload: [UInt8] = [], eventCount: Int = 0, throughChunk: UInt64? = nil) {
    self.payload = payload
    self.eventCount = eventCount
    self.throughChunk = throughChunk
  }
}

/// A sink's batch being filled by the pipeline.
struct OpenBatch {
  let limits: BatchConfig
  var payload: [UInt8] = []
  var eventCount = 0
  var throughChunk: UInt64?
  /// Highest chunk sequence already handed on in a sealed batch.
  var sentThrough: UInt64 = 0
  var openedAt: ContinuousClock.Instant?
  /// The size the last sealed batch reached: the next one reserves about that much, so a
  /// steady stream fills each batch without regrowing it, and a batch sealed by age or
  /// event count does not hold the `max_bytes` it never uses.
  var lastSealedBytes = 0

  init(limits: BatchConfig) { self.limits = limits }

  /// Appends one event's JSON and a newline; true when the batch should now be sealed.
  @inline(__always)
  mutating func append(_ json: [UInt8]) -> Bool {
    if eventCount == 0 {
      openedAt = .now
      let expected = max(4096, lastSealedBytes + lastSealedBytes / 8)
      payload.reserveCapacity(min(expected, limits.maxBytes.bytes + 64 * 1024, 16 << 20))
    }
    payload.append(contentsOf: json)
    payload.append(0x0A)
    eventCount += 1
    return eventCount >= limits.maxEvents || payload.count >= limits.maxBytes.bytes
  }

  /// Whether a timer flush should seal it: old enough, or an empty batch that carries an
  /// acknowledgement not yet handed on.
  func isDue(now: ContinuousClock.Instant) -> Bool {
    if eventCount == 0 { return (throughChunk ?? 0) > sentThrough }
    guard let openedAt else { return false }
    return now - openedAt >= limits.maxAge.duration
  }

  /// Hands out the batch and starts a new one.
  mutating func seal() -> Batch {
    let b = Batch(payload: payload, eventCount: eventCount, throughChunk: throughChunk)
    if let t = throughChunk { sentThrough = max(sentThrough, t) }
    if eventCount > 0 { lastSealedBytes = payload.count }
    payload = []
    eventCount = 0
    throughChunk = nil
    openedAt = nil
    return b
  }
}
