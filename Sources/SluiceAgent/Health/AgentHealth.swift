/// The agent's health, shared by the components that report it and the admin server that
/// answers for it: readiness on the ``HealthBoard`` (`/readyz`), liveness of the long-running
/// loops in the ``Watchdog`` (`/healthz`).
public final class AgentHealth: Sendable {
  /// Component readiness: sinks, sources.
  public let board: HealthBoard
  /// Loop liveness: the processor, each source loop.
  public let watchdog: Watchdog

  public init(board: HealthBoard = HealthBoard(), watchdog: Watchdog = Watchdog()) {
    self.board = board
    self.watchdog = watchdog
  }
}
