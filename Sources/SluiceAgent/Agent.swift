import AsyncAlgorithms
import AsyncHTTPClient
import CoreMetrics
import Foundation
import Logging
import ServiceLifecycle
import SluiceCore
import Synchronization

/// The node agent: sources → pipeline → sinks, with acknowledgement back to checkpoints.
///
/// Tasks (see docs/architecture.md): one per source, one batch-timer task, one pipeline
/// task, one sender per sink, one checkpoint writer. Sources and the timer send into one
/// unbuffered channel the pipeline reads; the pipeline sends sealed batches into one
/// unbuffered channel per sink. Each send waits for its reader, so a slow sink holds the
/// pipeline, which holds the sources: memory stays bounded by batch sizes.
///
/// A reload (``apply(_:)``, from ``ConfigReloader``) changes the running generation in place
/// when it changes only `sources`, `pipeline` and `sinks` (``ConfigDiff``): a changed or
/// removed source stops and a changed or added one starts (``SourceSupervisor``), new steps
/// take over between two chunks, and a changed or removed sink delivers what it holds
/// before a changed or added one takes over (``LiveSinks``); unchanged components keep
/// running. Any other change ends the running generation the way a shutdown does — sources
/// stop, the pipeline drains, sinks deliver or buffer what they hold within
/// `shutdown_grace`, checkpoints are saved — and starts the next one from those
/// checkpoints. Nothing is lost either way: what was not delivered is not acknowledged, and
/// is read again (at least once).
public final class Agent: Service {
  public let config: AgentConfig
  public let metrics: AgentMetrics
  /// Readiness (sinks and sources report to its board) and liveness (loops beat its watchdog).
  public let health: AgentHealth
  let logger: Logger
  private let onStarted: @Sendable () -> Void
  private let control = Mutex(Control())

  /// Between the reloader and the running generation.
  private struct Control {
    /// A configuration accepted while a generation runs, for the next one.
    var pending: AgentConfig?
    /// Ends the running generation (nil between generations).
    var stopGeneration: (@Sendable () -> Void)?
    /// Where the running generation takes changes in place (nil between generations).
    var live: LiveGeneration?
    /// The configuration the running generation runs (changed by changes in place).
    var running: AgentConfig?
    var shuttingDown = false
    /// Generations started, the first included.
    var generations = 0
  }

  /// What a change in place reaches in the running generation.
  private struct LiveGeneration {
    let ack: AckTracker
    let changes: PipelineChanges
    let sources: SourceSupervisor
  }

  /// - Parameter onStarted: called once, when the first generation has built its pipeline
  ///   and launched its sinks, just before its sources start reading: start-up is over.
  public init(
    config: AgentConfig, metrics: AgentMetrics, health: AgentHealth = AgentHealth(), logger: Logger,
    onStarted: @escaping @Sendable () -> Void = {}
  ) {
    self.config = config
    self.metrics = metrics
    self.health = health
    self.logger = logger
    self.onStarted = onStarted
  }

  /// Moves the agent to `config` (a checked configuration, from ``ConfigReloader``): in place
  /// if only components changed, else by a new generation (see the type's documentation).
  public func apply(_ config: AgentConfig) {
    let inPlace = control.withLock { c -> String? in
      guard c.pending == nil, let live = c.live, let running = c.running else { return nil }
      let diff = ConfigDiff(from: running, to: config)
      guard !diff.needsRestart else { return nil }
      guard !diff.isEmpty else { return "nothing changed" }
      // New sources get their slots first, so the new steps know them.
      for source in diff.startedSources { _ = live.ack.sourceIndex(for: source.name) }
      let names = live.ack.sourceNames
      let steps: [any EventTransform]
      do {
        steps = try PipelineBuilder.build(config, sourceNames: names, metrics: metrics, logger: logger)
      } catch {
        logger.error("cannot build the reloaded pipeline steps; the running ones stay", metadata: ["error": "\(error)"])
        return "nothing changed"
      }
      // The processor takes its part before the next chunk, so it knows the new sources'
      // slots before their first chunk arrives.
      live.changes.offer(
        PipelineChange(
          steps: steps, sourceNames: names, retireSinks: diff.retiredSinks, launchSinks: diff.launchedSinks))
      if !diff.stoppedSources.isEmpty || !diff.startedSources.isEmpty {
        live.sources.offer(.init(stop: diff.stoppedSources, start: diff.startedSources))
      }
      c.running = config
      return diff.summary
    }
    if let inPlace {
      logger.info("reload: applied in place; unchanged components keep running", metadata: ["changes": "\(inPlace)"])
      return
    }
    let stop = control.withLock { c -> (@Sendable () -> Void)? in
      c.pending = config
      return c.stopGeneration
    }
    stop?()
  }

  /// Ends the running generation and starts the next with the configuration it runs now (a
  /// change in place could not complete: a replaced sink left events undelivered, or a new
  /// one cannot start). The next generation reads again from the saved checkpoints.
  private func restartGeneration(reason: String) {
    logger.warning("reload: restarting the pipeline from its checkpoints", metadata: ["reason": "\(reason)"])
    let stop = control.withLock { c -> (@Sendable () -> Void)? in
      if c.pending == nil { c.pending = c.running }
      return c.stopGeneration
    }
    stop?()
  }

  /// How many generations have started (1 until the first reload).
  public var generations: Int { control.withLock { $0.generations } }

  public func run() async throws {
    Self.raiseOpenFileLimit(logger)
    var config = self.config
    // The configuration before the last reload, to go back to if the reloaded one cannot
    // start (a key or certificate file gone since it was checked).
    var previous: AgentConfig?
    while true {
      do {
        try await runGeneration(config)
      } catch {
        guard let last = previous else { throw error }
        logger.error(
          "the reloaded configuration cannot start; going back to the one before", metadata: ["error": "\(error)"])
        health.watchdog.beginGeneration()
        health.board.removeAll()
        config = last
        previous = nil
        continue
      }
      let next = control.withLock { c -> AgentConfig? in
        defer { c.pending = nil }
        return c.shuttingDown ? nil : c.pending
      }
      guard let next else { break }
      logger.info("moving to the reloaded configuration", metadata: ["generation": "\(generations + 1)"])
      health.watchdog.beginGeneration()
      health.board.removeAll()
      previous = config
      config = next
    }
    logger.info("agent stopped")
  }

  /// One generation: the pipeline of one configuration, from the saved checkpoints until a
  /// shutdown or a reload stops it.
  private func runGeneration(_ config: AgentConfig) async throws {
    let dataDir = URL(fileURLWithPath: config.dataDir)
    try FileManager.default.createDirectory(at: dataDir, withIntermediateDirectories: true)
    let store = try CheckpointStore(directory: dataDir)
    let ack = AckTracker(sinkCount: 0, sourceNames: config.sources.map(\.name), store: store)
    let stop = StopSignal()
    // Built before anything starts: a key file gone since the configuration was checked stops here.
    let steps = TaskHandoff(try PipelineBuilder.build(config, metrics: metrics, logger: logger))

    let logger = self.logger
    let metrics = self.metrics
    let health = self.health
    let grace = config.shutdownGrace.duration
    let checkpointFailures = metrics.checkpointWriteErrors()
    let sinks = LiveSinks(dataDir: dataDir, ack: ack, metrics: metrics, board: health.board, logger: logger)
    let queues: [any SinkQueue]
    do {
      queues = try config.sinks.map { try sinks.launch($0) }
    } catch {
      for queue in sinks.queues { queue.finish() }
      await sinks.waitForAll()
      throw error
    }
    let input = AsyncChannel<PipelineInput>()
    let sources = SourceSupervisor(
      store: store, ack: ack, metrics: metrics, health: health, grace: grace, logger: logger)
    let changes = PipelineChanges()
    let tick = config.sinks.map(\.batch.maxAge.duration).min().map { max($0 / 4, .milliseconds(5)) } ?? .seconds(1)

    logger.info(
      "agent starting",
      metadata: [
        "version": "\(SluiceVersion.string)", "sources": "\(config.sources.count)", "sinks": "\(config.sinks.count)",
        "data_dir": "\(config.dataDir)",
      ])

    // A reload that cannot apply in place ends this generation as a shutdown would, within
    // the same grace period.
    let stopForReload: @Sendable () -> Void = {
      logger.info("reload: stopping the running pipeline", metadata: ["grace": "\(config.shutdownGrace)"])
      sinks.beginShutdown(grace: grace)
      health.watchdog.beginStopping()
      stop.stop()
    }
    let reloadWaiting = control.withLock { c -> Bool in
      c.generations += 1
      c.stopGeneration = stopForReload
      c.live = LiveGeneration(ack: ack, changes: changes, sources: sources)
      c.running = config
      return c.pending != nil
    }
    if reloadWaiting { stopForReload() }
    if generations == 1 { onStarted() }
    defer {
      control.withLock {
        $0.stopGeneration = nil
        $0.live = nil
        $0.running = nil
      }
    }

    let reloads = Processor.Reloads(
      changes: changes, sinks: sinks, grace: grace, restart: { [weak self] in self?.restartGeneration(reason: $0) })
    await withGracefulShutdownHandler {
      await withTaskGroup(of: Void.self) { group in
        group.addTask {
          let processor = Processor(
            config: config, steps: steps.take(), metrics: metrics, sinkQueues: queues, ackTracker: ack,
            heartbeat: health.watchdog.register(name: "pipeline", kind: "processor"), reloads: reloads)
          await processor.run(input: input)
        }
        group.addTask {
          // Checkpoints are written on an interval and once more at the end.
          while !stop.isStopped && !Task.isCancelled {
            await stop.sleep(for: config.checkpointInterval.duration)
            Self.save(store, sinks, logger, failures: checkpointFailures)
          }
        }
        // Sources and the batch timer; when all have returned, the pipeline input ends.
        await withTaskGroup(of: Void.self) { producers in
          producers.addTask { await sources.run(initial: config.sources, output: input, stop: stop) }
          producers.addTask {
            while !stop.isStopped && !Task.isCancelled {
              await stop.sleep(for: tick)
              if !stop.isStopped && !Task.isCancelled { await input.send(.tick) }
            }
          }
        }
        input.finish()
        await group.waitForAll()
        await sinks.waitForAll()
      }
    } onGracefulShutdown: {
      self.control.withLock { $0.shuttingDown = true }
      logger.info("shutdown requested; flushing", metadata: ["grace": "\(config.shutdownGrace)"])
      sinks.beginShutdown(grace: grace)
      health.watchdog.beginStopping()  // loops that now finish are not dead
      stop.stop()
    }
    Self.save(store, sinks, logger, failures: checkpointFailures)
    let left = ack.unacknowledged
    if left > 0 {
      logger.warning(
        "stopped with unacknowledged events; they will be read again on restart",
        metadata: ["chunks": "\(left)"])
    }
  }

  /// Tailing many files needs many descriptors: raise the soft limit to the hard one.
  static func raiseOpenFileLimit(_ logger: Logger) {
    var limit = rlimit()
    guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
    let old = limit.rlim_cur
    limit.rlim_cur = limit.rlim_max
    if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 {
      logger.debug("raised the open file limit", metadata: ["from": "\(old)", "to": "\(limit.rlim_cur)"])
    }
  }

  /// Saves checkpoints, after making buffered batches durable (a checkpoint must never
  /// point past events that are neither delivered nor on disk).
  /// A failure (of either) is counted in `failures` and logged; the next save tries again.
  static func save(_ store: CheckpointStore, _ sinks: LiveSinks, _ logger: Logger, failures: CoreMetrics.Counter) {
    do {
      try sinks.syncAll()
    } catch let error as LiveSinks.SyncError {
      failures.increment()
      logger.error(
        "cannot sync the disk buffer; checkpoints not saved",
        metadata: ["sink": "\(error.sink)", "error": "\(error.underlying)"])
      return
    } catch {
      failures.increment()
      return
    }
    do {
      try store.save()
    } catch {
      failures.increment()
      logger.error("cannot write checkpoints", metadata: ["error": "\(error)", "file": "\(store.url.path)"])
    }
  }
}
