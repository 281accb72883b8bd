import Foundation
import Logging
import Synchronization

/// The running sinks of one generation: for each, its queue, its sender task, its slot in the
/// ``AckTracker`` and its own grace deadline.
///
/// A sink starts with ``launch(_:)`` (at the start of a generation, or when a reload adds or
/// changes it) and leaves with ``retire(name:grace:)``, which lets it deliver what it was
/// given within the grace period and tells whether it did. Each sink has its own deadline,
/// so retiring one sink never cuts another's retries short; a shutdown begins them all.
final class LiveSinks: Sendable {
  struct Running: Sendable {
    let setup: SinkSetup
    let slot: Int
    let deadline: ShutdownDeadline
    let task: Task<Void, Never>
  }

  private let running = Mutex<[Running]>([])
  private let dataDir: URL
  private let ack: AckTracker
  private let metrics: AgentMetrics
  private let board: HealthBoard
  private let logger: Logger

  init(dataDir: URL, ack: AckTracker, metrics: AgentMetrics, board: HealthBoard, logger: Logger) {
    self.dataDir = dataDir
    self.ack = ack
    self.metrics = metrics
    self.board = board
    self.logger = logger
  }

  /// Opens a sink (its transport and buffer) in a new acknowledgement slot and starts its
  /// senders. Returns its queue, for the processor.
  func launch(_ config: SinkConfig) throws -> any SinkQueue {
    let slot = ack.addSink()
    let setup: SinkSetup
    do {
      setup = try SinkSetup(
        index: slot, config: config, dataDir: dataDir, ackTracker: ack, metrics: metrics, board: board, logger: logger)
    } catch {
      ack.retireSink(slot)
      throw error
    }
    let deadline = ShutdownDeadline()
    let runner = SinkRunner(
      config: config, transport: setup.transport, counters: metrics.sink(config.name),
      deadLetters: DeadLetterWriter(dataDir: dataDir, sink: config.name), shutdown: deadline, logger: logger,
      health: setup.health, makeEncoder: setup.makeEncoder)
    let task = Task {
      await withTaskGroup(of: Void.self) { group in
        group.addTask { await runner.run(queue: setup.queue) }
        // When the grace period ends, waiting pushes and pops give up.
        group.addTask {
          await deadline.waitForExpiry()
          if !Task.isCancelled { setup.queue.close() }
        }
        await group.next()
        group.cancelAll()
      }
    }
    running.withLock { $0.append(Running(setup: setup, slot: slot, deadline: deadline, task: task)) }
    return setup.queue
  }

  /// Stops sink `name` once it has sent what it holds (waiting at most `grace`), and frees
  /// its acknowledgement slot if it delivered, buffered on disk or dead-lettered everything it
  /// was given. Returns false if it could not: its slot then keeps holding checkpoints back,
  /// so those events are read again by the next generation.
  func retire(name: String, grace: Duration) async -> Bool {
    guard
      let r = running.withLock({ list -> Running? in
        guard let k = list.firstIndex(where: { $0.setup.config.name == name }) else { return nil }
        return list.remove(at: k)
      })
    else { return true }
    let given = ack.lastSequence
    r.setup.queue.finish()
    r.deadline.begin(grace: grace)
    await r.task.value
    board.remove(name: name, kind: .sink)
    guard ack.watermark(sink: r.slot) >= given else {
      logger.warning(
        "reload: a replaced sink could not deliver everything within the grace period", metadata: ["sink": "\(name)"])
      return false
    }
    ack.retireSink(r.slot)
    return true
  }

  /// The grace period of every running sink begins (a shutdown or a full reload).
  func beginShutdown(grace: Duration) {
    for r in running.withLock({ $0 }) { r.deadline.begin(grace: grace) }
  }

  /// Makes what each sink's queue holds durable (before checkpoints are saved).
  func syncAll() throws {
    for r in running.withLock({ $0 }) {
      do {
        try r.setup.queue.sync()
      } catch {
        throw SyncError(sink: r.setup.config.name, underlying: error)
      }
    }
  }

  struct SyncError: Error {
    let sink: String
    let underlying: any Error
  }

  /// Every running sink's queue.
  var queues: [any SinkQueue] { running.withLock { $0.map(\.setup.queue) } }

  /// Returns when every running sink's senders have finished.
  func waitForAll() async {
    for r in running.withLock({ $0 }) { await r.task.value }
  }
}
