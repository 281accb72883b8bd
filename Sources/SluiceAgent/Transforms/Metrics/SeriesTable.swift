/// The label sets one derived metric has seen, each mapped to a slot (an exported series).
///
/// Keys are the label values' bytes, each followed by 0xFF (a byte UTF-8 never contains), so
/// distinct label sets never collide. The table is open-addressed on ``ByteWords/hash(_:)``
/// of the key, and the keys themselves sit back to back in one byte arena: a lookup hashes the
/// key once, compares one stored hash and length and then the bytes word by word, and
/// allocates nothing.
/// It holds at most `capacity` keys: later label sets are not remembered and go to the
/// metric's overflow series, so memory stays bounded whatever the events contain.
struct SeriesTable {
  /// One open-addressed bucket: the key's hash, where its bytes sit in the arena, and its
  /// slot (-1 for an empty bucket). Everything a lookup reads is in this one place, so a
  /// lookup touches one bucket array and the arena.
  private struct Bucket {
    var hash: UInt64 = 0
    var start: UInt32 = 0
    var length: UInt32 = 0
    var slot: Int32 = -1
  }

  /// Twice the capacity (rounded up to a power of two), so probes stay short.
  private var buckets: [Bucket]
  /// Every remembered key, back to back.
  private var arena: [UInt8] = []
  private(set) var count = 0
  private let mask: Int
  let capacity: Int

  init(capacity: Int) {
    self.capacity = capacity
    var size = 8
    while size < capacity * 2 { size <<= 1 }
    buckets = [Bucket](repeating: Bucket(), count: size)
    mask = size - 1
  }

  var isFull: Bool { count >= capacity }

  @inline(__always)
  static func hash(_ raw: UnsafeRawBufferPointer) -> UInt64 { ByteWords.hash(raw) }

  static func hash(_ key: [UInt8]) -> UInt64 { key.withUnsafeBytes { hash($0) } }

  /// The slot of `key` (whose ``hash(_:)`` is `h`), or nil if the table has not seen it.
  @inline(__always)
  func slot(for key: UnsafeRawBufferPointer, hash h: UInt64) -> Int? {
    buckets.withUnsafeBufferPointer { buckets in
      arena.withUnsafeBytes { arena -> Int? in
        var i = Int(truncatingIfNeeded: h) & mask
        while true {
          let b = buckets[i]
          if b.slot < 0 { return nil }
          if b.hash == h && Int(b.length) == key.count
            && (b.length == 0 || ByteWords.equal(arena.baseAddress! + Int(b.start), key.baseAddress!, key.count))
          {
            return Int(b.slot)
          }
          i = (i &+ 1) & mask
        }
      }
    }
  }

  func slot(for key: [UInt8], hash h: UInt64) -> Int? { key.withUnsafeBytes { slot(for: $0, hash: h) } }

  /// Remembers `key` (whose hash is `h`) as `slot` (the caller checked ``isFull``).
  mutating func insert(_ key: UnsafeRawBufferPointer, hash h: UInt64, slot: Int) {
    let start = arena.count
    arena.append(contentsOf: key)
    count += 1
    var i = Int(truncatingIfNeeded: h) & mask
    while buckets[i].slot >= 0 { i = (i + 1) & mask }
    buckets[i] = Bucket(
      hash: h, start: UInt32(truncatingIfNeeded: start), length: UInt32(truncatingIfNeeded: key.count),
      slot: Int32(truncatingIfNeeded: slot))
  }

  mutating func insert(_ key: [UInt8], hash h: UInt64, slot: Int) {
    key.withUnsafeBytes { insert($0, hash: h, slot: slot) }
  }
}
