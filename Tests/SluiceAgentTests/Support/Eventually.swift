/// Polls `condition` every `interval` until it holds or `timeout` has passed, and returns
/// whether it came to hold.
///
/// The condition is evaluated once more after the deadline: in a loaded full run this task may
/// wake long after its deadline (the test pool is busy with other tests), and what the agent did
/// meanwhile must still count. A test that waits on something it cannot observe through an event
/// (a file the agent writes, a metric) uses this rather than a bare loop.
func eventually(
  timeout: Duration, interval: Duration = .milliseconds(20), _ condition: () async throws -> Bool
) async throws -> Bool {
  let deadline = ContinuousClock.now + timeout
  while true {
    if try await condition() { return true }
    if ContinuousClock.now >= deadline { return false }
    try await Task.sleep(for: interval)
  }
}
