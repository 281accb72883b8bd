import Synchronization

/// Liveness of the agent's long-running loops (the pipeline processor, each source loop).
///
/// Each loop registers once and gets a ``Heartbeat``. It marks itself ``Heartbeat/busy()``
/// when it starts work that should finish promptly (processing a chunk, reading a file),
/// ``Heartbeat/idle()`` when it waits by choice (for input, for a full downstream to drain,
/// for the next poll) and ``Heartbeat/finished()`` when it returns. ``check(now:)`` reports
/// a loop as *stuck* when it has been busy without a beat for longer than ``stallAfter``,
/// and as *dead* when it finished while the agent was not stopping. `/healthz` fails on
/// either, so an orchestrator restarts an agent whose process is alive but whose pipeline
/// is not.
public final class Watchdog: Sendable {
  /// How long a loop may stay busy without progress before it counts as stuck.
  public let stallAfter: Duration
  private let origin = ContinuousClock.now
  private let heartbeats = Mutex<[Heartbeat]>([])
  private let stopping = Atomic<Bool>(false)

  public init(stallAfter: Duration = .seconds(60)) { self.stallAfter = stallAfter }

  /// Registers a loop. `kind` is `processor`, `source` or similar; `name` the component's
  /// configured name.
  public func register(name: String, kind: String) -> Heartbeat {
    let h = Heartbeat(name: name, kind: kind, origin: origin)
    heartbeats.withLock { $0.append(h) }
    return h
  }

  /// Stops watching the loops of one component (a reload stopped it on purpose).
  public func forget(name: String, kind: String) {
    heartbeats.withLock { $0.removeAll { $0.name == name && $0.kind == kind } }
  }

  /// The agent is shutting down: loops that finish from now on are not dead.
  public func beginStopping() { stopping.store(true, ordering: .relaxed) }

  /// A reload has stopped every loop and the next configuration's loops are about to start:
  /// forget the old loops and watch the new ones.
  public func beginGeneration() {
    heartbeats.withLock { $0.removeAll() }
    stopping.store(false, ordering: .relaxed)
  }

  /// One loop's liveness.
  public struct Status: Sendable, Equatable {
    public enum State: String, Sendable { case busy, idle, stuck, dead, finished }
    public var name: String
    public var kind: String
    public var state: State
    /// Seconds since the last beat (or state change).
    public var secondsSinceBeat: Double
  }

  /// Every registered loop's status.
  public func check(now: ContinuousClock.Instant = .now) -> [Status] {
    let stoppingNow = stopping.load(ordering: .relaxed)
    let nowNanos = Heartbeat.nanos(now - origin)
    let stall = Heartbeat.nanos(stallAfter)
    return heartbeats.withLock { $0 }.map { h in
      let (state, at) = h.load()
      let since = max(0, nowNanos - at)
      let s: Status.State
      switch state {
      case .busy: s = since > stall ? .stuck : .busy
      case .idle: s = .idle
      case .finished: s = stoppingNow ? .finished : .dead
      }
      return Status(name: h.name, kind: h.kind, state: s, secondsSinceBeat: Double(since) / 1e9)
    }
  }

  /// Whether every loop is alive (none stuck, none dead).
  public func isAlive(now: ContinuousClock.Instant = .now) -> Bool {
    check(now: now).allSatisfy { $0.state != .stuck && $0.state != .dead }
  }
}

/// One loop's liveness marker (see ``Watchdog``). Marking costs one clock read and one
/// atomic store; call it per unit of work (a chunk, a poll), not per event.
public final class Heartbeat: Sendable {
  enum State: UInt64 { case idle = 0, busy = 1, finished = 2 }

  public let name: String
  public let kind: String
  private let origin: ContinuousClock.Instant
  /// State in the low 2 bits, nanoseconds since `origin` above them.
  private let word = Atomic<UInt64>(0)

  init(name: String, kind: String, origin: ContinuousClock.Instant) {
    self.name = name
    self.kind = kind
    self.origin = origin
    store(.idle)
  }

  /// Work started (or progressed): the loop must beat or go idle within the stall limit.
  public func busy() { store(.busy) }
  /// Progress: the same as ``busy()``, named for call sites in the middle of work.
  public func beat() { store(.busy) }
  /// Waiting by choice: for input, for a full downstream, for the next poll.
  public func idle() { store(.idle) }
  /// The loop returned.
  public func finished() { store(.finished) }

  private func store(_ state: State) {
    let t = UInt64(max(0, Self.nanos(.now - origin)))
    word.store(t << 2 | state.rawValue, ordering: .relaxed)
  }

  func load() -> (State, Int64) {
    let w = word.load(ordering: .relaxed)
    return (State(rawValue: w & 3) ?? .idle, Int64(w >> 2))
  }

  static func nanos(_ d: Duration) -> Int64 {
    let (s, a) = d.components
    return s * 1_000_000_000 + a / 1_000_000_000
  }
}
