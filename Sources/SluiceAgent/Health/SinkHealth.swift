import Synchronization

/// One sink's readiness: its deliveries (``SinkRunner``) and how full its buffer is
/// (``MemoryQueue``, ``DiskQueue``), reported to the ``HealthBoard``.
///
/// - Delivery: a retryable failure (connection error, timeout, a status listed in
///   `retry.statuses`) makes the sink *failing* — degraded, and unhealthy once it has been
///   failing for `unhealthy_after`; the next delivered request makes it healthy. Answers
///   that refuse a batch for good are dead-lettered and do not count: the sink answered.
/// - Buffer: above 80 % of its cap (events or bytes, whichever is fuller) the sink is
///   degraded, with the fill in the reason.
///
/// Reports reach the board only on a change (a failure, the first success after one, a new
/// whole percentage above the threshold); otherwise a report costs one uncontended lock.
final class SinkHealth: Sendable {
  let component: ComponentHealth
  let unhealthyAfter: Duration
  /// The buffer's caps: events (nil for a disk buffer, capped in bytes only) and bytes.
  let maxEvents: Int?
  let maxBytes: Int
  /// The fill above which the buffer is reported, in percent.
  static let bufferThreshold = 80

  /// Whether the sink is failing, and the buffer fill last reported (whole percent; -1 while
  /// at or below the threshold). Held while reporting, so concurrent senders cannot leave
  /// the board disagreeing with it.
  private let state = Mutex<(failing: Bool, fill: Int)>((false, -1))

  init(component: ComponentHealth, unhealthyAfter: Duration, maxEvents: Int?, maxBytes: Int) {
    self.component = component
    self.unhealthyAfter = unhealthyAfter
    self.maxEvents = maxEvents
    self.maxBytes = maxBytes
  }

  /// The sink's component on `board`, with the caps of its configured buffer.
  convenience init(config: SinkConfig, board: HealthBoard) {
    self.init(
      component: board.component(name: config.name, kind: .sink),
      unhealthyAfter: config.unhealthyAfter.duration,
      maxEvents: config.buffer.type == .memory ? config.buffer.maxEvents : nil,
      maxBytes: config.buffer.byteLimit)
  }

  /// A delivery attempt failed and will be retried.
  func deliveryFailed(reason: String) {
    state.withLock { s in
      s.failing = true
      component.failing("delivery", reason: reason, unhealthyAfter: unhealthyAfter)
    }
  }

  /// A request was delivered.
  func delivered() {
    state.withLock { s in
      guard s.failing else { return }
      s.failing = false
      component.clear("delivery")
    }
  }

  /// The buffer now holds `events` events in `bytes` bytes.
  func bufferFill(events: Int, bytes: Int) {
    let t = Self.bufferThreshold
    let above = bytes * 100 > t * maxBytes || (maxEvents.map { events * 100 > t * $0 } ?? false)
    let report = above ? Self.percent(events: events, bytes: bytes, maxEvents: maxEvents, maxBytes: maxBytes) : -1
    state.withLock { s in
      guard s.fill != report else { return }
      s.fill = report
      if report < 0 {
        component.clear("buffer")
      } else {
        component.set("buffer", .degraded, reason: "buffer \(report)% full")
      }
    }
  }

  /// The fuller of the two ratios, in whole percent (rounded down).
  static func percent(events: Int, bytes: Int, maxEvents: Int?, maxBytes: Int) -> Int {
    var fill = maxBytes > 0 ? bytes * 100 / maxBytes : 0
    if let maxEvents, maxEvents > 0 { fill = max(fill, events * 100 / maxEvents) }
    return fill
  }
}
