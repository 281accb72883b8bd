import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// The admin endpoint, built on Hummingbird; binds to loopback unless configured otherwise.
///
/// - `GET /metrics`: every metric, in the Prometheus text format 0.0.4, or OpenMetrics 1.0.0
///   when `Accept` asks for it (``ExpositionFormat``).
/// - `GET /healthz`: liveness — 200 `ok`, or 503 naming each stuck or dead loop
///   (``LivenessReport``).
/// - `GET /readyz`: readiness — 200 unless a component is unhealthy, then 503; a JSON body
///   lists every component (``ReadinessReport``).
///
/// - `POST /-/reload`: reloads the configuration (``ConfigReloader``): 200 with
///   `{"outcome": "applied"|"unchanged"}`, or 422 with `{"outcome": "rejected", "errors": […]}`
///   when the new configuration has problems (the running one stays). Served only on a
///   loopback address unless `admin.allow_remote_reload` is set.
///
/// `HEAD` answers as `GET` without a body; any other method gets 405 with `Allow`, and any
/// other path 404.
public enum AdminServer {
  /// The admin server as a service (run it in the agent's `ServiceGroup`).
  public static func make(
    config: AdminConfig, metrics: AgentMetrics, health: AgentHealth, logger: Logger,
    reloader: ConfigReloader? = nil, onListening: @escaping @Sendable (String, Int) async -> Void = { _, _ in }
  ) throws -> any Service {
    let (host, port) = try config.hostAndPort()
    let reload = config.servesReload ? reloader : nil
    let responder = CallbackResponder<BasicRequestContext> { request, _ in
      let accept = request.headers[values: .accept].joined(separator: ",")
      if request.uri.path == "/-/reload" {
        let answer = reloadAnswer(method: request.method, reloader: reload)
        var headers: HTTPFields = [.contentType: answer.contentType]
        if let allow = answer.allow { headers[.allow] = allow }
        return Response(
          status: .init(code: answer.status), headers: headers,
          body: ResponseBody(byteBuffer: ByteBuffer(bytes: answer.body)))
      }
      let answer = respond(
        method: request.method, path: request.uri.path, accept: accept.isEmpty ? nil : accept, metrics: metrics,
        health: health)
      var headers: HTTPFields = [.contentType: answer.contentType]
      if let allow = answer.allow { headers[.allow] = allow }
      guard request.method != .head else {
        // The length a GET would have, and no body.
        headers[.contentLength] = "\(answer.body.count)"
        return Response(status: .init(code: answer.status), headers: headers, body: ResponseBody())
      }
      return Response(
        status: .init(code: answer.status), headers: headers,
        body: ResponseBody(byteBuffer: ByteBuffer(bytes: answer.body)))
    }
    var serverLogger = logger
    serverLogger.logLevel = .warning  // request logs are noise here
    return Application(
      responder: responder,
      configuration: .init(address: .hostname(host, port: port), serverName: "sluice-admin"),
      onServerRunning: { channel in
        let bound = channel.localAddress?.port ?? port
        logger.info("admin endpoint listening", metadata: ["address": "\(host):\(bound)"])
        await onListening(host, bound)
      },
      logger: serverLogger)
  }

  /// One answer, before it is put on the wire.
  struct Answer {
    var status: Int
    var contentType: String
    var body: [UInt8]
    var allow: String? = nil
  }

  static let paths = ["/metrics", "/healthz", "/readyz"]
  static let text = "text/plain; charset=utf-8"

  /// `POST /-/reload`.
  static func reloadAnswer(method: HTTPRequest.Method, reloader: ConfigReloader?) -> Answer {
    guard let reloader else { return Answer(status: 404, contentType: text, body: Array("not found\n".utf8)) }
    guard method == .post else {
      return Answer(status: 405, contentType: text, body: Array("method not allowed\n".utf8), allow: "POST")
    }
    let outcome = reloader.reload(trigger: "http")
    var object: [String: Any] = ["outcome": outcome.label]
    if case .rejected(let errors) = outcome {
      object["errors"] = errors.map { ["path": $0.path, "message": $0.message, "error": $0.description] }
    }
    let body = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])).map { Array($0) } ?? []
    let status: Int
    if case .rejected = outcome { status = 422 } else { status = 200 }
    return Answer(status: status, contentType: "application/json", body: body + [0x0A])
  }

  static func respond(
    method: HTTPRequest.Method, path: String, accept: String?, metrics: AgentMetrics, health: AgentHealth
  ) -> Answer {
    guard paths.contains(path) else { return Answer(status: 404, contentType: text, body: Array("not found\n".utf8)) }
    guard method == .get || method == .head else {
      return Answer(
        status: 405, contentType: text, body: Array("method not allowed\n".utf8), allow: "GET, HEAD")
    }
    switch path {
    case "/metrics":
      let format = ExpositionFormat(accept: accept)
      let exposition = metrics.scrape()
      return Answer(
        status: 200, contentType: format.contentType,
        body: format == .openMetrics ? OpenMetricsText.convert(exposition) : exposition)
    case "/healthz":
      let report = LivenessReport(watchdog: health.watchdog)
      return Answer(status: report.isAlive ? 200 : 503, contentType: text, body: Array(report.body.utf8))
    default:
      let report = ReadinessReport(board: health.board, watchdog: health.watchdog)
      return Answer(status: report.isReady ? 200 : 503, contentType: "application/json", body: report.json)
    }
  }
}
