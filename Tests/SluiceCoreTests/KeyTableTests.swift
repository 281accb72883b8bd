import Testing

@testable import SluiceCore

@Suite("KeyTable: per-key lookups")
struct KeyTableTests {
  private func lookup(_ table: KeyTable<Int>, _ key: [UInt8], readable: Int? = nil) -> Int? {
    key.withUnsafeBytes { k in table.value(for: k, KeyTable<Int>.probe(k, readable: readable ?? k.count)) }
  }

  private func insert(_ table: inout KeyTable<Int>, _ key: [UInt8], _ value: Int) {
    key.withUnsafeBytes { k in table.insert(value, for: k, KeyTable<Int>.probe(k, readable: k.count)) }
  }

  /// Keys of every length up to 40, each found again, and none found for a key that differs
  /// in any one byte (first, middle or last word) or in length.
  @Test func findsEachKeyAndNoNeighbour() {
    var table = KeyTable<Int>()
    for length in 0...40 {
      let key = (0..<length).map { UInt8(ascii: "a") + UInt8(($0 * 7 + length) % 26) }
      insert(&table, key, length)
      #expect(lookup(table, key) == length, "length \(length)")
      for k in 0..<length {
        var other = key
        other[k] = UInt8(ascii: "Z")
        #expect(lookup(table, other) == nil, "length \(length), byte \(k) changed")
      }
      #expect(lookup(table, key + [UInt8(ascii: "a")]) == nil)
      if length > 0 { #expect(lookup(table, Array(key.dropLast())) != length) }
    }
  }

  /// A short key read with eight bytes available (the bytes after it ignored) and with fewer
  /// (assembled byte by byte) gives the same probe.
  @Test func shortKeysIgnoreTheBytesAfterThem() {
    var table = KeyTable<Int>()
    insert(&table, Array("level".utf8), 1)
    let line = Array("level\":\"info\"}".utf8)
    let found = line.withUnsafeBytes { all in
      let key = UnsafeRawBufferPointer(rebasing: all[0..<5])
      return table.value(for: key, KeyTable<Int>.probe(key, readable: all.count))
    }
    #expect(found == 1)
    #expect(lookup(table, Array("level".utf8), readable: 5) == 1)
  }

  /// Two keys sharing a pair of slots both stay; a third evicts the one stored first, which
  /// is then a miss, never another key's value.
  @Test func keysSharingAPairEvictTheOldest() {
    var table = KeyTable<Int>()
    var byPair: [Int: [[UInt8]]] = [:]
    var trio: [[UInt8]] = []
    for n in 0..<20_000 {
      let key = Array("key_\(n)".utf8)
      let pair = key.withUnsafeBytes { Int(truncatingIfNeeded: KeyTable<Int>.probe($0, readable: $0.count).hash >> 56) }
      byPair[pair, default: []].append(key)
      if byPair[pair]!.count == 3 {
        trio = byPair[pair]!
        break
      }
    }
    try! #require(trio.count == 3)
    insert(&table, trio[0], 0)
    insert(&table, trio[1], 1)
    #expect(lookup(table, trio[0]) == 0)
    #expect(lookup(table, trio[1]) == 1)
    insert(&table, trio[2], 2)
    #expect(lookup(table, trio[0]) == nil)
    #expect(lookup(table, trio[1]) == 1)
    #expect(lookup(table, trio[2]) == 2)
  }

  /// Long keys live in the arena; when it fills, they are dropped (misses), short keys stay.
  @Test func longKeysSurviveUntilTheArenaFills() {
    var table = KeyTable<Int>()
    insert(&table, Array("short".utf8), 7)
    let long = Array(String(repeating: "kubernetes.labels.app_", count: 2).utf8)
    insert(&table, long, 8)
    #expect(lookup(table, long) == 8)
    func slot(_ key: [UInt8]) -> Int {
      key.withUnsafeBytes { Int(truncatingIfNeeded: KeyTable<Int>.probe($0, readable: $0.count).hash >> 56) }
    }
    // Fill the arena with other long keys, none in the short or the first long key's pair.
    var n = 0
    var bytes = 0
    while bytes <= KeyTable<Int>.arenaCapacity {
      let key = Array("a.much.longer.path.than.sixteen.\(n)".utf8)
      n += 1
      if slot(key) == slot(Array("short".utf8)) || slot(key) == slot(long) { continue }
      insert(&table, key, n)
      bytes += key.count
    }
    #expect(lookup(table, Array("short".utf8)) == 7)
    #expect(lookup(table, long) == nil)
    // The long key the arena was emptied for is there.
    var last = n - 1
    while slot(Array("a.much.longer.path.than.sixteen.\(last)".utf8)) == slot(Array("short".utf8))
      || slot(Array("a.much.longer.path.than.sixteen.\(last)".utf8)) == slot(long)
    { last -= 1 }
    #expect(lookup(table, Array("a.much.longer.path.than.sixteen.\(last)".utf8)) == last + 1)
  }
}
