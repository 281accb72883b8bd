import Synchronization

/// Readiness of the agent's components (sinks, sources): what `/readyz` reports.
///
/// A component registers once and gets a ``ComponentHealth``, through which it sets or
/// clears *conditions*, one per aspect of it (a sink's `delivery` and its `buffer`, a
/// source's `open`). A component's status is the worst of its conditions, and healthy when
/// it has none. A condition is either fixed (``ComponentHealth/set(_:_:reason:)``) or
/// *failing* (``ComponentHealth/failing(_:reason:unhealthyAfter:now:)``): degraded from its
/// first report and unhealthy once it has lasted `unhealthyAfter` — judged when the board
/// is read, so the escalation needs no further report.
///
/// Components report on changes, not per event; the board takes one lock per report and
/// one per read.
public final class HealthBoard: Sendable {
  /// A component's readiness, from best to worst.
  public enum Status: String, Sendable, Comparable, CaseIterable {
    case healthy, degraded, unhealthy

    var rank: Int {
      switch self {
      case .healthy: 0
      case .degraded: 1
      case .unhealthy: 2
      }
    }

    public static func < (a: Status, b: Status) -> Bool { a.rank < b.rank }
  }

  /// What kind of component reports.
  public enum Kind: String, Sendable, CaseIterable { case sink, source, processor }

  /// One component as read from the board.
  public struct Component: Sendable, Equatable {
    public var name: String
    public var kind: Kind
    public var status: Status
    /// Why it is not healthy (every condition that is not, `; `-separated); nil when healthy.
    public var reason: String?

    public init(name: String, kind: Kind, status: Status, reason: String?) {
      self.name = name
      self.kind = kind
      self.status = status
      self.reason = reason
    }
  }

  struct Condition {
    var aspect: String
    var status: Status
    var reason: String
    var since: ContinuousClock.Instant
    /// Set for a failing condition: it becomes unhealthy once it has lasted this long.
    var unhealthyAfter: Duration?
  }

  struct Entry {
    var name: String
    var kind: Kind
    var conditions: [Condition] = []
  }

  /// Components in registration order.
  private let entries = Mutex<[Entry]>([])

  public init() {}

  /// Registers a component (healthy until it reports otherwise) and returns its handle.
  /// Registering the same name and kind again returns a handle to the same component.
  public func component(name: String, kind: Kind) -> ComponentHealth {
    entries.withLock { list in
      if !list.contains(where: { $0.name == name && $0.kind == kind }) {
        list.append(Entry(name: name, kind: kind))
      }
    }
    return ComponentHealth(board: self, name: name, kind: kind)
  }

  /// Forgets one component (a reload removed or replaced it).
  public func remove(name: String, kind: Kind) {
    entries.withLock { $0.removeAll { $0.name == name && $0.kind == kind } }
  }

  /// Forgets every component (a reload builds them again from the new configuration, so a
  /// sink or source that was removed no longer counts).
  public func removeAll() { entries.withLock { $0.removeAll() } }

  /// Every component with its status at `now`.
  public func components(now: ContinuousClock.Instant = .now) -> [Component] {
    entries.withLock { $0 }.map { Self.judge($0, now: now) }
  }

  /// The worst status of any component (healthy when none has registered).
  public func status(now: ContinuousClock.Instant = .now) -> Status {
    components(now: now).map(\.status).max() ?? .healthy
  }

  func update(name: String, kind: Kind, _ change: (inout [Condition]) -> Void) {
    entries.withLock { list in
      guard let k = list.firstIndex(where: { $0.name == name && $0.kind == kind }) else { return }
      change(&list[k].conditions)
    }
  }

  static func judge(_ entry: Entry, now: ContinuousClock.Instant) -> Component {
    var worst = Status.healthy
    var reasons: [String] = []
    for c in entry.conditions {
      var status = c.status
      var reason = c.reason
      if let limit = c.unhealthyAfter {
        let lasted = now - c.since
        if lasted >= limit { status = .unhealthy }
        reason =
          "failing for \(describe(lasted))"
          + (status == .unhealthy ? " (unhealthy_after \(describe(limit)))" : "") + ": \(c.reason)"
      }
      guard status != .healthy else { continue }
      worst = max(worst, status)
      reasons.append(reason)
    }
    return Component(
      name: entry.name, kind: entry.kind, status: worst,
      reason: reasons.isEmpty ? nil : reasons.joined(separator: "; "))
  }

  /// `3.2s`, `2s`, `75s`: tenths below ten seconds (when there are any), whole seconds above.
  static func describe(_ d: Duration) -> String {
    describe(seconds: Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18)
  }

  static func describe(seconds: Double) -> String {
    if seconds < 10 {
      let tenths = Int((seconds * 10).rounded(.down))
      return tenths % 10 == 0 ? "\(tenths / 10)s" : "\(tenths / 10).\(tenths % 10)s"
    }
    return "\(Int(seconds))s"
  }
}

/// One component's handle on the ``HealthBoard``.
public struct ComponentHealth: Sendable {
  let board: HealthBoard
  public let name: String
  public let kind: HealthBoard.Kind

  /// Sets the condition `aspect` to `status`; `.healthy` clears it.
  public func set(_ aspect: String, _ status: HealthBoard.Status, reason: String) {
    guard status != .healthy else { return clear(aspect) }
    board.update(name: name, kind: kind) { conditions in
      let c = HealthBoard.Condition(aspect: aspect, status: status, reason: reason, since: .now)
      if let k = conditions.firstIndex(where: { $0.aspect == aspect }) {
        conditions[k] = c
      } else {
        conditions.append(c)
      }
    }
  }

  /// Marks `aspect` as failing: degraded now, unhealthy once it has been failing for
  /// `unhealthyAfter`. Repeated reports keep the time of the first one (and take the
  /// latest reason) until ``clear(_:)``.
  public func failing(
    _ aspect: String, reason: String, unhealthyAfter: Duration, now: ContinuousClock.Instant = .now
  ) {
    board.update(name: name, kind: kind) { conditions in
      if let k = conditions.firstIndex(where: { $0.aspect == aspect }), conditions[k].unhealthyAfter != nil {
        conditions[k].reason = reason
        conditions[k].unhealthyAfter = unhealthyAfter
      } else {
        let c = HealthBoard.Condition(
          aspect: aspect, status: .degraded, reason: reason, since: now, unhealthyAfter: unhealthyAfter)
        conditions.removeAll { $0.aspect == aspect }
        conditions.append(c)
      }
    }
  }

  /// The condition `aspect` is over.
  public func clear(_ aspect: String) {
    board.update(name: name, kind: kind) { $0.removeAll { $0.aspect == aspect } }
  }
}
