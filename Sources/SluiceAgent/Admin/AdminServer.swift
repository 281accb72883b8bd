import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// The admin endpoint: `GET /metrics` (Prometheus text format 0.0.4) and `GET /healthz`.
/// Built on Hummingbird; binds to loopback unless configured otherwise.
public enum AdminServer {
  /// The admin server as a service (run it in the agent's `ServiceGroup`).
  public static func make(
    config: AdminConfig, metrics: AgentMetrics, logger: Logger,
    onListening: @escaping @Sendable (String, Int) async -> Void = { _, _ in }
  ) throws -> any Service {
    let (host, port) = try config.hostAndPort()
    let router = Router()
    router.get("/metrics") { _, _ -> Response in
      Response(
        status: .ok,
        headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
        body: ResponseBody(byteBuffer: ByteBuffer(bytes: metrics.exposition())))
    }
    router.get("/healthz") { _, _ -> String in "ok\n" }
    var serverLogger = logger
    serverLogger.logLevel = .warning  // request logs are noise here
    return Application(
      router: router,
      configuration: .init(address: .hostname(host, port: port), serverName: "sluice-admin"),
      onServerRunning: { channel in
        let bound = channel.localAddress?.port ?? port
        logger.info("admin endpoint listening", metadata: ["address": "\(host):\(bound)"])
        await onListening(host, bound)
      },
      logger: serverLogger)
  }
}
