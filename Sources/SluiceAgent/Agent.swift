import AsyncAlgorithms
import AsyncHTTPClient
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
/// A reload (``apply(_:)``, from ``ConfigReloader``) ends the running generation the way a
/// shutdown does — sources stop, the pipeline drains, sinks deliver or buffer what they hold
/// within `shutdown_grace`, checkpoints are saved — and starts the next one from those
/// checkpoints with the new configuration. Nothing is lost: what was not delivered is not
/// acknowledged, so the next generation reads it again (at least once).
public final class Agent: Service {
  public let config: AgentConfig
  public let metrics: AgentMetrics
  /// Readiness (sinks and sources report to its board) and liveness (loops beat its watchdog).
  public let health: AgentHealth
  let logger: Logger
  private let control = Mutex(Control())

  /// Between the reloader and the running generation.
  private struct Control {
    /// A configuration accepted while a generation runs, for the next one.
    var pending: AgentConfig?
    /// Ends the running generation (nil between generations).
    var stopGeneration: (@Sendable () -> Void)?
    /// Hands new steps to the running generation's processor (nil between generations).
    var swapSteps: StepSwap?
    /// The configuration the running generation runs (changed in place by a step swap).
    var running: AgentConfig?
    var shuttingDown = false
    /// Generations started, the first included.
    var generations = 0
  }

  public init(config: AgentConfig, metrics: AgentMetrics, health: AgentHealth = AgentHealth(), logger: Logger) {
    self.config = config
    self.metrics = metrics
    self.health = health
    self.logger = logger
  }

  /// Moves the agent to `config`: the running generation stops and the next one starts with
  /// it (see the type's documentation). Called by ``ConfigReloader`` with a checked configuration.
  public func apply(_ config: AgentConfig) {
    // Only `pipeline:` changed: build the new steps and swap them in between two chunks.
    let swapped = control.withLock { c -> Bool in
      guard c.pending == nil, let swap = c.swapSteps, let running = c.running,
        Self.differsOnlyInSteps(running, config)
      else { return false }
      do {
        swap.offer(try PipelineBuilder.build(config, metrics: metrics, logger: logger))
      } catch {
        logger.error(
          "cannot build the reloaded pipeline steps; the running steps stay", metadata: ["error": "\(error)"])
        return true
      }
      c.running = config
      return true
    }
    if swapped {
      logger.info("reload: pipeline steps swapped in place; sources and sinks keep running")
      return
    }
    let stop = control.withLock { c -> (@Sendable () -> Void)? in
      c.pending = config
      return c.stopGeneration
    }
    stop?()
  }

  /// Whether two configurations differ in their pipeline steps at most.
  static func differsOnlyInSteps(_ a: AgentConfig, _ b: AgentConfig) -> Bool {
    var a = a
    a.pipeline = b.pipeline
    return a == b
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
    let ack = AckTracker(sinkCount: config.sinks.count, sourceNames: config.sources.map(\.name), store: store)
    let stop = StopSignal()
    let deadline = ShutdownDeadline()
    // Built before anything starts: a key file gone since the configuration was checked stops here.
    let steps = TaskHandoff(try PipelineBuilder.build(config, metrics: metrics, logger: logger))

    let logger = self.logger
    let metrics = self.metrics
    let health = self.health
    let sinks = try config.sinks.enumerated().map { i, sink in
      try SinkSetup(
        index: i, config: sink, dataDir: dataDir, ackTracker: ack, metrics: metrics, board: health.board,
        logger: logger)
    }
    let input = AsyncChannel<PipelineInput>()
    let sources = config.sources.enumerated().map { i, s in
      s.settings.makeSource(index: i, metrics: metrics, health: health, logger: logger)
    }
    let tick = config.sinks.map(\.batch.maxAge.duration).min().map { max($0 / 4, .milliseconds(5)) } ?? .seconds(1)

    logger.info(
      "agent starting",
      metadata: [
        "version": "\(SluiceVersion.string)", "sources": "\(config.sources.count)", "sinks": "\(config.sinks.count)",
        "data_dir": "\(config.dataDir)",
      ])

    // A reload ends this generation as a shutdown would, within the same grace period.
    let stopForReload: @Sendable () -> Void = {
      logger.info("reload: stopping the running pipeline", metadata: ["grace": "\(config.shutdownGrace)"])
      deadline.begin(grace: config.shutdownGrace.duration)
      health.watchdog.beginStopping()
      stop.stop()
    }
    let swap = StepSwap()
    let reloadWaiting = control.withLock { c -> Bool in
      c.generations += 1
      c.stopGeneration = stopForReload
      c.swapSteps = swap
      c.running = config
      return c.pending != nil
    }
    if reloadWaiting { stopForReload() }
    defer {
      control.withLock {
        $0.stopGeneration = nil
        $0.swapSteps = nil
        $0.running = nil
      }
    }

    // When the grace period ends, waiting pushes and pops give up.
    let expiryWatcher = Task {
      await deadline.waitForExpiry()
      if !Task.isCancelled { for sink in sinks { sink.queue.close() } }
    }
    defer { expiryWatcher.cancel() }
    await withGracefulShutdownHandler {
      await withTaskGroup(of: Void.self) { group in
        // Each task builds the state it owns, so none of it is shared.
        for sink in sinks {
          group.addTask {
            let runner = SinkRunner(
              config: sink.config, transport: sink.transport, counters: metrics.sink(sink.config.name),
              deadLetters: DeadLetterWriter(dataDir: dataDir, sink: sink.config.name), shutdown: deadline,
              logger: logger, health: sink.health, makeEncoder: sink.makeEncoder)
            await runner.run(queue: sink.queue)
          }
        }
        group.addTask {
          let processor = Processor(
            config: config, steps: steps.take(), metrics: metrics, sinkQueues: sinks.map(\.queue), ackTracker: ack,
            heartbeat: health.watchdog.register(name: "pipeline", kind: "processor"), swap: swap)
          await processor.run(input: input)
        }
        group.addTask {
          // Checkpoints are written on an interval and once more at the end.
          while !stop.isStopped && !Task.isCancelled {
            await stop.sleep(for: config.checkpointInterval.duration)
            Self.save(store, sinks, logger)
          }
        }
        // Sources and the batch timer; when all have returned, the pipeline input ends.
        await withTaskGroup(of: Void.self) { producers in
          for (source, sourceConfig) in zip(sources, config.sources) {
            let resume = store.positions(source: sourceConfig.name)
            producers.addTask { await source.run(resume: resume, output: input, stop: stop) }
          }
          producers.addTask {
            while !stop.isStopped && !Task.isCancelled {
              await stop.sleep(for: tick)
              if !stop.isStopped && !Task.isCancelled { await input.send(.tick) }
            }
          }
        }
        input.finish()
        await group.waitForAll()
      }
    } onGracefulShutdown: {
      self.control.withLock { $0.shuttingDown = true }
      logger.info("shutdown requested; flushing", metadata: ["grace": "\(config.shutdownGrace)"])
      deadline.begin(grace: config.shutdownGrace.duration)
      health.watchdog.beginStopping()  // loops that now finish are not dead
      stop.stop()
    }
    Self.save(store, sinks, logger)
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
  static func save(_ store: CheckpointStore, _ sinks: [SinkSetup], _ logger: Logger) {
    for sink in sinks {
      do {
        try sink.queue.sync()
      } catch {
        logger.error(
          "cannot sync the disk buffer; checkpoints not saved",
          metadata: ["sink": "\(sink.config.name)", "error": "\(error)"])
        return
      }
    }
    do {
      try store.save()
    } catch {
      logger.error("cannot write checkpoints", metadata: ["error": "\(error)", "file": "\(store.url.path)"])
    }
  }
}
