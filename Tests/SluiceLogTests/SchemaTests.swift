import Foundation
import Logging
import ServiceContextModule
import SluiceCore
import Testing

@testable import SluiceLog

/// Key order and value types of each schema preset.
struct SchemaTests {
  struct PaymentError: Error, CustomStringConvertible {
    var description: String { "card declined" }
  }

  static let traceID = "0af7651916cd43dd8448eb211c80319c"
  static let spanID = "b7ad6b7169203331"
  static let trace = TraceContextSource.custom { _ in (SchemaTests.traceID, SchemaTests.spanID) }
  static let errorType = String(reflecting: PaymentError.self)

  /// Logs one error line with everything a line can carry: context, trace ids, bound,
  /// provided and call-site metadata, an error and the source location.
  func logFullLine(schema: LogSchema) async throws -> (JSONValue, String) {
    let log = try TestLog()
    let provider = Logger.MetadataProvider { ["provided": "p"] }
    var logger = log.logger(metadataProvider: provider) {
      $0.schema = schema
      $0.includeSourceLocation = true
      $0.traceContext = Self.trace
    }
    logger[metadataKey: "zone"] = "b"
    logger[metadataKey: "app"] = "shop"
    await ServiceContext.withValue(.topLevel) {
      await withLogContext(requestID: "req-1", userID: "u-7", fields: ["tenant": "acme", "attempt": 2]) {
        await Task.yield()
        logger.error(
          "boom", error: PaymentError(),
          metadata: [
            "z": .stringConvertible(1), "b": .stringConvertible(true), "a": .stringConvertible(0.5), "s": "text",
          ],
          file: "Checkout.swift", function: "pay()", line: 42)
      }
    }
    let line = try #require(try log.lines().first)
    return (try JSONValue.parse(line), line)
  }

  @Test func sluiceKeyOrderAndTypes() async throws {
    let (v, _) = try await logFullLine(schema: .sluice)
    #expect(
      keys(v) == [
        "timestamp", "level", "message", "logger", "service", "request_id", "user_id", "trace_id", "span_id",
        "attempt", "tenant", "app", "zone", "provided", "a", "b", "s", "z", "error.type", "error.message",
        "source.file", "source.line", "source.function",
      ])
    #expect(v["level"] == "error")
    #expect(v["message"] == "boom")
    #expect(v["logger"] == "test.logger")
    #expect(v["service"] == "svc")
    #expect(v["request_id"] == "req-1")
    #expect(v["user_id"] == "u-7")
    #expect(v["trace_id"] == .string(Self.traceID))
    #expect(v["span_id"] == .string(Self.spanID))
    #expect(v["attempt"] == .int(2))
    #expect(v["tenant"] == "acme")
    #expect(v["app"] == "shop")
    #expect(v["provided"] == "p")
    #expect(v["a"] == .double(0.5))
    #expect(v["b"] == .bool(true))
    #expect(v["s"] == "text")
    #expect(v["z"] == .int(1))
    #expect(v["error.type"] == .string(Self.errorType))
    #expect(v["error.message"] == "card declined")
    #expect(v["source.file"] == "Checkout.swift")
    #expect(v["source.line"] == .int(42))
    #expect(v["source.function"] == "pay()")
  }

  @Test func ecsKeyOrderAndTypes() async throws {
    let (v, _) = try await logFullLine(schema: .ecs)
    #expect(
      keys(v) == [
        "@timestamp", "log.level", "message", "log.logger", "service.name", "ecs.version", "http.request.id",
        "user.id", "trace.id", "span.id", "attempt", "tenant", "app", "zone", "provided", "a", "b", "s", "z",
        "error.type", "error.message", "log.origin.file.name", "log.origin.file.line", "log.origin.function",
      ])
    #expect(v["log.level"] == "error")
    #expect(v["message"] == "boom")
    #expect(v["log.logger"] == "test.logger")
    #expect(v["service.name"] == "svc")
    #expect(v["ecs.version"] == .string(LogSchema.ecsVersion))
    #expect(v["http.request.id"] == "req-1")
    #expect(v["user.id"] == "u-7")
    #expect(v["trace.id"] == .string(Self.traceID))
    #expect(v["span.id"] == .string(Self.spanID))
    #expect(v["z"] == .int(1))
    #expect(v["error.type"] == .string(Self.errorType))
    #expect(v["error.message"] == "card declined")
    #expect(v["log.origin.file.line"] == .int(42))
    #expect(v["log.origin.function"] == "pay()")
    try expectTimestamp(v["@timestamp"])
  }

  @Test func otelKeyOrderAndTypes() async throws {
    let (v, _) = try await logFullLine(schema: .otel)
    #expect(
      keys(v) == [
        "timestamp", "severity_text", "severity_number", "body", "resource", "trace_id", "span_id", "attributes",
      ])
    #expect(v["severity_text"] == "ERROR")
    #expect(v["severity_number"] == .int(17))
    #expect(v["body"] == "boom")
    #expect(v["resource"] == ["service.name": "svc"])
    #expect(v["trace_id"] == .string(Self.traceID))
    #expect(v["span_id"] == .string(Self.spanID))
    let attributes = try #require(v["attributes"])
    #expect(
      keys(attributes) == [
        "logger", "request_id", "user_id", "attempt", "tenant", "app", "zone", "provided", "a", "b", "s", "z",
        "exception.type", "exception.message", "code.filepath", "code.lineno", "code.function",
      ])
    #expect(attributes["logger"] == "test.logger")
    #expect(attributes["request_id"] == "req-1")
    #expect(attributes["user_id"] == "u-7")
    #expect(attributes["attempt"] == .int(2))
    #expect(attributes["b"] == .bool(true))
    #expect(attributes["exception.type"] == .string(Self.errorType))
    #expect(attributes["exception.message"] == "card declined")
    #expect(attributes["code.filepath"] == "Checkout.swift")
    #expect(attributes["code.lineno"] == .int(42))
    #expect(attributes["code.function"] == "pay()")
    try expectTimestamp(v["timestamp"])
  }

  @Test(arguments: [
    (Logger.Level.trace, "TRACE", 1), (.debug, "DEBUG", 5), (.info, "INFO", 9), (.notice, "NOTICE", 10),
    (.warning, "WARN", 13), (.error, "ERROR", 17), (.critical, "CRITICAL", 21),
  ])
  func otelSeverity(level: Logger.Level, text: String, number: Int64) throws {
    let log = try TestLog()
    let logger = log.logger { $0.schema = .otel }
    logger.log(level: level, "x")
    let v = try log.single()
    #expect(v["severity_text"] == .string(text))
    #expect(v["severity_number"] == .int(number))
  }

  @Test func levelNamesInSluiceAndECS() throws {
    for schema in [LogSchema.sluice, .ecs] {
      let log = try TestLog()
      let logger = log.logger { $0.schema = schema }
      for level in Logger.Level.allCases { logger.log(level: level, "x") }
      let levelKey = schema == .ecs ? "log.level" : "level"
      #expect(try log.values().map { $0[levelKey] } == Logger.Level.allCases.map { .string($0.rawValue) })
    }
  }

  @Test func minimalLinesWithoutServiceOrMetadata() throws {
    for schema in LogSchema.allCases {
      let log = try TestLog()
      let logger = log.logger {
        $0.schema = schema
        $0.service = nil
      }
      logger.info("hi")
      let v = try log.single()
      switch schema {
      case .sluice: #expect(keys(v) == ["timestamp", "level", "message", "logger"])
      case .ecs: #expect(keys(v) == ["@timestamp", "log.level", "message", "log.logger", "ecs.version"])
      case .otel:
        #expect(keys(v) == ["timestamp", "severity_text", "severity_number", "body", "attributes"])
        #expect(v["attributes"] == ["logger": "test.logger"])
      }
    }
  }

  @Test func timestampIsRFC3339UTCWithMicroseconds() throws {
    let log = try TestLog()
    log.logger().info("now")
    try expectTimestamp(try log.single()["timestamp"])
  }

  /// `YYYY-MM-DDTHH:MM:SS.ffffffZ`, within a minute of now.
  func expectTimestamp(_ value: JSONValue?) throws {
    let ts = try #require(value?.stringValue)
    let chars = Array(ts)
    try #require(chars.count == 27, "bad timestamp \(ts)")
    let digitPositions = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18] + Array(20...25)
    #expect(digitPositions.allSatisfy { chars[$0].isASCII && chars[$0].isNumber }, "bad timestamp \(ts)")
    #expect(chars[4] == "-" && chars[7] == "-" && chars[10] == "T" && chars[13] == ":" && chars[16] == ":")
    #expect(chars[19] == "." && chars[26] == "Z")
    func number(_ r: Range<Int>) -> Int { Int(String(chars[r]))! }
    var components = DateComponents()
    components.calendar = Calendar(identifier: .gregorian)
    components.timeZone = TimeZone(identifier: "UTC")
    (components.year, components.month, components.day) = (number(0..<4), number(5..<7), number(8..<10))
    (components.hour, components.minute, components.second) = (number(11..<13), number(14..<16), number(17..<19))
    let date = try #require(components.date)
    #expect(abs(date.timeIntervalSinceNow) < 60, "timestamp \(ts) is not now")
  }

  @Test func typedValues() throws {
    struct Custom: CustomStringConvertible, Sendable { var description: String { "custom \"thing\"" } }
    let log = try TestLog()
    log.logger().info(
      "typed",
      metadata: [
        "int": .stringConvertible(-7), "int64": .stringConvertible(Int64.min), "uint8": .stringConvertible(UInt8(255)),
        "uint64": .stringConvertible(UInt64(1) << 40), "double": .stringConvertible(-2.5),
        "whole": .stringConvertible(3.0), "float": .stringConvertible(Float(0.5)), "yes": .stringConvertible(true),
        "no": .stringConvertible(false), "custom": .stringConvertible(Custom()), "string": "42",
        "list": [.stringConvertible(1), "two", [.stringConvertible(false)]], "empty_list": [], "empty_dict": [:],
        "dict": ["b": ["c": .stringConvertible(1.5)], "a": "x"],
      ])
    let v = try log.single()
    #expect(v["int"] == .int(-7))
    #expect(v["int64"] == .int(Int64.min))
    #expect(v["uint8"] == .int(255))
    #expect(v["uint64"] == .int(1 << 40))
    #expect(v["double"] == .double(-2.5))
    #expect(v["whole"] == .double(3.0))  // written as 3.0: still a floating point number
    #expect(v["float"] == .double(0.5))
    #expect(v["yes"] == .bool(true))
    #expect(v["no"] == .bool(false))
    #expect(v["custom"] == "custom \"thing\"")
    #expect(v["string"] == "42")
    #expect(v["list"] == [1, "two", [false]])
    #expect(v["empty_list"] == [])
    #expect(v["empty_dict"] == .object([]))
    #expect(v["dict"] == ["a": "x", "b": ["c": 1.5]])  // nested keys sorted too
    let raw = try #require(try log.lines().first)
    #expect(raw.contains("\"whole\":3.0"))
  }

  @Test func nonFiniteNumbersAreStrings() throws {
    let log = try TestLog()
    log.logger().info(
      "nonfinite",
      metadata: [
        "nan": .stringConvertible(Double.nan), "inf": .stringConvertible(Double.infinity),
        "ninf": .stringConvertible(-Double.infinity), "fnan": .stringConvertible(Float.nan),
        "finf": .stringConvertible(Float.infinity), "in_list": [.stringConvertible(Double.nan)],
        "in_dict": ["x": .stringConvertible(-Double.infinity)],
      ])
    let lines = try log.lines()
    let v = try JSONValue.parse(lines[0])
    #expect(v["nan"] == "NaN")
    #expect(v["inf"] == "Infinity")
    #expect(v["ninf"] == "-Infinity")
    #expect(v["fnan"] == "NaN")
    #expect(v["finf"] == "Infinity")
    #expect(v["in_list"] == ["NaN"])
    #expect(v["in_dict"] == ["x": "-Infinity"])
    // Strict parsers must accept it: no bare NaN / Infinity tokens.
    let script = """
      import json, sys
      def reject(c): raise ValueError('bare constant ' + c)
      json.loads(open(sys.argv[1], 'rb').read().decode('utf-8'), parse_constant=reject)
      print('ok')
      """
    let result = try runPython(script, [log.path])
    #expect(result.status == 0 && result.output == "ok\n", "\(result.output)")
  }

  @Test func errorWithoutMetadataAndErrorTypeNames() throws {
    enum Failure: Error { case timeout }
    let log = try TestLog()
    let logger = log.logger()
    logger.warning("slow", error: Failure.timeout)
    logger.info("fine")
    let values = try log.values()
    #expect(values[0]["error.type"] == .string(String(reflecting: Failure.self)))
    #expect(values[0]["error.message"] == "timeout")
    #expect(keys(values[0]).suffix(2) == ["error.type", "error.message"])
    #expect(values[1]["error.type"] == nil)
  }

  @Test func messagesAndLabelsAreEscaped() throws {
    let log = try TestLog()
    let logger = log.logger(label: "weird \"label\"\n\\")
    logger.info("tab\there \u{7F} \u{2028} \u{0} end")
    let lines = try log.lines()
    #expect(lines.count == 1)
    let v = try JSONValue.parse(lines[0])
    #expect(v["logger"] == "weird \"label\"\n\\")
    #expect(
      v["message"]?.stringValue.map { Array($0.unicodeScalars) }
        == Array("tab\there \u{7F} \u{2028} \u{0} end".unicodeScalars))
  }
}

/// Metadata may not reuse a key the schema writes itself: it is written as `fields.<key>`,
/// so no line carries a key twice (Elasticsearch rejects such documents).
struct ReservedKeyTests {
  @Test(arguments: LogSchema.allCases)
  func metadataNamedLikeAFixedFieldIsPrefixed(_ schema: LogSchema) throws {
    let log = try TestLog()
    var logger = log.logger { $0.schema = schema }
    logger[metadataKey: "logger"] = "bound"
    logger.error(
      "real message",
      metadata: [
        "message": "meta message", "level": "meta level", "timestamp": "meta ts", "error.type": "x",
        "ok": .stringConvertible(1),
      ])
    let line = try log.lines()[0]
    let value = try JSONValue.parse(line)
    let fields: JSONValue = schema == .otel ? try #require(value["attributes"]) : value
    // Every key at the level where metadata lands appears once.
    guard case .object(let members) = fields else {
      Issue.record("not an object")
      return
    }
    #expect(Set(members.map(\.key)).count == members.count, "duplicate keys in \(line)")
    // ECS names its logger field `log.logger`, so `logger` is free there.
    #expect(fields[schema == .ecs ? "logger" : "fields.logger"] == "bound")
    #expect(fields["ok"] == 1)
    if schema == .otel {
      #expect(value["body"] == "real message")
      #expect(fields["message"] == "meta message", "no clash inside attributes")
    } else {
      #expect(value["message"] == "real message")
      #expect(fields["fields.message"] == "meta message")
      #expect(fields["fields.error.type"] == "x")
    }
  }
}
