import ServiceLifecycle
import UnixSignals

/// Reloads the configuration on SIGHUP, as daemons do (`kill -HUP`, `systemctl reload`).
public struct ReloadOnSignal: Service {
  let reloader: ConfigReloader

  public init(reloader: ConfigReloader) { self.reloader = reloader }

  public func run() async throws {
    let signals = await UnixSignalsSequence(trapping: .sighup)
    for await _ in signals.cancelOnGracefulShutdown() {
      reloader.reload(trigger: "signal")
    }
  }
}
