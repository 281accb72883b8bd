import CoreMetrics
import Foundation
import Logging
import Testing

@testable import SluiceLog

/// A metrics factory that records counter increments by label and dimensions.
final class RecordingMetrics: MetricsFactory, @unchecked Sendable {
  private let lock = NSLock()
  private var counts: [String: Int64] = [:]
  private var created: Set<String> = []

  static func name(_ label: String, _ dimensions: [(String, String)]) -> String {
    let dims = dimensions.sorted { $0.0 < $1.0 }.map { "\($0.0)=\($0.1)" }.joined(separator: ",")
    return "\(label){\(dims)}"
  }

  /// The count of one counter (0 if never incremented).
  func count(_ label: String, _ dimensions: [(String, String)]) -> Int64 {
    lock.withLock { counts[Self.name(label, dimensions), default: 0] }
  }

  /// Every counter with a non-zero count, by name.
  var nonZero: [String: Int64] { lock.withLock { counts.filter { $0.value != 0 } } }

  /// Names of every counter created.
  var createdCounters: Set<String> { lock.withLock { created } }

  func add(_ name: String, _ amount: Int64) { lock.withLock { counts[name, default: 0] += amount } }

  final class CounterBox: CounterHandler, @unchecked Sendable {
    let name: String
    unowned let owner: RecordingMetrics
    init(_ name: String, _ owner: RecordingMetrics) {
      self.name = name
      self.owner = owner
    }
    func increment(by amount: Int64) { owner.add(name, amount) }
    func reset() {}
  }

  final class NoOp: RecorderHandler, TimerHandler, @unchecked Sendable {
    func record(_ value: Int64) {}
    func record(_ value: Double) {}
    func recordNanoseconds(_ duration: Int64) {}
  }

  func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
    let name = Self.name(label, dimensions)
    lock.withLock { _ = created.insert(name) }
    return CounterBox(name, self)
  }
  func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler { NoOp() }
  func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler { NoOp() }
  func destroyCounter(_ handler: any CounterHandler) {}
  func destroyRecorder(_ handler: any RecorderHandler) {}
  func destroyTimer(_ handler: any TimerHandler) {}
}

struct MetricsTests {
  struct AlphaError: Error {}
  struct BetaError: Error {}
  struct GammaError: Error {}
  enum DeltaError: Error { case one, two }

  static let messages = "sluice_log_messages_total"
  static let errors = "sluice_log_errors_total"

  @Test func countsByLevelAndErrorTypeWithALimit() throws {
    let factory = RecordingMetrics()
    let metrics = LogMetrics(errorTypeLimit: 2, factory: factory)
    let log = try TestLog()
    let logger = log.logger { $0.metrics = metrics }

    logger.trace("t")
    logger.debug("d")
    for _ in 0..<3 { logger.info("i") }
    logger.notice("n")
    logger.warning("w", error: AlphaError())  // below error: not an error count
    logger.error("e1", error: AlphaError())
    logger.error("e2", error: AlphaError())
    logger.error("e3", error: BetaError())
    logger.critical("c1", error: GammaError())  // third distinct type: over the limit
    logger.error("e4", error: DeltaError.one)  // fourth: over the limit
    logger.error("e5", error: BetaError())  // already named: still counted by name
    logger.error("no error")
    logger.critical("no error either")

    func level(_ l: String) -> Int64 { factory.count(Self.messages, [("level", l)]) }
    #expect(level("trace") == 1)
    #expect(level("debug") == 1)
    #expect(level("info") == 3)
    #expect(level("notice") == 1)
    #expect(level("warning") == 1)
    #expect(level("error") == 6)
    #expect(level("critical") == 2)

    func errors(_ type: String) -> Int64 { factory.count(Self.errors, [("error_type", type)]) }
    #expect(errors(String(reflecting: AlphaError.self)) == 2)
    #expect(errors(String(reflecting: BetaError.self)) == 2)
    #expect(errors(String(reflecting: GammaError.self)) == 0)
    #expect(errors("other") == 2)
    #expect(errors("none") == 2)
    // Nothing else was counted, and only two error types ever became labels.
    let errorCounters = factory.createdCounters.filter { $0.hasPrefix(Self.errors) }
    #expect(
      errorCounters == [
        RecordingMetrics.name(Self.errors, [("error_type", String(reflecting: AlphaError.self))]),
        RecordingMetrics.name(Self.errors, [("error_type", String(reflecting: BetaError.self))]),
        RecordingMetrics.name(Self.errors, [("error_type", "other")]),
        RecordingMetrics.name(Self.errors, [("error_type", "none")]),
      ])
    #expect(factory.nonZero.values.reduce(0, +) == 15 + 8)
    #expect(try log.lines().count == 15)
  }

  @Test func filteredLevelsAreNotCounted() throws {
    let factory = RecordingMetrics()
    let log = try TestLog()
    var logger = log.logger { $0.metrics = LogMetrics(factory: factory) }
    logger.logLevel = .error
    logger.info("filtered")
    logger.error("counted")
    #expect(factory.count(Self.messages, [("level", "info")]) == 0)
    #expect(factory.count(Self.messages, [("level", "error")]) == 1)
  }

  @Test func countsFromConcurrentTasks() async throws {
    let factory = RecordingMetrics()
    let metrics = LogMetrics(errorTypeLimit: 1, factory: factory)
    let log = try TestLog()
    let logger = log.logger { $0.metrics = metrics }
    await withTaskGroup(of: Void.self) { group in
      for t in 0..<4 {
        group.addTask {
          for _ in 0..<250 {
            logger.error("e", error: t % 2 == 0 ? AlphaError() as any Error : BetaError())
          }
        }
      }
    }
    #expect(factory.count(Self.messages, [("level", "error")]) == 1000)
    let alpha = factory.count(Self.errors, [("error_type", String(reflecting: AlphaError.self))])
    let beta = factory.count(Self.errors, [("error_type", String(reflecting: BetaError.self))])
    let other = factory.count(Self.errors, [("error_type", "other")])
    #expect(alpha + beta + other == 1000)
    #expect(other == 500)
    #expect(alpha == 500 || beta == 500)
  }
}

struct DropMetricTests {
  /// Lines an asynchronous output drops are counted in `sluice_log_dropped_total`.
  @Test func asyncDropsAreCountedInTheMetric() throws {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("drops-\(UUID().uuidString).log").path
    defer { try? FileManager.default.removeItem(atPath: path) }
    let output = try LogOutput.file(path, mode: .asynchronous(capacityBytes: 400))
    let metrics = RecordingMetrics()
    let logger = Logger(label: "drops") {
      SluiceLogHandler(
        label: $0, configuration: .init(output: output, metrics: LogMetrics(factory: metrics)), metadataProvider: nil)
    }
    for i in 0..<500 { logger.info("burst \(i) \(String(repeating: "x", count: 100))") }
    output.flush()
    let written = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").count
    #expect(output.droppedLines > 0)
    #expect(written + output.droppedLines == 500)
    #expect(metrics.count("sluice_log_dropped_total", [("reason", "queue_full")]) == Int64(output.droppedLines))
  }
}
