/// The field layout of the lines SluiceLog writes. The agent and `sluice grep` read all three.
///
/// | field | `.sluice` (default) | `.ecs` | `.otel` |
/// | --- | --- | --- | --- |
/// | time | `timestamp` | `@timestamp` | `timestamp` |
/// | level | `level` (`info`) | `log.level` (`info`) | `severity_text` (`INFO`) + `severity_number` (9) |
/// | message | `message` | `message` | `body` |
/// | logger label | `logger` | `log.logger` | `attributes.logger` |
/// | service | `service` | `service.name` | `resource.service.name` |
/// | request / user id | `request_id`, `user_id` | `http.request.id`, `user.id` | `attributes.request_id`, `attributes.user_id` |
/// | trace / span id | `trace_id`, `span_id` | `trace.id`, `span.id` | `trace_id`, `span_id` |
/// | metadata | top level | top level | inside `attributes` |
/// | error | `error.type`, `error.message` | `error.type`, `error.message` | `attributes.exception.type`, `attributes.exception.message` |
/// | source location | `source.file`, `source.line`, `source.function` | `log.origin.file.name`, `log.origin.file.line`, `log.origin.function` | `attributes.code.filepath`, `attributes.code.lineno`, `attributes.code.function` |
public enum LogSchema: String, Sendable, CaseIterable {
  case sluice
  case ecs
  case otel

  /// The ECS version the `.ecs` preset declares in `ecs.version`.
  public static let ecsVersion = "8.11.0"

  struct Keys {
    var timestamp: StaticString
    var level: StaticString
    var message: StaticString
    var logger: StaticString
    var service: StaticString
    var requestID: StaticString
    var userID: StaticString
    var traceID: StaticString
    var spanID: StaticString
    var errorType: StaticString
    var errorMessage: StaticString
    var file: StaticString
    var line: StaticString
    var function: StaticString
  }

  var keys: Keys {
    switch self {
    case .sluice:
      Keys(
        timestamp: "timestamp", level: "level", message: "message", logger: "logger", service: "service",
        requestID: "request_id", userID: "user_id", traceID: "trace_id", spanID: "span_id", errorType: "error.type",
        errorMessage: "error.message", file: "source.file", line: "source.line", function: "source.function")
    case .ecs:
      Keys(
        timestamp: "@timestamp", level: "log.level", message: "message", logger: "log.logger",
        service: "service.name", requestID: "http.request.id", userID: "user.id", traceID: "trace.id",
        spanID: "span.id", errorType: "error.type", errorMessage: "error.message", file: "log.origin.file.name",
        line: "log.origin.file.line", function: "log.origin.function")
    case .otel:
      Keys(
        timestamp: "timestamp", level: "severity_text", message: "body", logger: "logger", service: "service.name",
        requestID: "request_id", userID: "user_id", traceID: "trace_id", spanID: "span_id",
        errorType: "exception.type", errorMessage: "exception.message", file: "code.filepath", line: "code.lineno",
        function: "code.function")
    }
  }
}
