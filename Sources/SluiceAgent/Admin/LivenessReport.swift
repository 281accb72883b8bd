/// What `/healthz` answers: alive (200, `ok`) unless the watchdog sees a loop stuck or dead
/// (503, one line per such loop, saying which and for how long).
struct LivenessReport {
  /// The loops that are stuck or dead.
  let problems: [Watchdog.Status]
  let stallAfter: Duration

  init(watchdog: Watchdog, now: ContinuousClock.Instant = .now) {
    problems = watchdog.check(now: now).filter { $0.problem(stallAfter: watchdog.stallAfter) != nil }
    stallAfter = watchdog.stallAfter
  }

  var isAlive: Bool { problems.isEmpty }

  /// `ok`, or e.g. `stuck: processor pipeline, busy for 75s without progress (stall limit 60s)`.
  var body: String {
    guard !isAlive else { return "ok\n" }
    return problems.map { "\($0.problem(stallAfter: stallAfter)!)\n" }.joined()
  }
}

extension Watchdog.Status {
  /// What is wrong with the loop, naming it; nil if it is alive.
  func problem(stallAfter: Duration) -> String? {
    let since = HealthBoard.describe(seconds: secondsSinceBeat)
    switch state {
    case .stuck:
      return
        "stuck: \(kind) \(name), busy for \(since) without progress (stall limit \(HealthBoard.describe(stallAfter)))"
    case .dead:
      return "dead: \(kind) \(name), its loop returned \(since) ago while the agent was not stopping"
    case .busy, .idle, .finished:
      return nil
    }
  }
}
