import Synchronization

/// Tasks waiting for a signal, woken together when it comes; cancellation wakes a waiter too.
///
/// - `permanent`: once set it stays set, and every later wait returns at once (``StopSignal``).
/// - not permanent: a signal with nobody waiting is remembered for the next wait only
///   (``Doorbell``).
final class Latch: Sendable {
  private struct State {
    var set = false
    var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
    var nextID: UInt64 = 0
  }
  private let state = Mutex(State())
  private let permanent: Bool

  init(permanent: Bool) { self.permanent = permanent }

  var isSet: Bool { state.withLock { $0.set } }

  /// Wakes every waiter; sets the latch if it is permanent or nobody waits.
  func signal() {
    let waiters = state.withLock { s -> [CheckedContinuation<Void, Never>] in
      if permanent && s.set { return [] }
      if permanent || s.waiters.isEmpty { s.set = true }
      defer { s.waiters.removeAll() }
      return Array(s.waiters.values)
    }
    for w in waiters { w.resume() }
  }

  /// Returns once signalled (at once if set; a non-permanent latch is then reset), or when
  /// the task is cancelled.
  func wait() async {
    let id = state.withLock { s -> UInt64 in
      s.nextID += 1
      return s.nextID
    }
    await withTaskCancellationHandler {
      await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
        let now = state.withLock { s -> Bool in
          if s.set || Task.isCancelled {
            if !permanent { s.set = false }
            return true
          }
          s.waiters[id] = c
          return false
        }
        if now { c.resume() }
      }
    } onCancel: {
      let c = state.withLock { $0.waiters.removeValue(forKey: id) }
      c?.resume()
    }
  }
}
