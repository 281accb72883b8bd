import Synchronization

/// The end of the shutdown grace period, once a shutdown has begun.
final class ShutdownDeadline: Sendable {
  private let deadline = Mutex<ContinuousClock.Instant?>(nil)
  private let expiredSignal = StopSignal()

  /// Starts the grace period (only the first call counts).
  func begin(grace: Duration) {
    let start = deadline.withLock { d -> Bool in
      guard d == nil else { return false }
      d = .now + grace
      return true
    }
    guard start else { return }
    Task {
      try? await Task.sleep(for: grace)
      expiredSignal.stop()
    }
  }

  var expired: Bool { expiredSignal.isStopped }

  /// Returns when the grace period has ended (or the task is cancelled).
  func waitForExpiry() async { await expiredSignal.wait() }

  /// Sleeps, waking early when the grace period ends.
  func sleep(for duration: Duration) async { await expiredSignal.sleep(for: duration) }
}
