import Testing

@testable import SluiceAgent

/// The word-at-a-time helpers the metrics step uses per event, against byte-by-byte answers.
@Suite("ByteWords and SeriesTable")
struct ByteWordsTests {
  /// Deterministic pseudo-random bytes (xorshift), so a failure is reproducible.
  struct Bytes {
    var state: UInt64 = 0x9E37_79B9_7F4A_7C15
    mutating func next(_ n: Int, alphabet: UInt8 = 4) -> [UInt8] {
      (0..<n).map { _ in
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return UInt8(ascii: "a") + UInt8(state % UInt64(alphabet))
      }
    }
  }

  @Test func equalAgreesWithByteComparisonAtEveryLength() {
    var random = Bytes()
    for n in 0...40 {
      for _ in 0..<200 {
        // A small alphabet makes equal and nearly equal strings common.
        let a = random.next(n, alphabet: 2)
        let b = random.next(n, alphabet: 2)
        let same = a.withUnsafeBytes { pa in
          b.withUnsafeBytes { pb in n == 0 || ByteWords.equal(pa.baseAddress!, pb.baseAddress!, n) }
        }
        #expect(same == (a == b), "\(n) \(a) \(b)")
      }
    }
  }

  @Test func prefixReadsOnlyTheGivenBytesWithOrWithoutRoomToReadAWord() {
    let text = Array("abcdefghijklmnop".utf8)
    text.withUnsafeBytes { raw in
      let p = raw.baseAddress!
      for n in 0...8 {
        var expected: UInt64 = 0
        for k in 0..<n { expected |= UInt64(text[k]) << (8 * UInt64(k)) }
        #expect(ByteWords.prefix(p, n, end: p + raw.count) == expected)
        // At the end of the buffer: no eight-byte read past it.
        let start = p + (raw.count - n)
        var tail: UInt64 = 0
        for k in 0..<n { tail |= UInt64(text[raw.count - n + k]) << (8 * UInt64(k)) }
        #expect(ByteWords.prefix(start, n, end: p + raw.count) == tail)
        #expect(ByteWords.prefix(text[(raw.count - n)...]) == tail)
      }
    }
  }

  @Test func hashDependsOnContentAndLengthOnly() {
    var random = Bytes()
    var seen: [UInt64: [UInt8]] = [:]
    for n in 0...40 {
      for _ in 0..<100 {
        let a = random.next(n, alphabet: 26)
        let h = SeriesTable.hash(a)
        #expect(SeriesTable.hash(Array(a)) == h)
        if let other = seen[h] { #expect(other == a, "collision \(other) \(a)") }
        seen[h] = a
      }
    }
    // Overlapping tail loads must not make a shorter or padded string collide.
    #expect(SeriesTable.hash(Array("abcdefgh".utf8)) != SeriesTable.hash(Array("abcdefgh\u{0}".utf8)))
    #expect(SeriesTable.hash(Array("abcdefghi".utf8)) != SeriesTable.hash(Array("bcdefghi".utf8)))
  }

  @Test func seriesTableFindsEveryKeyItHoldsAndNoOther() {
    var random = Bytes()
    var table = SeriesTable(capacity: 500)
    var keys: [[UInt8]] = []
    while keys.count < 500 {
      let length = Int(random.next(1, alphabet: 30)[0] - UInt8(ascii: "a"))  // 0…29; always advances
      let key = random.next(length, alphabet: 3)
      if keys.contains(key) { continue }
      #expect(table.slot(for: key, hash: SeriesTable.hash(key)) == nil)
      table.insert(key, hash: SeriesTable.hash(key), slot: keys.count)
      keys.append(key)
    }
    #expect(table.isFull)
    for (slot, key) in keys.enumerated() { #expect(table.slot(for: key, hash: SeriesTable.hash(key)) == slot) }
  }
}
