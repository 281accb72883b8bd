import Foundation
import Logging
import SluiceCore
import Testing

@testable import SluiceLog

/// Typed fields (`LogFields`) write the line the same fields as metadata would, without
/// swift-log's metadata dictionary.
struct TypedFieldsTests {
  struct Order: CustomStringConvertible, Sendable {
    var id: Int
    var description: String { "order-\(id)" }
  }

  /// The lines of `log`, with each timestamp value replaced, so two lines written at
  /// different instants can be compared byte for byte.
  func comparable(_ log: TestLog) throws -> [String] {
    try log.lines().map { line in
      let start = try #require(line.range(of: "\"timestamp\":\""))
      let end = try #require(line[start.upperBound...].firstIndex(of: "\""))
      return line.replacingCharacters(in: start.upperBound..<end, with: "T")
    }
  }

  @Test func typedFieldsWriteTheSameLineAsMetadata() throws {
    let log = try TestLog()
    let logger = log.logger()
    let longKey = "a key that is longer than sixteen bytes, with \"quotes\""
    logger.info(
      "request completed",
      metadata: [
        "method": "GET", "path": "/api/cart?q=\"x\"\n", "status": .stringConvertible(200),
        "duration_ms": .stringConvertible(12.5), "cache_hit": .stringConvertible(true),
        "order": .stringConvertible(Order(id: 42)), "negative": .stringConvertible(-7),
        "big": .stringConvertible(UInt64.max), "nan": .stringConvertible(Double.nan),
        "password": "hunter2",  // a secret key: the marker
        "level": "shadowed",  // written by the schema: renamed to fields.level
        "nested": ["a": .stringConvertible(1), "b": ["x", "y"]], "ünïcødé": "ß", longKey: "1", longKey + "!": "2",
      ])
    logger.info("request completed") { f in
      f.string("method", "GET")
      f.string("path", "/api/cart?q=\"x\"\n")
      f.int("status", 200)
      f.double("duration_ms", 12.5)
      f.bool("cache_hit", true)
      f.describing("order", Order(id: 42))
      f.int("negative", Int8(-7))
      f.int("big", UInt64.max)
      f.double("nan", .nan)
      f.string("password", "hunter2")
      f.string("level", "shadowed")
      f.value("nested", ["a": .stringConvertible(1), "b": ["x", "y"]])
      f.string("ünïcødé", "ß")
      f.string(longKey + "!", "2")
      f.string(longKey, "1")
      #expect(f.count == 15)
    }
    let lines = try comparable(log)
    try #require(lines.count == 2)
    #expect(lines[1] == lines[0])
    let parsed = try JSONValue.parse(lines[1])
    #expect(parsed["password"] == "[REDACTED]")
    #expect(parsed["fields.level"] == "shadowed")
    #expect(parsed["level"] == "info")
    #expect(lines[1].contains("\"big\":18446744073709551615,"))
  }

  @Test func aKeyGivenTwiceKeepsItsLastValue() throws {
    let log = try TestLog()
    log.logger().info("twice") { f in
      f.int("attempt", 1)
      f.string("zone", "b")
      f.int("attempt", 2)
    }
    let line = try log.lines()[0]
    #expect(line.components(separatedBy: "\"attempt\"").count == 2)
    let v = try JSONValue.parse(line)
    #expect(v["attempt"] == .int(2))
    #expect(v["zone"] == "b")
  }

  /// Keys built at run time (longer than a small string, not literals) are held by the call
  /// rather than rebuilt from their words: ordering, ties past the sixteenth byte and
  /// repeats work on them as on literals, call after call.
  @Test func keysBuiltAtRunTimeSortAndRepeatAsLiterals() throws {
    let log = try TestLog()
    let logger = log.logger()
    for round in 0..<3 {
      let prefix = String(repeating: "k", count: 20) + "\(round)"
      logger.info("dynamic") { f in
        f.int(prefix + "-b", 1)
        f.int(prefix + "-a", 2)
        f.int(prefix + "-b", 3)
        f.int("\(prefix)-c", 4)
      }
    }
    let lines = try log.lines()
    try #require(lines.count == 3)
    for (round, line) in lines.enumerated() {
      let p = String(repeating: "k", count: 20) + "\(round)"
      #expect(line.hasSuffix(",\"\(p)-a\":2,\"\(p)-b\":3,\"\(p)-c\":4}"), "\(line)")
    }
  }

  /// A thread remembers the order its last typed call was written in and reuses it when it
  /// still sorts the fields: call sites taking turns, with the same number of fields in
  /// other orders and with repeated keys, still write what the metadata path writes.
  @Test func callSitesTakingTurnsWriteWhatMetadataWrites() throws {
    let log = try TestLog()
    let logger = log.logger()
    let pool = ["zone", "attempt", "a", "method", "a key longer than sixteen bytes", "a key longer than sixteen bytez"]
    var rng = SplitMix64(seed: 0x5EED)
    var calls: [[(String, Int)]] = []
    for _ in 0..<150 {
      let n = Int.random(in: 1...6, using: &rng)
      let fields = (0..<n).map { _ in (pool.randomElement(using: &rng)!, Int.random(in: 0..<1000, using: &rng)) }
      // Twice in a row (the remembered order fits), then a different call (it may not).
      calls.append(fields)
      calls.append(fields)
    }
    for fields in calls {
      logger.info("typed") { f in
        for (key, value) in fields { f.int(key, value) }
      }
      var metadata: Logger.Metadata = [:]
      for (key, value) in fields { metadata[key] = .stringConvertible(value) }
      logger.info("typed", metadata: metadata)
    }
    let lines = try comparable(log)
    try #require(lines.count == 2 * calls.count)
    for i in stride(from: 0, to: lines.count, by: 2) {
      #expect(lines[i] == lines[i + 1], "call \(i / 2): \(calls[i / 2])")
    }
  }

  @Test func sensitiveValuesAreNeverWritten() throws {
    let log = try TestLog()
    let captured = ThreadSafeBox<[Logger.Metadata]>([])
    log.logger().info("paid") { f in f.sensitive("card", "4111 1111 1111 1111") }
    Logger(label: "other") { _ in CapturingHandler(metadataProvider: nil, captured: captured) }
      .info("paid") { f in f.sensitive("card", "4111 1111 1111 1111") }
    #expect(try log.single()["card"] == "[REDACTED]")
    #expect(try String(contentsOfFile: log.path, encoding: .utf8).contains("4111") == false)
    #expect(captured.value == [["card": "[REDACTED]"]])
  }

  /// Bound, provided and context fields merge with typed fields as with metadata: the
  /// call's value wins, and no key is written twice.
  @Test func collisionsMergeAsMetadataDoes() throws {
    let log = try TestLog()
    var logger = log.logger(metadataProvider: Logger.MetadataProvider { ["provided": "p", "shared": "provider"] })
    logger[metadataKey: "region"] = "eu-west-1"
    logger[metadataKey: "shared"] = "bound"
    withLogContext(requestID: "r-1", fields: ["tenant": "acme", "region": "context"]) {
      logger.info("m", metadata: ["shared": "call", "status": .stringConvertible(200), "region": "call"])
      logger.info("m") { f in
        f.string("shared", "call")
        f.int("status", 200)
        f.string("region", "call")
      }
      // No collision: the fast path, next to bound, provided and context fields.
      logger.info("m", metadata: ["zz": .stringConvertible(1)])
      logger.info("m") { f in f.int("zz", 1) }
    }
    let lines = try comparable(log)
    try #require(lines.count == 4)
    #expect(lines[1] == lines[0])
    #expect(lines[3] == lines[2])
    let merged = try JSONValue.parse(lines[1])
    #expect(merged["shared"] == "call")
    #expect(merged["region"] == "call")
    #expect(merged["request_id"] == "r-1")
    #expect(merged["tenant"] == "acme")
    #expect(merged["provided"] == "p")
    #expect(lines[1].components(separatedBy: "\"shared\"").count == 2)
  }

  @Test func nothingIsEvaluatedBelowTheLoggersLevel() throws {
    let log = try TestLog()
    var logger = log.logger()
    logger.logLevel = .info
    var evaluated = false
    func message() -> Logger.Message {
      evaluated = true
      return "x"
    }
    logger.debug(message()) { _ in evaluated = true }
    #expect(!evaluated)
    #expect(try log.lines().isEmpty)
    logger.warning(message()) { f in f.bool("ok", false) }
    #expect(evaluated)
    #expect(try log.single()["level"] == "warning")
  }

  @Test func otherHandlersReceiveTheFieldsAsMetadata() throws {
    let captured = ThreadSafeBox<[Logger.Metadata]>([])
    let logger = Logger(label: "other") { _ in CapturingHandler(metadataProvider: nil, captured: captured) }
    logger.error("e") { f in
      f.string("s", "v")
      f.int("i", 3)
      f.double("d", 0.5)
      f.bool("b", true)
      f.int("i", 4)
    }
    logger.error("no fields") { _ in }
    try #require(captured.value.count == 2)
    let m = captured.value[0]
    #expect(m["s"] == "v")
    #expect(m["i"]?.description == "4")
    #expect(m["d"]?.description == "0.5")
    #expect(m["b"]?.description == "true")
    #expect(captured.value[1] == [:])
  }

  @Test func valueDetectorsScanTypedStrings() throws {
    let log = try TestLog()
    let logger = log.logger { $0.valueDetectors = [EmailDetector()] }
    logger.info("signup") { f in f.string("contact", "write to jane.doe@example.com today") }
    let text = try String(contentsOfFile: log.path, encoding: .utf8)
    #expect(!text.contains("jane.doe@example.com"))
  }

  /// A field whose value is computed by code that logs (typed or not) on the same thread.
  @Test func loggingWhileFieldsAreAddedKeepsBothLinesIntact() throws {
    let log = try TestLog()
    let logger = log.logger()
    func lookUp() -> String {
      logger.debug("inner typed") { f in f.string("inner", "1") }
      logger.debug("inner metadata", metadata: ["inner": "2"])
      return "value"
    }
    logger.info("outer") { f in
      f.string("before", "b")
      f.string("looked_up", lookUp())
      f.string("after", "a")
    }
    let values = try log.values()
    try #require(values.count == 3)
    #expect(values[0]["inner"] == "1")
    #expect(values[1]["inner"] == "2")
    #expect(values[2]["message"] == "outer")
    #expect(values[2]["before"] == "b")
    #expect(values[2]["looked_up"] == "value")
    #expect(values[2]["after"] == "a")
    #expect(values[2]["inner"] == nil)
  }

  /// More fields and longer values than the thread's buffers start with, then a small call.
  @Test func manyFieldsAndLongValuesGrowTheBuffers() throws {
    let log = try TestLog()
    let logger = log.logger()
    let long = String(repeating: "x", count: 5000)
    logger.info("big") { f in
      for i in 0..<100 { f.int("k\(1000 + i)", i) }
      f.string("long", long)
    }
    logger.info("small") { f in f.int("n", 1) }
    let values = try log.values()
    try #require(values.count == 2)
    guard case .object(let members) = values[0] else {
      Issue.record("not an object")
      return
    }
    let keys = members.map(\.key).filter { $0.hasPrefix("k") }
    #expect(keys == (0..<100).map { "k\(1000 + $0)" })
    #expect(values[0]["k1099"] == .int(99))
    #expect(values[0]["long"]?.stringValue == long)
    #expect(values[1]["n"] == .int(1))
    #expect(values[1]["long"] == nil)
  }

  @Test func concurrentTypedCallsNeverMixFields() async throws {
    let log = try TestLog()
    let logger = log.logger()
    await withTaskGroup(of: Void.self) { group in
      for t in 0..<4 {
        group.addTask {
          for i in 0..<500 {
            logger.info("t") { f in
              f.int("task", t)
              f.int("i", i)
              f.string("tag", "task-\(t)")
            }
          }
        }
      }
    }
    let values = try log.values()
    #expect(values.count == 2000)
    for v in values {
      guard case .int(let t) = v["task"] else {
        Issue.record("no task in \(v)")
        continue
      }
      #expect(v["tag"] == .string("task-\(t)"))
    }
  }
}
