/// Exponential backoff with full jitter: attempt n waits a uniformly random time in
/// `[0, min(cap, base · 2ⁿ)]`. A server's `Retry-After` replaces the draw, capped by
/// `retryAfterCap`.
struct Backoff: Sendable {
  let base: Duration
  let cap: Duration
  let retryAfterCap: Duration

  init(base: Duration, cap: Duration, retryAfterCap: Duration? = nil) {
    self.base = base
    self.cap = cap
    self.retryAfterCap = retryAfterCap ?? cap
  }

  func delay(attempt: Int, retryAfter: Duration?) -> Duration {
    if let retryAfter { return min(retryAfter, retryAfterCap) }
    let exp = min(attempt, 30)
    let ceiling = min(cap, base * (1 << exp))
    let ns = ceiling.nanosecondsClamped
    guard ns > 0 else { return .zero }
    return .nanoseconds(Int64.random(in: 0...ns))
  }
}
