// SluiceLog's cost per call, each case measured with SluiceLogHandler and with swift-log's
// StreamLogHandler in the same run. Synchronous SluiceLog and StreamLogHandler write every
// line with a write(2) (SluiceLog to /dev/null, StreamLogHandler to standard error: run with
// 2>/dev/null, as scripts/bench does); asynchronous SluiceLog queues the line and a
// background thread writes batches. "call-site floor" is swift-log's own cost with a handler
// that does nothing. Each case makes its logger before `startMeasurement()`: what is timed
// is the calls, not the handler's construction.
import Benchmark
import Logging
import SluiceLog

#if canImport(Glibc)
  import Glibc
#endif

let devNull = try! LogOutput.file("/dev/null")

func sluiceLogger(_ label: String = "bench") -> Logger {
  var logger = Logger(label: label) {
    SluiceLogHandler(label: $0, configuration: .init(service: "bench", output: devNull), metadataProvider: nil)
  }
  logger.logLevel = .info
  return logger
}

/// Asynchronous mode: the caller encodes and queues; a background thread writes.
let devNullAsync = try! LogOutput.file("/dev/null", mode: .asynchronous(capacityBytes: 64 << 20))

func sluiceAsyncLogger(_ label: String = "bench") -> Logger {
  var logger = Logger(label: label) {
    SluiceLogHandler(label: $0, configuration: .init(service: "bench", output: devNullAsync), metadataProvider: nil)
  }
  logger.logLevel = .info
  return logger
}

/// The floor: a handler that accepts every event and does nothing with it. What remains is
/// swift-log's own call-site work (building the message, the metadata dictionary, the event).
struct DiscardingHandler: LogHandler {
  var logLevel: Logger.Level = .info
  var metadata: Logger.Metadata = [:]
  subscript(metadataKey key: String) -> Logger.Metadata.Value? {
    get { metadata[key] }
    set { metadata[key] = newValue }
  }
  func log(event: LogEvent) { blackHole(event) }
}

func floorLogger(_ label: String = "bench") -> Logger {
  Logger(label: label) { _ in DiscardingHandler() }
}

func streamLogger(_ label: String = "bench", provider: Logger.MetadataProvider? = nil) -> Logger {
  var logger = Logger(label: label) { StreamLogHandler.standardError(label: $0, metadataProvider: provider) }
  logger.logLevel = .info
  return logger
}

struct Order: CustomStringConvertible, Sendable {
  var id: Int
  var description: String { "order-\(id)" }
}

func logTenFields(_ logger: Logger, _ i: Int) {
  logger.info(
    "request completed",
    metadata: [
      "method": "GET", "path": "/api/cart", "status": .stringConvertible(200), "duration_ms": .stringConvertible(12.5),
      "bytes": .stringConvertible(5120), "cache_hit": .stringConvertible(true), "user_agent": "curl/8.0",
      "region": "eu-west-1", "attempt": .stringConvertible(i & 3), "order": .stringConvertible(Order(id: 42)),
    ])
}

/// The same ten fields as typed fields (``LogFields``): no metadata dictionary.
func logTenTypedFields(_ logger: Logger, _ i: Int) {
  logger.info("request completed") { f in
    f.string("method", "GET")
    f.string("path", "/api/cart")
    f.int("status", 200)
    f.double("duration_ms", 12.5)
    f.int("bytes", 5120)
    f.bool("cache_hit", true)
    f.string("user_agent", "curl/8.0")
    f.string("region", "eu-west-1")
    f.int("attempt", i & 3)
    f.describing("order", Order(id: 42))
  }
}

func bindTen(_ logger: inout Logger) {
  logger[metadataKey: "service_version"] = "1.4.2"
  logger[metadataKey: "region"] = "eu-west-1"
  logger[metadataKey: "zone"] = "b"
  logger[metadataKey: "pod"] = "checkout-7d9f"
  logger[metadataKey: "node"] = "node-12"
  logger[metadataKey: "shard"] = .stringConvertible(3)
  logger[metadataKey: "canary"] = .stringConvertible(false)
  logger[metadataKey: "build"] = "a1b2c3d"
  logger[metadataKey: "tenant"] = "acme"
  logger[metadataKey: "weight"] = .stringConvertible(0.75)
}

let benchmarks: @Sendable () -> Void = {
  Benchmark.defaultConfiguration = .init(
    metrics: [.wallClock, .mallocCountTotal, .throughput],
    timeUnits: .nanoseconds,
    warmupIterations: 1_000,
    scalingFactor: .kilo,
    maxDuration: .seconds(3),
    maxIterations: 1_000)

  let variants: [(String, () -> Logger)] = [
    ("SluiceLog", { sluiceLogger() }), ("SluiceLog async", { sluiceAsyncLogger() }),
    ("StreamLogHandler", { streamLogger() }), ("call-site floor", { floorLogger() }),
  ]
  for (name, make) in variants {
    Benchmark("static message / \(name)") { benchmark in
      let logger = make()
      benchmark.startMeasurement()
      for _ in benchmark.scaledIterations { logger.info("request completed") }
    }
    Benchmark("message + 10 fields / \(name)") { benchmark in
      let logger = make()
      benchmark.startMeasurement()
      for i in benchmark.scaledIterations { logTenFields(logger, i) }
    }
    Benchmark("10 bound fields + message / \(name)") { benchmark in
      var logger = make()
      bindTen(&logger)
      benchmark.startMeasurement()
      for _ in benchmark.scaledIterations { logger.info("request completed") }
    }
    Benchmark("disabled level / \(name)") { benchmark in
      let logger = make()
      benchmark.startMeasurement()
      for _ in benchmark.scaledIterations { logger.debug("not written") }
    }
  }

  // Typed fields go straight to SluiceLogHandler; there is no swift-log floor to subtract
  // (no metadata dictionary is built), so these are totals.
  Benchmark("message + 10 typed fields / SluiceLog") { benchmark in
    let logger = sluiceLogger()
    benchmark.startMeasurement()
    for i in benchmark.scaledIterations { logTenTypedFields(logger, i) }
  }
  Benchmark("message + 10 typed fields / SluiceLog async") { benchmark in
    let logger = sluiceAsyncLogger()
    benchmark.startMeasurement()
    for i in benchmark.scaledIterations { logTenTypedFields(logger, i) }
  }

  Benchmark("context request id + message / SluiceLog") { benchmark in
    let logger = sluiceLogger()
    withLogContext(requestID: "4bf92f3577b34da6a3ce929d0e0e4736") {
      benchmark.startMeasurement()
      for _ in benchmark.scaledIterations { logger.info("request completed") }
    }
  }
  Benchmark("context request id + message / SluiceLog async") { benchmark in
    let logger = sluiceAsyncLogger()
    withLogContext(requestID: "4bf92f3577b34da6a3ce929d0e0e4736") {
      benchmark.startMeasurement()
      for _ in benchmark.scaledIterations { logger.info("request completed") }
    }
  }
  Benchmark("context request id + message / StreamLogHandler") { benchmark in
    let logger = streamLogger(provider: LogContext.metadataProvider)
    withLogContext(requestID: "4bf92f3577b34da6a3ce929d0e0e4736") {
      benchmark.startMeasurement()
      for _ in benchmark.scaledIterations { logger.info("request completed") }
    }
  }
}
