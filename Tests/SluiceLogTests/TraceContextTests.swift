import Foundation
import Logging
import ServiceContextModule
import SluiceCore
import Testing

@testable import SluiceLog

/// Trace and span ids from the service context.
struct TraceContextTests {
  static let traceID = "0af7651916cd43dd8448eb211c80319c"
  static let spanID = "b7ad6b7169203331"

  @Test func customSourceWithAServiceContext() async throws {
    let log = try TestLog()
    let logger = log.logger { $0.traceContext = .custom { _ in (Self.traceID, Self.spanID) } }
    logger.info("no context")
    await ServiceContext.withValue(.topLevel) {
      logger.info("async")
      await withTaskGroup(of: Void.self) { group in group.addTask { logger.info("child") } }
    }
    ServiceContext.withValue(.topLevel) { logger.info("sync") }
    let v = try log.values()
    try #require(v.count == 4)
    #expect(v[0]["trace_id"] == nil && v[0]["span_id"] == nil)
    for line in v.dropFirst() {
      #expect(line["trace_id"] == .string(Self.traceID))
      #expect(line["span_id"] == .string(Self.spanID))
      #expect(keys(line) == ["timestamp", "level", "message", "logger", "service", "trace_id", "span_id"])
    }
  }

  @Test func customSourceReadsTheContextItIsGiven() throws {
    enum RequestKey: ServiceContextKey { typealias Value = String }
    let log = try TestLog()
    let logger = log.logger {
      $0.traceContext = .custom { context in
        guard let id = context[RequestKey.self] else { return nil }
        return (id + id, id)
      }
    }
    var context = ServiceContext.topLevel
    context[RequestKey.self] = "ab"
    ServiceContext.withValue(context) { logger.info("with key") }
    ServiceContext.withValue(.topLevel) { logger.info("without key") }
    let v = try log.values()
    #expect(v[0]["trace_id"] == "abab")
    #expect(v[0]["span_id"] == "ab")
    #expect(v[1]["trace_id"] == nil)
  }

  @Test func noneWritesNoIds() throws {
    let log = try TestLog()
    let logger = log.logger { $0.traceContext = .none }
    ServiceContext.withValue(.topLevel) { logger.info("x") }
    let v = try log.single()
    #expect(v["trace_id"] == nil && v["span_id"] == nil)
  }

  /// Without a bootstrapped instrument (the no-op one), `.instrumentation` finds nothing.
  @Test func instrumentationWithoutAnInstrumentWritesNoIds() throws {
    enum RequestKey: ServiceContextKey { typealias Value = String }
    let log = try TestLog()
    let logger = log.logger { $0.traceContext = .instrumentation }
    var context = ServiceContext.topLevel
    context[RequestKey.self] = "x"
    ServiceContext.withValue(context) { logger.info("x") }
    logger.info("y")
    for v in try log.values() { #expect(v["trace_id"] == nil) }
  }

  @Test func otelAndECSPlaceIdsByTheirSchema() throws {
    for schema in [LogSchema.otel, .ecs] {
      let log = try TestLog()
      let logger = log.logger {
        $0.schema = schema
        $0.traceContext = .custom { _ in (Self.traceID, Self.spanID) }
      }
      ServiceContext.withValue(.topLevel) { logger.info("x") }
      let v = try log.single()
      let (t, s) = schema == .otel ? ("trace_id", "span_id") : ("trace.id", "span.id")
      #expect(v[t] == .string(Self.traceID))
      #expect(v[s] == .string(Self.spanID))
    }
  }

  // MARK: - Header parsing

  @Test func parsesW3CTraceparent() throws {
    let ids = try #require(
      TraceContextSource.parse(["traceparent": "00-\(Self.traceID)-\(Self.spanID)-01", "tracestate": "k=v"]))
    #expect(ids.traceID == Self.traceID)
    #expect(ids.spanID == Self.spanID)
  }

  @Test func parsesB3Headers() throws {
    let ids = try #require(TraceContextSource.parse(["x-b3-traceid": Self.traceID, "x-b3-spanid": Self.spanID]))
    #expect(ids.traceID == Self.traceID)
    #expect(ids.spanID == Self.spanID)
    let dashed = try #require(TraceContextSource.parse(["uber-trace_id": "t", "some-span-id": "s"]))
    #expect(dashed.traceID == "t" && dashed.spanID == "s")
  }

  /// B3 may carry the parent span too; it must not be taken for the current span.
  @Test func b3ParentSpanIsNotTheSpan() throws {
    // Different capacities give different iteration orders.
    for capacity in 0..<32 {
      var headers = [String: String](minimumCapacity: capacity)
      headers["x-b3-parentspanid"] = "00f067aa0ba902b7"
      headers["x-b3-traceid"] = Self.traceID
      headers["x-b3-spanid"] = Self.spanID
      headers["x-b3-sampled"] = "1"
      let ids = try #require(TraceContextSource.parse(headers))
      #expect(ids.traceID == Self.traceID)
      #expect(ids.spanID == Self.spanID)
    }
  }

  @Test func rejectsIncompleteOrMalformedHeaders() {
    #expect(TraceContextSource.parse([:]) == nil)
    #expect(TraceContextSource.parse(["x-b3-traceid": Self.traceID]) == nil)
    #expect(TraceContextSource.parse(["x-b3-spanid": Self.spanID]) == nil)
    #expect(TraceContextSource.parse(["traceparent": "00-abc-def-01"]) == nil)
    #expect(TraceContextSource.parse(["traceparent": "garbage"]) == nil)
  }
}
