import CoreMetrics
import Logging
import Synchronization

/// Optional swift-metrics counters for what a service logs:
/// `sluice_log_messages_total{level}` and `sluice_log_errors_total{error_type}`.
///
/// `error_type` is the Swift type name of `LogEvent.error`; at most `errorTypeLimit` distinct
/// values become labels, the rest are counted under `other`, so labels stay bounded.
public final class LogMetrics: Sendable {
  private let byLevel: [Counter]
  private let errorTypes: Mutex<[String: Counter]>
  private let overflow: Counter
  private let noError: Counter
  private let factory: any MetricsFactory
  public let errorTypeLimit: Int
  let dropped: Counter

  /// - Parameter factory: defaults to the bootstrapped `MetricsSystem` factory.
  public init(errorTypeLimit: Int = 50, factory: (any MetricsFactory)? = nil) {
    let factory = factory ?? MetricsSystem.factory
    self.factory = factory
    self.errorTypeLimit = errorTypeLimit
    byLevel = Logger.Level.allCases.map {
      Counter(label: "sluice_log_messages_total", dimensions: [("level", $0.rawValue)], factory: factory)
    }
    errorTypes = Mutex([:])
    overflow = Counter(label: "sluice_log_errors_total", dimensions: [("error_type", "other")], factory: factory)
    noError = Counter(label: "sluice_log_errors_total", dimensions: [("error_type", "none")], factory: factory)
    dropped = Counter(label: "sluice_log_dropped_total", dimensions: [("reason", "queue_full")], factory: factory)
  }

  @inline(__always)
  func record(level: Logger.Level, error: (any Error)?) {
    byLevel[Self.index(level)].increment()
    guard level >= .error else { return }
    guard let error else {
      noError.increment()
      return
    }
    let name = String(reflecting: type(of: error))
    let counter = errorTypes.withLock { map -> Counter in
      if let c = map[name] { return c }
      if map.count >= errorTypeLimit { return overflow }
      let c = Counter(label: "sluice_log_errors_total", dimensions: [("error_type", name)], factory: factory)
      map[name] = c
      return c
    }
    counter.increment()
  }

  static func index(_ level: Logger.Level) -> Int {
    switch level {
    case .trace: 0
    case .debug: 1
    case .info: 2
    case .notice: 3
    case .warning: 4
    case .error: 5
    case .critical: 6
    }
  }
}
