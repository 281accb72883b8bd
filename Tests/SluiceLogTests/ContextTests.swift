import Foundation
import Logging
import SluiceCore
import Testing

@testable import SluiceLog

/// Request-scoped context (`withLogContext`) and logger-bound metadata.
struct ContextTests {
  @Test func asyncScopeBindsRequestUserAndFieldsAndEnds() async throws {
    let log = try TestLog()
    let logger = log.logger()
    logger.info("before")
    await withLogContext(requestID: "r-1", userID: "u-1", fields: ["tenant": "acme", "retries": 3]) {
      await Task.yield()
      logger.info("inside")
    }
    logger.info("after")
    let v = try log.values()
    try #require(v.count == 3)
    #expect(v[0]["request_id"] == nil && v[0]["tenant"] == nil)
    #expect(
      keys(v[1]) == [
        "timestamp", "level", "message", "logger", "service", "request_id", "user_id", "retries", "tenant",
      ])
    #expect(v[1]["request_id"] == "r-1")
    #expect(v[1]["user_id"] == "u-1")
    #expect(v[1]["tenant"] == "acme")
    #expect(v[1]["retries"] == .int(3))
    #expect(keys(v[2]) == ["timestamp", "level", "message", "logger", "service"])
    #expect(LogContext.current.isEmpty)
  }

  @Test func syncScope() throws {
    let log = try TestLog()
    let logger = log.logger()
    let result = withLogContext(requestID: "sync-1", fields: ["flag": true]) {
      logger.info("inside")
      return 7
    }
    logger.info("after")
    #expect(result == 7)
    let v = try log.values()
    #expect(v[0]["request_id"] == "sync-1")
    #expect(v[0]["flag"] == .bool(true))
    #expect(v[0]["user_id"] == nil)
    #expect(v[1]["request_id"] == nil && v[1]["flag"] == nil)
  }

  @Test func syncScopeRethrows() throws {
    struct Stop: Error {}
    #expect(throws: Stop.self) {
      try withLogContext(requestID: "x") { throw Stop() }
    }
    #expect(LogContext.current.requestID == nil)
  }

  @Test func contextFlowsIntoChildTasks() async throws {
    let log = try TestLog()
    let logger = log.logger()
    await withLogContext(requestID: "parent", fields: ["tenant": "acme"]) {
      async let a: Void = logger.info("async let")
      await withTaskGroup(of: Void.self) { group in
        for i in 0..<4 { group.addTask { logger.info("group \(i)") } }
      }
      await Task { logger.info("unstructured") }.value
      await Task.detached { logger.info("detached") }.value
      await a
    }
    let v = try log.values()
    try #require(v.count == 7)
    for line in v {
      let message = try #require(line["message"]?.stringValue)
      if message == "detached" {
        #expect(line["request_id"] == nil, "detached tasks do not inherit task-locals")
      } else {
        #expect(line["request_id"] == "parent", "\(message)")
        #expect(line["tenant"] == "acme", "\(message)")
      }
    }
  }

  @Test func nestedScopesAddAndOverride() async throws {
    let log = try TestLog()
    let logger = log.logger()
    await withLogContext(requestID: "outer", userID: "u-1", fields: ["tenant": "acme", "region": "eu"]) {
      logger.info("outer")
      await withLogContext(requestID: "inner", fields: ["region": "us", "shard": 3]) {
        await Task.yield()
        logger.info("inner")
      }
      logger.info("outer again")
    }
    logger.info("none")
    let v = try log.values()
    try #require(v.count == 4)
    let base = ["timestamp", "level", "message", "logger", "service"]
    #expect(keys(v[0]) == base + ["request_id", "user_id", "region", "tenant"])
    #expect(keys(v[1]) == base + ["request_id", "user_id", "region", "tenant", "shard"])
    #expect(v[1]["request_id"] == "inner")
    #expect(v[1]["user_id"] == "u-1")
    #expect(v[1]["region"] == "us")
    #expect(v[1]["tenant"] == "acme")
    #expect(v[1]["shard"] == .int(3))
    #expect(v[2]["request_id"] == "outer")
    #expect(v[2]["region"] == "eu")
    #expect(v[2]["shard"] == nil)
    #expect(keys(v[3]) == base)
  }

  @Test func contextFieldValueTypes() throws {
    let log = try TestLog()
    let fields: [String: JSONValue] = [
      "n": nil, "b": false, "i": -5, "d": 1.25, "s": "str", "a": [1, "two"], "o": ["k": "v", "j": [true]],
    ]
    withLogContext(fields: fields) { log.logger().info("typed") }
    let v = try log.single()
    #expect(keys(v).suffix(7) == ["a", "b", "d", "i", "n", "o", "s"])
    #expect(v["n"] == .null)
    #expect(v["b"] == .bool(false))
    #expect(v["i"] == .int(-5))
    #expect(v["d"] == .double(1.25))
    #expect(v["s"] == "str")
    #expect(v["a"] == [1, "two"])
    #expect(v["o"] == ["k": "v", "j": [true]])
  }

  @Test func metadataProviderExposesTheContext() async throws {
    #expect(LogContext.metadataProvider.get().isEmpty)
    await withLogContext(requestID: "r-9", userID: "u-9", fields: ["tenant": "acme", "attempt": 2]) {
      let m = LogContext.metadataProvider.get()
      #expect(m.count == 4)
      #expect(m["request_id"] == .string("r-9"))
      #expect(m["user_id"] == .string("u-9"))
      #expect(m["tenant"] == .string("acme"))
      #expect(m["attempt"]?.description == "2")
      await withTaskGroup(of: Logger.Metadata.self) { group in
        group.addTask { LogContext.metadataProvider.get() }
        for await child in group { #expect(child["request_id"] == .string("r-9")) }
      }
    }
    #expect(LogContext.metadataProvider.get().isEmpty)
  }

  /// Another handler (here: a capturing one) sees the context through the provider.
  @Test func metadataProviderFeedsOtherHandlers() throws {
    let captured = ThreadSafeBox<[Logger.Metadata]>([])
    let logger = Logger(label: "other") { _ in
      CapturingHandler(metadataProvider: LogContext.metadataProvider, captured: captured)
    }
    withLogContext(requestID: "r-2", fields: ["tenant": "t"]) { logger.info("hello", metadata: ["call": "c"]) }
    logger.info("outside")
    let all = captured.value
    try #require(all.count == 2)
    #expect(all[0] == ["request_id": "r-2", "tenant": "t", "call": "c"])
    #expect(all[1] == [:])
  }

  /// SluiceLog reads the context itself; also installing the provider must not duplicate keys.
  @Test func providerAndContextTogetherDoNotDuplicate() throws {
    let log = try TestLog()
    let logger = log.logger(metadataProvider: LogContext.metadataProvider)
    withLogContext(requestID: "r-3", userID: "u-3", fields: ["tenant": "acme"]) { logger.info("both") }
    let raw = try #require(try log.lines().first)
    let v = try JSONValue.parse(raw)
    for key in ["request_id", "user_id", "tenant"] {
      #expect(count(key, in: v) == 1, "\(key) in \(raw)")
      #expect(occurrences(of: "\"\(key)\":", in: raw) == 1, "\(key) in \(raw)")
    }
    #expect(v["request_id"] == "r-3")
    #expect(v["tenant"] == "acme")
  }

  // MARK: - Collisions: the call site wins, and a key is written once.

  @Test func callSiteOverridesLoggerBoundKey() throws {
    let log = try TestLog()
    var logger = log.logger()
    logger[metadataKey: "region"] = "eu"
    logger.info("x", metadata: ["region": "us", "other": .stringConvertible(1)])
    logger.info("y")
    let lines = try log.lines()
    let v = try lines.map { try JSONValue.parse($0) }
    #expect(occurrences(of: "\"region\":", in: lines[0]) == 1, "\(lines[0])")
    #expect(count("region", in: v[0]) == 1)
    #expect(v[0]["region"] == "us")
    #expect(v[0]["other"] == .int(1))
    #expect(v[1]["region"] == "eu")
  }

  @Test func callSiteOverridesContextField() throws {
    let log = try TestLog()
    let logger = log.logger()
    withLogContext(requestID: "r", fields: ["tenant": "acme", "keep": "k"]) {
      logger.info("x", metadata: ["tenant": "other"])
    }
    let raw = try #require(try log.lines().first)
    let v = try JSONValue.parse(raw)
    #expect(occurrences(of: "\"tenant\":", in: raw) == 1, "\(raw)")
    #expect(v["tenant"] == "other")
    #expect(v["keep"] == "k")
    #expect(v["request_id"] == "r")
  }

  @Test func callSiteOverridesRequestAndUserID() throws {
    let log = try TestLog()
    let logger = log.logger()
    withLogContext(requestID: "r-ctx", userID: "u-ctx") {
      logger.info("x", metadata: ["request_id": "r-call"])
      logger.info("y", metadata: ["user_id": "u-call"])
    }
    let lines = try log.lines()
    let v = try lines.map { try JSONValue.parse($0) }
    #expect(occurrences(of: "\"request_id\":", in: lines[0]) == 1, "\(lines[0])")
    #expect(v[0]["request_id"] == "r-call")
    #expect(v[0]["user_id"] == "u-ctx")
    #expect(occurrences(of: "\"user_id\":", in: lines[1]) == 1, "\(lines[1])")
    #expect(v[1]["user_id"] == "u-call")
    #expect(v[1]["request_id"] == "r-ctx")
  }

  @Test func ecsCallSiteOverridesRequestID() throws {
    let log = try TestLog()
    let logger = log.logger { $0.schema = .ecs }
    withLogContext(requestID: "r-ctx") { logger.info("x", metadata: ["http.request.id": "r-call"]) }
    let raw = try #require(try log.lines().first)
    #expect(occurrences(of: "\"http.request.id\":", in: raw) == 1, "\(raw)")
    #expect(try JSONValue.parse(raw)["http.request.id"] == "r-call")
  }

  @Test func providerOverridesBoundAndCallOverridesProvider() throws {
    let log = try TestLog()
    var logger = log.logger(metadataProvider: Logger.MetadataProvider { ["k": "provided", "p": "only-provided"] })
    logger[metadataKey: "k"] = "bound"
    logger.info("a")
    logger.info("b", metadata: ["k": "call"])
    let lines = try log.lines()
    for line in lines { #expect(occurrences(of: "\"k\":", in: line) == 1, "\(line)") }
    let v = try lines.map { try JSONValue.parse($0) }
    #expect(v[0]["k"] == "provided")
    #expect(v[1]["k"] == "call")
    #expect(v[1]["p"] == "only-provided")
  }

  @Test func loggerBoundKeyCollidingWithContextFieldIsWrittenOnce() throws {
    let log = try TestLog()
    var logger = log.logger()
    logger[metadataKey: "tenant"] = "bound"
    withLogContext(fields: ["tenant": "context"]) { logger.info("x") }
    let raw = try #require(try log.lines().first)
    #expect(occurrences(of: "\"tenant\":", in: raw) == 1, "\(raw)")
    #expect(try JSONValue.parse(raw)["tenant"] == "bound")
  }

  @Test func loggerBoundKeyCollidingWithRequestIDIsWrittenOnce() throws {
    let log = try TestLog()
    var logger = log.logger()
    logger[metadataKey: "request_id"] = "bound"
    logger[metadataKey: "user_id"] = "bound-user"
    withLogContext(requestID: "context", userID: "context-user") { logger.info("x") }
    let raw = try #require(try log.lines().first)
    #expect(occurrences(of: "\"request_id\":", in: raw) == 1, "\(raw)")
    #expect(occurrences(of: "\"user_id\":", in: raw) == 1, "\(raw)")
    let v = try JSONValue.parse(raw)
    #expect(v["request_id"] == "bound")
    #expect(v["user_id"] == "bound-user")
  }

  // MARK: - Logger-bound metadata

  @Test func boundFieldsAppearOnEveryLineBeforeCallMetadata() throws {
    let log = try TestLog()
    var logger = log.logger()
    logger[metadataKey: "zz_bound"] = "z"
    logger[metadataKey: "a_bound"] = .stringConvertible(1)
    logger.info("one", metadata: ["aaa": "call", "zzz": "call"])
    logger.info("two")
    let v = try log.values()
    let base = ["timestamp", "level", "message", "logger", "service"]
    #expect(keys(v[0]) == base + ["a_bound", "zz_bound", "aaa", "zzz"])
    #expect(keys(v[1]) == base + ["a_bound", "zz_bound"])
    #expect(v[0]["a_bound"] == .int(1))
    #expect(v[1]["zz_bound"] == "z")
  }

  @Test func changingABoundValueUpdatesLaterLines() throws {
    let log = try TestLog()
    var logger = log.logger()
    logger[metadataKey: "phase"] = "start"
    logger.info("1")
    logger[metadataKey: "phase"] = "end"
    logger.info("2")
    logger[metadataKey: "phase"] = nil
    logger.info("3")
    logger[metadataKey: "extra"] = ["nested": .stringConvertible(true)]
    logger.info("4")
    let v = try log.values()
    #expect(v[0]["phase"] == "start")
    #expect(v[1]["phase"] == "end")
    #expect(v[2]["phase"] == nil)
    #expect(v[3]["extra"] == ["nested": true])
  }

  @Test func copiesOfALoggerKeepTheirOwnBoundFields() throws {
    let log = try TestLog()
    var parent = log.logger()
    parent[metadataKey: "component"] = "parent"
    var child = parent
    child[metadataKey: "component"] = "child"
    parent.info("p")
    child.info("c")
    let v = try log.values()
    #expect(v[0]["component"] == "parent")
    #expect(v[1]["component"] == "child")
  }

  @Test func logLevelFiltersAndIsPerLogger() throws {
    let log = try TestLog()
    var logger = log.logger()
    logger.logLevel = .warning
    logger.info("dropped")
    logger.debug("dropped")
    logger.warning("kept")
    logger.critical("kept too")
    #expect(try log.values().map { $0["message"] } == ["kept", "kept too"])
  }
}

/// A plain handler that records the metadata it would write (for provider tests).
struct CapturingHandler: LogHandler {
  var metadataProvider: Logger.MetadataProvider?
  let captured: ThreadSafeBox<[Logger.Metadata]>
  var metadata: Logger.Metadata = [:]
  var logLevel: Logger.Level = .trace

  init(metadataProvider: Logger.MetadataProvider?, captured: ThreadSafeBox<[Logger.Metadata]>) {
    self.metadataProvider = metadataProvider
    self.captured = captured
  }

  subscript(metadataKey key: String) -> Logger.Metadata.Value? {
    get { metadata[key] }
    set { metadata[key] = newValue }
  }

  func log(event: LogEvent) {
    var m = metadata
    if let provided = metadataProvider?.get() { m.merge(provided) { _, new in new } }
    if let call = event.metadata { m.merge(call) { _, new in new } }
    captured.mutate { $0.append(m) }
  }
}
