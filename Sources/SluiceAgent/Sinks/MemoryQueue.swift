import CoreMetrics
import DequeModule
import Synchronization

/// A sink's in-memory queue, bounded in events and bytes.
///
/// Acknowledgements follow push order whatever order senders complete in: a batch's chunks
/// are acknowledged only when it and every batch pushed before it are completed. An empty
/// batch (one that only carries an acknowledgement) is completed on push, in that order.
final class MemoryQueue: SinkQueue {
  struct Limits {
    var maxEvents: Int
    var maxBytes: Int
    var policy: BufferConfig.Policy
  }

  private struct Entry {
    var ticket: UInt64
    var throughChunk: UInt64?
    var done: Bool
  }

  private struct State {
    var waiting: Deque<(ticket: UInt64, batch: Batch)> = []
    var waitingEvents = 0
    var waitingBytes = 0
    /// Every batch not yet acknowledged, in push order.
    var order: Deque<Entry> = []
    var nextTicket: UInt64 = 1
    var pushers: [CheckedContinuation<Void, Never>] = []
    var poppers: Deque<CheckedContinuation<QueuedBatch?, Never>> = []
    var finished = false
    var closed = false
  }

  private let state = Mutex(State())
  private let limits: Limits
  /// Called with the highest chunk this sink is now done with.
  private let acknowledge: @Sendable (UInt64) -> Void
  private let counters: AgentMetrics.BufferCounters
  /// Told how full the queue is, for readiness.
  private let health: SinkHealth?

  init(
    limits: Limits, acknowledge: @escaping @Sendable (UInt64) -> Void, counters: AgentMetrics.BufferCounters,
    health: SinkHealth? = nil
  ) {
    self.limits = limits
    self.acknowledge = acknowledge
    self.counters = counters
    self.health = health
  }

  func push(_ batch: Batch) async -> PushResult {
    var droppedOldest = 0
    while true {
      enum Step {
        case done(PushResult, QueuedBatch?, CheckedContinuation<QueuedBatch?, Never>?, UInt64?)
        case wait
      }
      let step: Step = state.withLock { s in
        if s.closed { return .done(.closed, nil, nil, nil) }
        let ticket = s.nextTicket
        if batch.eventCount == 0 {
          s.nextTicket += 1
          s.order.append(Entry(ticket: ticket, throughChunk: batch.throughChunk, done: true))
          return .done(.queued(droppedOldest: 0), nil, nil, Self.advance(&s))
        }
        let limits = self.limits
        func fits(_ s: State) -> Bool {
          s.waiting.isEmpty
            || (s.waitingEvents + batch.eventCount <= limits.maxEvents
              && s.waitingBytes + batch.payload.count <= limits.maxBytes)
        }
        if !fits(s) {
          switch limits.policy {
          case .block:
            return .wait
          case .dropNewest:
            s.nextTicket += 1
            s.order.append(Entry(ticket: ticket, throughChunk: batch.throughChunk, done: true))
            return .done(.droppedNewest, nil, nil, Self.advance(&s))
          case .dropOldest:
            while !fits(s), let oldest = s.waiting.popFirst() {
              s.waitingEvents -= oldest.batch.eventCount
              s.waitingBytes -= oldest.batch.payload.count
              droppedOldest += oldest.batch.eventCount
              if let k = s.order.firstIndex(where: { $0.ticket == oldest.ticket }) { s.order[k].done = true }
            }
          }
        }
        s.nextTicket += 1
        s.order.append(Entry(ticket: ticket, throughChunk: batch.throughChunk, done: false))
        let acked = Self.advance(&s)
        if let popper = s.poppers.popFirst() {
          return .done(
            .queued(droppedOldest: droppedOldest),
            QueuedBatch(payload: batch.payload, eventCount: batch.eventCount, ticket: ticket), popper, acked)
        }
        s.waiting.append((ticket, batch))
        s.waitingEvents += batch.eventCount
        s.waitingBytes += batch.payload.count
        return .done(.queued(droppedOldest: droppedOldest), nil, nil, acked)
      }
      switch step {
      case .done(let result, let handed, let popper, let acked):
        if let popper { popper.resume(returning: handed) }
        if let acked { acknowledge(acked) }
        report(result, droppedOldest: droppedOldest, batch: batch)
        return result
      case .wait:
        await withCheckedContinuation { c in
          let resumeNow = state.withLock { s -> Bool in
            if s.closed || s.waiting.isEmpty { return true }
            s.pushers.append(c)
            return false
          }
          if resumeNow { c.resume() }
        }
      }
    }
  }

  private func report(_ result: PushResult, droppedOldest: Int, batch: Batch) {
    if droppedOldest > 0 { counters.droppedOldest.increment(by: droppedOldest) }
    if result == .droppedNewest { counters.droppedNewest.increment(by: batch.eventCount) }
    let (events, bytes) = state.withLock { ($0.waitingEvents, $0.waitingBytes) }
    reportFill(events: events, bytes: bytes)
  }

  private func reportFill(events: Int, bytes: Int) {
    counters.record(events: events, bytes: bytes)
    health?.bufferFill(events: events, bytes: bytes)
  }

  func pop() async -> QueuedBatch? {
    await withCheckedContinuation { (c: CheckedContinuation<QueuedBatch?, Never>) in
      let (item, pushers, left) = state.withLock {
        s -> (QueuedBatch??, [CheckedContinuation<Void, Never>], (events: Int, bytes: Int)?) in
        if s.closed { return (.some(nil), [], nil) }
        if let (ticket, batch) = s.waiting.popFirst() {
          s.waitingEvents -= batch.eventCount
          s.waitingBytes -= batch.payload.count
          let pushers = s.pushers
          s.pushers.removeAll()
          return (
            QueuedBatch(payload: batch.payload, eventCount: batch.eventCount, ticket: ticket), pushers,
            (s.waitingEvents, s.waitingBytes)
          )
        }
        if s.finished { return (.some(nil), [], nil) }
        s.poppers.append(c)
        return (nil, [], nil)
      }
      // What is left waiting: the gauges and readiness follow a draining queue too.
      if let left { reportFill(events: left.events, bytes: left.bytes) }
      for p in pushers { p.resume() }
      if let item { c.resume(returning: item) }
    }
  }

  func complete(_ ticket: UInt64) {
    let acked = state.withLock { s -> UInt64? in
      guard let k = s.order.firstIndex(where: { $0.ticket == ticket }) else { return nil }
      s.order[k].done = true
      return Self.advance(&s)
    }
    if let acked { acknowledge(acked) }
  }

  func giveBack(_ ticket: UInt64) {
    // Left not done: nothing at or after it is acknowledged, so it is all read again.
  }

  func finish() {
    let poppers = state.withLock { s -> [CheckedContinuation<QueuedBatch?, Never>] in
      s.finished = true
      guard s.waiting.isEmpty else { return [] }
      defer { s.poppers.removeAll() }
      return Array(s.poppers)
    }
    for p in poppers { p.resume(returning: nil) }
  }

  func close() {
    let (pushers, poppers) = state.withLock { s in
      s.closed = true
      defer {
        s.pushers.removeAll()
        s.poppers.removeAll()
      }
      return (s.pushers, Array(s.poppers))
    }
    for p in pushers { p.resume() }
    for p in poppers { p.resume(returning: nil) }
  }

  func sync() throws {}

  /// Pushes waiting for room (for tests and diagnostics).
  var blockedPushes: Int { state.withLock { $0.pushers.count } }

  /// Drops the completed prefix of `order`; returns the highest chunk it acknowledges.
  private static func advance(_ s: inout State) -> UInt64? {
    var through: UInt64?
    while let first = s.order.first, first.done {
      if let t = first.throughChunk { through = max(through ?? 0, t) }
      s.order.removeFirst()
    }
    return through
  }
}
