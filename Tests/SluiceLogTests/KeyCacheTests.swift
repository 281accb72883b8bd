import Foundation
import Logging
import SluiceCore
import Testing

@testable import SluiceLog

/// The per-thread key cache and the inline value loads must be invisible: whatever keys a
/// program uses (literals, short strings, heap strings whose memory is reused, thousands of
/// distinct keys, several configurations on one thread), every line is what an uncached
/// encoder would write.
@Suite("Key cache")
struct KeyCacheTests {
  @Test func fastPathsAreOnOnThisPlatform() {
    // If these fail, the output stays correct but the benchmarks measure the slow paths.
    #expect(KeyCache.layoutKnown)
    #expect(MetadataEncoder.inlineLoadWorks)
  }

  @Test func whichStringsAreRemembered() {
    let cache = KeyCache()
    #expect(cache.isStable(KeyCache.words("short").1))
    #expect(cache.isStable(KeyCache.words("a literal that is longer than fifteen bytes").1))
    let heap = String(repeating: "k", count: 20) + String(Int.random(in: 0..<10))
    #expect(!cache.isStable(KeyCache.words(heap).1))
  }

  /// Thousands of distinct keys — more than the cache holds, so it is emptied and refilled
  /// many times — small and heap-allocated, each line checked member by member.
  @Test func manyDistinctKeysAreAlwaysWrittenRight() throws {
    let log = try TestLog()
    let logger = log.logger()
    var rng = SplitMix64(seed: 0xCAC4E)
    var expected: [[(String, Int)]] = []
    for line in 0..<1500 {
      var metadata: Logger.Metadata = [:]
      var members: [(String, Int)] = []
      for k in 0..<below(&rng, 8) {
        // Short keys live in the String itself; long ones on the heap, freed after the call,
        // so later keys may reuse their memory.
        let key =
          below(&rng, 2) == 0
          ? "k\(below(&rng, 5000))" : "a_much_longer_heap_allocated_key_\(below(&rng, 5000))_\(k)"
        if metadata[key] != nil { continue }
        let value = below(&rng, 1_000_000)
        metadata[key] = .stringConvertible(value)
        members.append((key, value))
      }
      members.sort { $0.0.utf8.lexicographicallyPrecedes($1.0.utf8) }
      logger.info("line \(line)", metadata: metadata)
      expected.append(members)
    }
    let lines = try log.values()
    try #require(lines.count == expected.count)
    for (k, (value, members)) in zip(lines, expected).enumerated() {
      guard case .object(let all) = value else {
        Issue.record("line \(k) is not an object")
        continue
      }
      let written = all.dropFirst(5).map { ($0.key, $0.value) }  // after timestamp…service
      let want = members.map { ($0.0, JSONValue.int(Int64($0.1))) }
      if written.map(\.0) != want.map(\.0) || written.map(\.1) != want.map(\.1) {
        Issue.record("line \(k): wrote \(written), expected \(want)")
        break
      }
    }
  }

  /// Two configurations on one thread, alternating: each call must use its own
  /// configuration's verdicts (secret keys, reserved keys), never the other's cached ones.
  @Test func configurationsOnOneThreadDoNotShareVerdicts() throws {
    let log = try TestLog()
    let strict = log.logger { $0.secretKeys = ["token", "region"] }
    let lax = log.logger { $0.secretKeys = [] }
    for i in 0..<200 {
      let metadata: Logger.Metadata = ["token": "t\(i)", "region": "eu", "message": "m", "id": .stringConvertible(i)]
      (i % 2 == 0 ? strict : lax).info("call", metadata: metadata)
    }
    let lines = try log.values()
    try #require(lines.count == 200)
    for (i, line) in lines.enumerated() {
      if i % 2 == 0 {
        #expect(line["token"] == "[REDACTED]")
        #expect(line["region"] == "[REDACTED]")
      } else {
        #expect(line["token"] == .string("t\(i)"))
        #expect(line["region"] == "eu")
      }
      #expect(line["message"] == "call")
      #expect(line["fields.message"] == "m")
      #expect(line["id"] == .int(Int64(i)))
    }
  }

  /// Keys that share their first sixteen bytes are ordered by the rest.
  @Test func keysWithALongCommonPrefixAreSortedByTheWholeKey() throws {
    let log = try TestLog()
    let logger = log.logger()
    let keys = [
      "http.request.header.b", "http.request.header.a", "http.request.header.aa", "http.request.head",
      "http.request.header", "http.request.header.a_long_heap_suffix_\(Int.random(in: 0..<9))",
    ]
    var metadata: Logger.Metadata = [:]
    for (k, key) in keys.enumerated() { metadata[key] = .stringConvertible(k) }
    logger.info("x", metadata: metadata)
    guard case .object(let members) = try log.single() else { throw CancellationError() }
    #expect(members.dropFirst(5).map(\.key) == keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) })
  }

  /// Numbers of every width through the inline loads, at their extremes.
  @Test func numbersOfEveryWidth() throws {
    let log = try TestLog()
    let logger = log.logger()
    logger.info(
      "n",
      metadata: [
        "i": .stringConvertible(Int.min), "i64": .stringConvertible(Int64.max), "i32": .stringConvertible(Int32.min),
        "i16": .stringConvertible(Int16.min), "i8": .stringConvertible(Int8.min), "u": .stringConvertible(UInt.max),
        "u64": .stringConvertible(UInt64.max), "u32": .stringConvertible(UInt32.max),
        "u16": .stringConvertible(UInt16.max), "u8": .stringConvertible(UInt8.max),
        "f": .stringConvertible(Float(0.5)), "d": .stringConvertible(-12.75), "b": .stringConvertible(false),
      ])
    let line = try String(decoding: log.bytes(), as: UTF8.self)
    for fragment in [
      #""i":-9223372036854775808"#, #""i64":9223372036854775807"#, #""i32":-2147483648"#, #""i16":-32768"#,
      #""i8":-128"#, #""u":18446744073709551615"#, #""u64":18446744073709551615"#, #""u32":4294967295"#,
      #""u16":65535"#, #""u8":255"#, #""f":0.5"#, #""d":-12.75"#, #""b":false"#,
    ] {
      #expect(line.contains(fragment), "\(fragment) missing from \(line)")
    }
  }
}

private func below(_ rng: inout SplitMix64, _ n: Int) -> Int { Int(rng.next() % UInt64(n)) }

@Suite("Handler factory and value semantics")
struct HandlerFactoryTests {
  @Test func handlersFromOneFactoryShareTheirConfiguration() throws {
    let log = try TestLog()
    let make = SluiceLogHandler.factory(log.configuration(), logLevel: .debug)
    let a = make("a")
    let b = make("b")
    #expect(a.shared === b.shared)
    #expect(a.logLevel == .debug)
    #expect(SluiceLogHandler(label: "c", configuration: log.configuration()).shared !== a.shared)
  }

  /// Metadata bound on a copy of a logger does not leak into the original (the per-logger
  /// state is shared between copies until one of them changes it).
  @Test func boundMetadataKeepsValueSemantics() throws {
    let log = try TestLog()
    var original = log.logger()
    original[metadataKey: "shared"] = "yes"
    var copy = original
    copy[metadataKey: "only_copy"] = "1"
    original.info("from original")
    copy.info("from copy")
    let lines = try log.values()
    #expect(lines[0]["shared"] == "yes" && lines[0]["only_copy"] == nil)
    #expect(lines[1]["shared"] == "yes" && lines[1]["only_copy"] == "1")
  }
}
