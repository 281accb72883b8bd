import SluiceCore

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Turns one sink batch into the body of a request in a sink's wire format.
///
/// A batch is NDJSON: each event is one compact JSON object followed by `\n` (see ``Batch``).
/// An encoder belongs to one sink and is reused for each of its batches: it keeps its
/// scratch buffers and tapes, so once they have grown, encoding allocates little.
protocol BatchEncoder {
  /// The `Content-Type` of the bodies it writes.
  var contentType: String { get }

  /// Appends the request body for `ndjson` to `out` (which the caller has cleared).
  ///
  /// `now` (nanoseconds since the epoch) is the batch's time: it stands in for events without
  /// a time of their own, and is the observed time where a format has one.
  mutating func encode(_ ndjson: [UInt8], now: Int64, into out: inout [UInt8])

  /// Appends the request body for `ndjson` to `out`, taking the batch's time from the clock.
  mutating func encode(_ ndjson: [UInt8], into out: inout [UInt8])

  /// True if the body is the batch itself, byte for byte (then the sender skips the copy).
  var sendsBatchAsIs: Bool { get }
}

extension BatchEncoder {
  var sendsBatchAsIs: Bool { false }

  mutating func encode(_ ndjson: [UInt8], into out: inout [UInt8]) {
    encode(ndjson, now: RFC3339.nowNanoseconds(), into: &out)
  }
}

// MARK: - Identity and array

/// Sends the batch as it is: `application/x-ndjson`.
struct NDJSONEncoder: BatchEncoder, Sendable {
  var contentType: String { "application/x-ndjson" }
  var sendsBatchAsIs: Bool { true }

  init() {}

  mutating func encode(_ ndjson: [UInt8], now: Int64, into out: inout [UInt8]) {
    out.append(contentsOf: ndjson)
  }
}

/// Sends the events as one JSON array, `[e1,e2,…]`: `application/json`.
struct JSONArrayEncoder: BatchEncoder, Sendable {
  var contentType: String { "application/json" }

  init() {}

  mutating func encode(_ ndjson: [UInt8], now: Int64, into out: inout [UInt8]) {
    out.reserveCapacity(out.count + ndjson.count + 2)
    out.append(UInt8(ascii: "["))
    ndjson.withUnsafeBytes { raw in
      var first = true
      for line in NDJSONLines(raw) {
        if !first { out.append(UInt8(ascii: ",")) }
        first = false
        out.append(contentsOf: UnsafeRawBufferPointer(rebasing: raw[line]))
      }
    }
    out.append(UInt8(ascii: "]"))
  }
}

// MARK: - Lines and event indices

/// The event lines of an NDJSON batch, as byte ranges without their `\n` (nor a `\r` before
/// it). Empty lines are skipped.
///
/// Line k of this sequence is event k of the batch. Encoders write exactly one entry per
/// line, in this order, so a sink that gets per-event results back (Elasticsearch's `_bulk`
/// items) maps result k to line k, and can rebuild a batch of chosen events with
/// ``subset(_:events:)``.
struct NDJSONLines: Sequence, IteratorProtocol {
  let bytes: UnsafeRawBufferPointer
  private var position = 0

  init(_ bytes: UnsafeRawBufferPointer) {
    self.bytes = bytes
  }

  mutating func next() -> Range<Int>? {
    guard let base = bytes.baseAddress else { return nil }
    let n = bytes.count
    while position < n {
      let start = position
      var end = n
      if let hit = memchr(base + start, 0x0A, n - start) {
        end = UnsafeRawPointer(hit) - base
      }
      position = end + 1
      if end > start && bytes[end - 1] == 0x0D { end -= 1 }
      if end > start { return start..<end }
    }
    return nil
  }

  /// The byte range of every event line of `ndjson`, in order: index k is event k.
  static func ranges(in ndjson: [UInt8]) -> [Range<Int>] {
    ndjson.withUnsafeBytes { Array(NDJSONLines($0)) }
  }

  /// The number of events in `ndjson`.
  static func count(in ndjson: [UInt8]) -> Int {
    ndjson.withUnsafeBytes { raw in
      var n = 0
      for _ in NDJSONLines(raw) { n += 1 }
      return n
    }
  }

  /// A batch of the events of `ndjson` at the given event indices (in the order given), each
  /// followed by `\n`: what to retry or dead-letter after a sink rejected some of them.
  /// Indices out of range are ignored.
  static func subset(_ ndjson: [UInt8], events: some Sequence<Int>) -> [UInt8] {
    let lines = ranges(in: ndjson)
    var out: [UInt8] = []
    for k in events where k >= 0 && k < lines.count {
      out.append(contentsOf: ndjson[lines[k]])
      out.append(0x0A)
    }
    return out
  }
}

// MARK: - Grouping

/// Numbers distinct byte strings (label sets, resource attribute sets) 0, 1, 2, … in order of
/// first appearance, in O(1) expected time per lookup: an open-addressing hash table over one
/// shared byte store. Kept across batches and emptied with ``removeAll()``.
struct ByteStringGroups: Sendable {
  /// The bytes of every group, back to back.
  private(set) var store: [UInt8] = []
  /// Group g's bytes are `store[ranges[g]]`.
  private(set) var ranges: [Range<Int>] = []
  private var hashes: [Int] = []
  /// Group number + 1 per slot; 0 is empty. The count is a power of two.
  private var slots: [Int32] = []

  init() {}

  /// The number of groups.
  var count: Int { ranges.count }

  /// Forgets every group, keeping the memory.
  mutating func removeAll() {
    store.removeAll(keepingCapacity: true)
    ranges.removeAll(keepingCapacity: true)
    hashes.removeAll(keepingCapacity: true)
    for k in slots.indices { slots[k] = 0 }
  }

  /// The group of `bytes`, which becomes a new group if no earlier string was equal.
  mutating func group(of bytes: UnsafeRawBufferPointer) -> Int {
    if slots.isEmpty { slots = Array(repeating: 0, count: 64) }
    var hasher = Hasher()
    hasher.combine(bytes: bytes)
    let hash = hasher.finalize()
    let mask = slots.count - 1
    var slot = hash & mask
    while slots[slot] != 0 {
      let g = Int(slots[slot]) - 1
      if hashes[g] == hash && equals(g, bytes) { return g }
      slot = (slot + 1) & mask
    }
    let g = ranges.count
    let start = store.count
    store.append(contentsOf: bytes)
    ranges.append(start..<store.count)
    hashes.append(hash)
    slots[slot] = Int32(g + 1)
    if ranges.count * 2 > slots.count { grow() }
    return g
  }

  /// Appends group `g`'s bytes to `out`.
  func append(group g: Int, to out: inout [UInt8]) {
    out.append(contentsOf: store[ranges[g]])
  }

  private func equals(_ g: Int, _ bytes: UnsafeRawBufferPointer) -> Bool {
    let r = ranges[g]
    guard r.count == bytes.count else { return false }
    return store.withUnsafeBytes { s in
      r.isEmpty || memcmp(s.baseAddress! + r.lowerBound, bytes.baseAddress!, r.count) == 0
    }
  }

  private mutating func grow() {
    slots = Array(repeating: 0, count: slots.count * 2)
    let mask = slots.count - 1
    for g in ranges.indices {
      var slot = hashes[g] & mask
      while slots[slot] != 0 { slot = (slot + 1) & mask }
      slots[slot] = Int32(g + 1)
    }
  }
}

/// Orders the events of a batch by group, keeping batch order within each group (a
/// counting sort): group g's events are `events[starts[g]..<starts[g + 1]]`.
struct GroupedEvents: Sendable {
  private(set) var starts: [Int] = []
  private(set) var events: [Int32] = []

  init() {}

  /// Sorts events `0..<groupOfEvent.count` by `groupOfEvent` (values in `0..<groupCount`).
  mutating func build(groupOfEvent: [Int32], groupCount: Int) {
    starts.removeAll(keepingCapacity: true)
    starts.append(contentsOf: repeatElement(0, count: groupCount + 1))
    for g in groupOfEvent { starts[Int(g) + 1] += 1 }
    for g in 0..<groupCount { starts[g + 1] += starts[g] }
    events.removeAll(keepingCapacity: true)
    events.append(contentsOf: repeatElement(0, count: groupOfEvent.count))
    var next = starts  // the fill position of each group
    for (e, g) in groupOfEvent.enumerated() {
      events[next[Int(g)]] = Int32(e)
      next[Int(g)] += 1
    }
  }

  /// The events of group `g`, in batch order.
  func events(ofGroup g: Int) -> ArraySlice<Int32> {
    events[starts[g]..<starts[g + 1]]
  }
}

// MARK: - Shared byte helpers

enum EncodingBytes {
  /// The longest prefix of `bytes` of at most `limit` bytes that does not cut a UTF-8
  /// sequence in two.
  static func truncatedCount(_ bytes: UnsafeRawBufferPointer, limit: Int) -> Int {
    guard bytes.count > limit else { return bytes.count }
    var end = limit
    while end > 0 && bytes[end] & 0xC0 == 0x80 { end -= 1 }
    return end
  }

  /// Appends the decoded content of the JSON string token `t`, escaped again (so equal strings
  /// written with different escapes come out the same), cut to at most `limit` decoded bytes
  /// on a character boundary. `scratch` is reused for decoding.
  static func appendStringContent(
    _ t: JSONToken, bytes: UnsafeRawBufferPointer, limit: Int = .max, scratch: inout [UInt8], to out: inout [UInt8]
  ) {
    let raw = UnsafeRawBufferPointer(rebasing: bytes[t.range])
    if !t.hasEscapes {
      let n = truncatedCount(raw, limit: limit)
      JSONWriter.appendStringContent(UnsafeRawBufferPointer(rebasing: raw[0..<n]), to: &out)
      return
    }
    scratch.removeAll(keepingCapacity: true)
    JSONTape.unescape(raw, into: &scratch)
    scratch.withUnsafeBytes { decoded in
      let n = truncatedCount(decoded, limit: limit)
      JSONWriter.appendStringContent(UnsafeRawBufferPointer(rebasing: decoded[0..<n]), to: &out)
    }
  }

  /// `text` as escaped JSON string content, cut to at most `limit` bytes on a character
  /// boundary (for configuration values, built once).
  static func escaped(_ text: String, limit: Int = .max) -> [UInt8] {
    var out: [UInt8] = []
    var text = text
    text.withUTF8 { p in
      let raw = UnsafeRawBufferPointer(p)
      JSONWriter.appendStringContent(
        UnsafeRawBufferPointer(rebasing: raw[0..<truncatedCount(raw, limit: limit)]), to: &out)
    }
    return out
  }
}
