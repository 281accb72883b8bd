/// The label sets one derived metric has seen, each mapped to a slot (an exported series).
///
/// Keys are the label values' bytes, each followed by 0xFF (a byte UTF-8 never contains), so
/// distinct label sets never collide. The table is open-addressed on an FNV-1a hash of the
/// key: a lookup with a reused key buffer hashes it once, compares one stored hash and then
/// the bytes, and allocates nothing. It holds at most `capacity` keys: later label sets are
/// not remembered and go to the metric's overflow series, so memory stays bounded whatever
/// the events contain.
struct SeriesTable {
  /// Per bucket: key index + 1, or 0 if empty. Twice the capacity (rounded up to a power of
  /// two), so probes stay short.
  private var buckets: [Int32]
  private var hashes: [UInt64]
  /// Each remembered key, and its slot.
  private var keys: [[UInt8]] = []
  private var slots: [Int] = []
  private let mask: Int
  let capacity: Int

  init(capacity: Int) {
    self.capacity = capacity
    var size = 8
    while size < capacity * 2 { size <<= 1 }
    buckets = [Int32](repeating: 0, count: size)
    hashes = [UInt64](repeating: 0, count: size)
    mask = size - 1
  }

  var count: Int { keys.count }
  var isFull: Bool { keys.count >= capacity }

  static func hash(_ raw: UnsafeRawBufferPointer) -> UInt64 {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for b in raw { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
    return h
  }

  @inline(__always)
  static func equal(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
    guard a.count == b.count else { return false }
    for k in 0..<a.count where a[k] != b[k] { return false }
    return true
  }

  static func hash(_ key: [UInt8]) -> UInt64 { key.withUnsafeBytes { hash($0) } }

  /// The slot of `key` (whose ``hash(_:)`` is `h`), or nil if the table has not seen it.
  func slot(for key: UnsafeRawBufferPointer, hash h: UInt64) -> Int? {
    var i = Int(truncatingIfNeeded: h) & mask
    while true {
      let b = Int(buckets[i])
      if b == 0 { return nil }
      if hashes[i] == h && keys[b - 1].withUnsafeBytes({ Self.equal($0, key) }) { return slots[b - 1] }
      i = (i + 1) & mask
    }
  }

  func slot(for key: [UInt8], hash h: UInt64) -> Int? { key.withUnsafeBytes { slot(for: $0, hash: h) } }

  /// Remembers `key` (whose hash is `h`) as `slot` (the caller checked ``isFull``).
  mutating func insert(_ key: [UInt8], hash h: UInt64, slot: Int) {
    keys.append(key)
    slots.append(slot)
    var i = Int(truncatingIfNeeded: h) & mask
    while buckets[i] != 0 { i = (i + 1) & mask }
    buckets[i] = Int32(keys.count)
    hashes[i] = h
  }
}
