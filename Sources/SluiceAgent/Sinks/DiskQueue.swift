import Logging
import Synchronization

/// A sink's queue kept in a ``DiskBuffer``: batches survive restarts and long outages.
///
/// A batch's chunks are acknowledged to the sources as soon as it is appended (the buffer
/// owns the events from then on; ``sync()`` runs before checkpoints are saved, so a saved
/// checkpoint never points past events that are not on disk). Delivered batches are
/// acknowledged in the buffer; what is left there is sent after a restart.
final class DiskQueue: SinkQueue {
  private let buffer: DiskBuffer
  /// Called with the highest chunk this sink is now done with.
  private let acknowledge: @Sendable (UInt64) -> Void
  private let counters: AgentMetrics.BufferCounters
  private let logger: Logger
  /// Told how full the buffer is, for readiness.
  private let health: SinkHealth?
  private let records = Mutex<(next: UInt64, byTicket: [UInt64: DiskBuffer.RecordID])>((1, [:]))

  init(
    buffer: DiskBuffer, acknowledge: @escaping @Sendable (UInt64) -> Void, counters: AgentMetrics.BufferCounters,
    health: SinkHealth? = nil, logger: Logger
  ) {
    self.logger = logger
    self.health = health
    self.buffer = buffer
    self.acknowledge = acknowledge
    self.counters = counters
    let r = buffer.recovery
    counters.recoveredTornTails.increment(by: r.tornTails)
    counters.recoveredCorruptRecords.increment(by: r.corruptRecords)
    counters.recoveredBytesDiscarded.increment(by: r.bytesDiscarded)
    report()
  }

  func push(_ batch: Batch) async -> PushResult {
    var result = PushResult.queued(droppedOldest: 0)
    if batch.eventCount > 0 {
      var failures = 0
      while true {
        do {
          switch try await buffer.append(payload: batch.payload, eventCount: batch.eventCount) {
          case .stored(_, let dropped):
            if dropped > 0 { counters.droppedOldest.increment(by: dropped) }
            result = .queued(droppedOldest: dropped)
          case .droppedNewest:
            counters.droppedNewest.increment(by: batch.eventCount)
            result = .droppedNewest
          case .closed:
            return .closed
          }
          break
        } catch {
          // A full or failing disk: hold the pipeline (nothing is acknowledged) and try again.
          if failures % 60 == 0 {
            logger.error(
              "cannot append to the disk buffer; the pipeline waits", metadata: ["error": "\(error)"])
          }
          failures += 1
          try? await Task.sleep(for: .seconds(1))
          if Task.isCancelled { return .closed }
        }
      }
    }
    if let through = batch.throughChunk { acknowledge(through) }
    report()
    return result
  }

  func pop() async -> QueuedBatch? {
    guard let record = await buffer.next() else { return nil }
    let ticket = records.withLock { r -> UInt64 in
      defer { r.next += 1 }
      r.byTicket[r.next] = record.id
      return r.next
    }
    return QueuedBatch(payload: record.payload, eventCount: record.eventCount, ticket: ticket)
  }

  func complete(_ ticket: UInt64) {
    if let id = records.withLock({ $0.byTicket.removeValue(forKey: ticket) }) { buffer.acknowledge(id) }
    report()
  }

  func giveBack(_ ticket: UInt64) {
    if let id = records.withLock({ $0.byTicket.removeValue(forKey: ticket) }) { buffer.release(id) }
  }

  func finish() { buffer.close(drain: true) }
  func close() { buffer.close(drain: false) }
  func sync() throws { try buffer.sync() }

  private func report() {
    let (events, bytes) = (buffer.pendingEvents, buffer.bytesUsed)
    counters.record(events: events, bytes: bytes)
    health?.bufferFill(events: events, bytes: bytes)
  }
}
