import AsyncAlgorithms
import Logging
import Synchronization

/// Runs one generation's sources, each with its own stop signal, and applies reload changes
/// to them while the others keep reading.
///
/// A source a reload removes or changes stops like a shutdown stops it (one last pass over
/// what was written, then its task returns). A changed source's successor starts only when
/// the sinks have acknowledged every chunk its predecessor read (at most `grace` later), so
/// it resumes from checkpoints that are up to date: nothing is read twice. An added source
/// starts from the saved checkpoints, as at start-up.
final class SourceSupervisor: Sendable {
  /// The sources to stop (by name) and then to start.
  struct Change: Sendable {
    var stop: [String]
    var start: [SourceConfig]
  }

  private struct Running: Sendable {
    let stop: StopSignal
    let done: StopSignal
  }

  private let changes: AsyncStream<Change>
  private let continuation: AsyncStream<Change>.Continuation
  private let running = Mutex<[String: Running]>([:])
  private let store: CheckpointStore
  private let ack: AckTracker
  private let metrics: AgentMetrics
  private let health: AgentHealth
  private let grace: Duration
  private let logger: Logger

  init(
    store: CheckpointStore, ack: AckTracker, metrics: AgentMetrics, health: AgentHealth, grace: Duration,
    logger: Logger
  ) {
    (changes, continuation) = AsyncStream.makeStream(of: Change.self)
    self.store = store
    self.ack = ack
    self.metrics = metrics
    self.health = health
    self.grace = grace
    self.logger = logger
  }

  /// Hands a change to the running supervisor (changes apply in the order offered).
  func offer(_ change: Change) { continuation.yield(change) }

  /// Runs `initial` and every source a change starts, until `stop` is set and all have
  /// returned.
  func run(initial: [SourceConfig], output: AsyncChannel<PipelineInput>, stop: StopSignal) async {
    await withTaskGroup(of: Void.self) { group in
      func start(_ config: SourceConfig) {
        let source = config.settings.makeSource(
          index: ack.sourceIndex(for: config.name), metrics: metrics, health: health, logger: logger)
        let own = Running(stop: StopSignal(), done: StopSignal())
        let resume = store.positions(source: config.name)
        running.withLock { $0[config.name] = own }
        // A start that raced with the generation's stop stops at once.
        if stop.isStopped { own.stop.stop() }
        group.addTask {
          await source.run(resume: resume, output: output, stop: own.stop)
          own.done.stop()
        }
      }
      for config in initial { start(config) }
      // The generation's stop stops every source and ends the changes.
      group.addTask {
        await stop.wait()
        self.continuation.finish()
        self.stopAll()
      }
      for await change in changes {
        guard !stop.isStopped else { break }
        let restarting = Set(change.start.map(\.name))
        for name in change.stop {
          guard let r = running.withLock({ $0.removeValue(forKey: name) }) else { continue }
          // Stopped on purpose: its loop finishing is not a dead loop.
          health.watchdog.forget(name: name, kind: HealthBoard.Kind.source.rawValue)
          r.stop.stop()
          await r.done.wait()
          health.board.remove(name: name, kind: .source)
          if restarting.contains(name) { await waitUntilAcknowledged(source: name, stop: stop) }
          logger.info("reload: source stopped", metadata: ["source": "\(name)"])
        }
        guard !stop.isStopped else { break }
        for config in change.start {
          start(config)
          logger.info("reload: source started", metadata: ["source": "\(config.name)"])
        }
      }
      stopAll()
    }
  }

  private func stopAll() {
    for r in running.withLock({ Array($0.values) }) { r.stop.stop() }
  }

  /// Waits until no chunk of `source` waits for a sink, at most the grace period (a sink
  /// that is down meanwhile: the successor then reads those chunks again, at least once).
  private func waitUntilAcknowledged(source: String, stop: StopSignal) async {
    let deadline = ContinuousClock.now + grace
    while ack.unacknowledged(source: source) > 0 && !stop.isStopped && ContinuousClock.now < deadline {
      await stop.sleep(for: .milliseconds(10))
    }
    let left = ack.unacknowledged(source: source)
    if left > 0 {
      logger.warning(
        "reload: a changed source restarts before its last chunks were delivered; they will be read again",
        metadata: ["source": "\(source)", "chunks": "\(left)"])
    }
  }
}
