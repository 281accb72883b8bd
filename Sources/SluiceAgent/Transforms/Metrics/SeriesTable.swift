/// The label sets one derived metric has seen, each mapped to a slot (an exported series).
///
/// Keys are the label values' bytes, each followed by 0xFF (a byte UTF-8 never contains), so
/// distinct label sets never collide. The table is open-addressed on ``ByteWords/hash(_:)``
/// of the key, and the keys themselves sit back to back in one byte arena: a lookup hashes the
/// key once, compares one stored hash and then the bytes word by word, and allocates nothing.
/// It holds at most `capacity` keys: later label sets are not remembered and go to the
/// metric's overflow series, so memory stays bounded whatever the events contain.
struct SeriesTable {
  /// Per bucket: key index + 1, or 0 if empty. Twice the capacity (rounded up to a power of
  /// two), so probes stay short.
  private var buckets: [Int32]
  private var hashes: [UInt64]
  /// Every remembered key, back to back: key k is `arena[starts[k]..<starts[k + 1]]`.
  private var arena: [UInt8] = []
  private var starts: [Int] = [0]
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

  var count: Int { slots.count }
  var isFull: Bool { slots.count >= capacity }

  @inline(__always)
  static func hash(_ raw: UnsafeRawBufferPointer) -> UInt64 { ByteWords.hash(raw) }

  static func hash(_ key: [UInt8]) -> UInt64 { key.withUnsafeBytes { hash($0) } }

  /// The slot of `key` (whose ``hash(_:)`` is `h`), or nil if the table has not seen it.
  @inline(__always)
  func slot(for key: UnsafeRawBufferPointer, hash h: UInt64) -> Int? {
    buckets.withUnsafeBufferPointer { buckets in
      hashes.withUnsafeBufferPointer { hashes in
        starts.withUnsafeBufferPointer { starts in
          arena.withUnsafeBytes { arena -> Int? in
            var i = Int(truncatingIfNeeded: h) & mask
            while true {
              let b = Int(buckets[i])
              if b == 0 { return nil }
              if hashes[i] == h {
                let start = starts[b &- 1]
                let n = starts[b] &- start
                if n == key.count && (n == 0 || ByteWords.equal(arena.baseAddress! + start, key.baseAddress!, n)) {
                  return slots[b &- 1]
                }
              }
              i = (i &+ 1) & mask
            }
          }
        }
      }
    }
  }

  func slot(for key: [UInt8], hash h: UInt64) -> Int? { key.withUnsafeBytes { slot(for: $0, hash: h) } }

  /// Remembers `key` (whose hash is `h`) as `slot` (the caller checked ``isFull``).
  mutating func insert(_ key: UnsafeRawBufferPointer, hash h: UInt64, slot: Int) {
    arena.append(contentsOf: key)
    starts.append(arena.count)
    slots.append(slot)
    var i = Int(truncatingIfNeeded: h) & mask
    while buckets[i] != 0 { i = (i + 1) & mask }
    buckets[i] = Int32(slots.count)
    hashes[i] = h
  }

  mutating func insert(_ key: [UInt8], hash h: UInt64, slot: Int) {
    key.withUnsafeBytes { insert($0, hash: h, slot: slot) }
  }
}
