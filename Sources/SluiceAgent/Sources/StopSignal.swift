import Synchronization

/// A one-way latch that tasks can poll, wait on, or sleep against (waking early on stop).
public final class StopSignal: Sendable {
  private let latch = Latch(permanent: true)

  public init() {}

  public var isStopped: Bool { latch.isSet }

  /// Sets the latch and wakes every waiter. Idempotent.
  public func stop() { latch.signal() }

  /// Returns once the latch is set, or the task is cancelled.
  public func wait() async { await latch.wait() }

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
