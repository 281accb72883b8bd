/// A small table from byte strings (field keys or paths) to values, for lookups on every key
/// of every event: the ``Redactor``'s per-key verdicts.
///
/// A key of up to 16 bytes is held in its entry as two words (its first and last eight
/// bytes, overlapping), so finding it takes one or two loads, a multiply and a few compares,
/// with no loop and no branch on its length beyond "up to 8 or up to 16"; longer keys keep
/// their bytes in an arena. An entry holds its whole key, so a hash collision only costs a
/// miss. Each key has a pair of slots, so that two keys sharing one do not evict each other.
struct KeyTable<Value: Sendable>: Sendable {
  /// 512 entries: 256 pairs, the pair chosen by the hash's top eight bits.
  static var slots: Int { 512 }
  /// Bytes of long keys kept before the arena (and every long entry) is dropped.
  static var arenaCapacity: Int { 1 << 16 }

  /// A key's hash and words, computed once for a lookup and the insert after a miss.
  struct Probe {
    /// Picks the pair of slots.
    var hash: UInt64
    var head: UInt64
    var tail: UInt64
  }

  private struct Entry {
    var head: UInt64 = 0
    var tail: UInt64 = 0
    /// -1: empty.
    var length: Int32 = -1
    /// Where a long key's bytes start in the arena.
    var start: Int32 = 0
    /// Meaningful when `length >= 0`.
    var value: Value?
  }

  private var entries = [Entry](repeating: Entry(), count: Self.slots)
  private var arena: [UInt8] = []

  /// The probe for `key`, of which `readable` bytes from its start may be read (at least
  /// `key.count`; reading up to eight saves assembling a short key byte by byte).
  @inline(__always)
  static func probe(_ key: UnsafeRawBufferPointer, readable: Int) -> Probe {
    let n = key.count
    guard let p = key.baseAddress, n > 0 else { return Probe(hash: 0x9E37_79B9_7F4A_7C15, head: 0, tail: 0) }
    var head: UInt64
    var tail: UInt64 = 0
    if n <= 8 {
      if readable >= 8 {
        let word = UInt64(littleEndian: p.loadUnaligned(as: UInt64.self))
        head = n == 8 ? word : word & ((1 << UInt64(n &* 8)) &- 1)
      } else {
        head = 0
        for k in 0..<n { head |= UInt64(p.load(fromByteOffset: k, as: UInt8.self)) << UInt64(k &* 8) }
      }
    } else {
      head = UInt64(littleEndian: p.loadUnaligned(as: UInt64.self))
      tail = UInt64(littleEndian: p.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self))
    }
    // The entry holds the words (and a long key's bytes), compared on every hit, so the hash
    // only picks the pair: multiplicative hashing (the product's top bits) for keys up to 16
    // bytes; longer ones hash every word, so that keys alike at both ends spread too.
    let h =
      n <= 16 ? (head ^ (tail &* 0xC2B2_AE3D_27D4_EB4F) ^ UInt64(n)) &* 0x9E37_79B9_7F4A_7C15 : KeyBytes.hash(key)
    return Probe(hash: h, head: head, tail: tail)
  }

  @inline(__always)
  private static func slot(_ h: UInt64) -> Int { Int(truncatingIfNeeded: h >> 56) << 1 }

  /// The value stored for `key` (with its `probe`), if any.
  @inline(__always)
  func value(for key: UnsafeRawBufferPointer, _ probe: Probe) -> Value? {
    entries.withUnsafeBufferPointer { e in
      let slot = Self.slot(probe.hash)
      if let v = match(e[slot], key, probe) { return v }
      return match(e[slot + 1], key, probe)
    }
  }

  @inline(__always)
  private func match(_ entry: Entry, _ key: UnsafeRawBufferPointer, _ probe: Probe) -> Value? {
    guard entry.head == probe.head, entry.tail == probe.tail, entry.length == Int32(truncatingIfNeeded: key.count)
    else { return nil }
    if key.count <= 16 { return entry.value }
    let same = arena.withUnsafeBytes { a in
      KeyBytes.equal(a.baseAddress! + Int(entry.start), key.baseAddress!, key.count)
    }
    return same ? entry.value : nil
  }

  /// Stores `value` for `key` (with its `probe`) in the first of its pair of slots; what was
  /// there moves to the second, and what was in the second is dropped. (Two keys that share a
  /// pair, both on every line, then both stay.)
  mutating func insert(_ value: Value, for key: UnsafeRawBufferPointer, _ probe: Probe) {
    var entry = Entry(head: probe.head, tail: probe.tail, length: Int32(key.count), value: value)
    if key.count > 16 {
      if arena.count + key.count > Self.arenaCapacity {
        arena.removeAll(keepingCapacity: true)
        for k in entries.indices where entries[k].length > 16 { entries[k].length = -1 }
      }
      entry.start = Int32(arena.count)
      arena.append(contentsOf: key)
    }
    let slot = Self.slot(probe.hash)
    entries[slot + 1] = entries[slot]
    entries[slot] = entry
  }
}
