import CoreMetrics
import Foundation
import Logging
import Synchronization

/// Reloads the configuration on request (SIGHUP, `POST /-/reload`): reads and checks the new
/// configuration first, and only a valid one reaches the agent, which then moves to it (see
/// ``Agent``). An invalid one is logged problem by problem and counted; the running
/// configuration keeps running.
///
/// Metrics, as Prometheus has them: `sluice_config_reloads_total{outcome}` (`applied`,
/// `unchanged`, `rejected`), `sluice_config_last_reload_successful` (1 or 0) and
/// `sluice_config_last_reload_success_timestamp_seconds` (set at start too).
public final class ConfigReloader: Sendable {
  /// What a reload request came to.
  public enum Outcome: Sendable, Equatable {
    /// The new configuration is valid and differs: the agent moves to it.
    case applied
    /// The new configuration is valid and the same as the running one.
    case unchanged
    /// The new configuration has problems; the running one stays.
    case rejected([ConfigError])

    public var label: String {
      switch self {
      case .applied: "applied"
      case .unchanged: "unchanged"
      case .rejected: "rejected"
      }
    }
  }

  private let load: @Sendable () -> ConfigReadResult
  private let current: Mutex<AgentConfig>
  /// Where an accepted configuration goes (``Agent/apply(_:)``).
  private let apply = Mutex<(@Sendable (AgentConfig) -> Void)?>(nil)
  private let metrics: AgentMetrics
  private let logger: Logger
  private let lock = Mutex(())

  /// - Parameter load: reads the configuration again from where it came from (files, directory).
  public init(
    running config: AgentConfig, metrics: AgentMetrics, logger: Logger,
    load: @escaping @Sendable () -> ConfigReadResult
  ) {
    self.load = load
    self.current = Mutex(config)
    self.metrics = metrics
    self.logger = logger
    metrics.gauge("sluice_config_last_reload_successful").record(1)
    metrics.gauge("sluice_config_last_reload_success_timestamp_seconds").record(Date().timeIntervalSince1970)
    for outcome in ["applied", "unchanged", "rejected"] {
      metrics.counter("sluice_config_reloads_total", [("outcome", outcome)]).increment(by: 0)
    }
  }

  /// Reads and checks the configuration again and hands it to the agent if it is valid and
  /// differs from the running one. `trigger` (`signal`, `http`) is logged.
  @discardableResult
  public func reload(trigger: String) -> Outcome {
    lock.withLock { _ in
      let result = load()
      let outcome: Outcome
      if let config = result.config {
        if let reason = Self.unreloadable(from: current.withLock { $0 }, to: config) {
          outcome = .rejected([ConfigError(path: reason.path, message: reason.message)])
        } else if current.withLock({ $0 }) == config {
          outcome = .unchanged
        } else {
          current.withLock { $0 = config }
          apply.withLock { $0 }?(config)
          outcome = .applied
        }
      } else {
        outcome = .rejected(result.errors)
      }
      metrics.counter("sluice_config_reloads_total", [("outcome", outcome.label)]).increment()
      switch outcome {
      case .applied, .unchanged:
        metrics.gauge("sluice_config_last_reload_successful").record(1)
        metrics.gauge("sluice_config_last_reload_success_timestamp_seconds").record(Date().timeIntervalSince1970)
        logger.info("configuration reloaded", metadata: ["trigger": "\(trigger)", "outcome": "\(outcome.label)"])
      case .rejected(let errors):
        metrics.gauge("sluice_config_last_reload_successful").record(0)
        for e in errors { logger.error("configuration reload rejected", metadata: ["problem": "\(e)"]) }
        logger.error(
          "configuration reload rejected; the running configuration stays",
          metadata: ["trigger": "\(trigger)", "problems": "\(errors.count)"])
      }
      return outcome
    }
  }

  /// Why the agent cannot move from `old` to `new` without a restart, if it cannot: the
  /// data directory holds the checkpoints being carried over, and the admin endpoint is
  /// already listening.
  static func unreloadable(from old: AgentConfig, to new: AgentConfig) -> ConfigError? {
    if old.dataDir != new.dataDir {
      return ConfigError(
        path: "data_dir", message: "cannot change on reload (the checkpoints live there); restart the agent")
    }
    if old.admin != new.admin {
      return ConfigError(
        path: "admin", message: "cannot change on reload (the endpoint is listening); restart the agent")
    }
    return nil
  }

  /// Sets where accepted configurations go (the agent's ``Agent/apply(_:)``).
  public func onApply(_ handler: @escaping @Sendable (AgentConfig) -> Void) { apply.withLock { $0 = handler } }
}
