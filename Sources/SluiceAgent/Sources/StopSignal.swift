import Synchronization

/// A one-way latch that tasks can poll, wait on, or sleep against (waking early on stop).
public final class StopSignal: Sendable {
  private struct State {
    var stopped = false
    var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
    var nextID: UInt64 = 0
  }
  private let state = Mutex(State())

  public init() {}

  public var isStopped: Bool { state.withLock { $0.stopped } }

  /// Sets the latch and wakes every waiter. Idempotent.
  public func stop() {
    let waiters = state.withLock { s -> [CheckedContinuation<Void, Never>] in
      guard !s.stopped else { return [] }
      s.stopped = true
      defer { s.waiters.removeAll() }
      return Array(s.waiters.values)
    }
    for w in waiters { w.resume() }
  }

  /// Returns once the latch is set, or the task is cancelled.
  public func wait() async {
    let id = state.withLock { s -> UInt64 in
      s.nextID += 1
      return s.nextID
    }
    await withTaskCancellationHandler {
      await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
        let resumeNow = state.withLock { s -> Bool in
          if s.stopped || Task.isCancelled { return true }
          s.waiters[id] = c
          return false
        }
        if resumeNow { c.resume() }
      }
    } onCancel: {
      let c = state.withLock { $0.waiters.removeValue(forKey: id) }
      c?.resume()
    }
  }

  /// Sleeps for `duration`, returning early if the latch is set or the task is cancelled
  /// (callers looping on this must check `Task.isCancelled` too).
  public func sleep(for duration: Duration) async {
    if isStopped { return }
    await withTaskGroup(of: Void.self) { group in
      group.addTask { try? await Task.sleep(for: duration) }
      group.addTask { await self.wait() }
      await group.next()
      group.cancelAll()
    }
  }
}
