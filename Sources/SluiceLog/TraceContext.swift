import Instrumentation
import ServiceContextModule

/// Where trace and span ids for a log line come from.
public enum TraceContextSource: Sendable {
  /// No trace ids.
  case none
  /// The current `ServiceContext`, through whatever instrument is bootstrapped in
  /// `InstrumentationSystem` (swift-otel or any other): the context is injected into a
  /// header dictionary and a W3C `traceparent`, or a `…trace-id`/`…span-id` pair, is read
  /// back. Costs nothing when no context is set.
  case instrumentation
  /// A function of your own.
  case custom(@Sendable (ServiceContext) -> (traceID: String, spanID: String)?)

  func ids() -> (traceID: String, spanID: String)? {
    switch self {
    case .none: return nil
    case .custom(let f): return ServiceContext.current.flatMap(f)
    case .instrumentation:
      guard let context = ServiceContext.current, !context.isEmpty else { return nil }
      var headers: [String: String] = [:]
      InstrumentationSystem.instrument.inject(context, into: &headers, using: HeaderInjector())
      return Self.parse(headers)
    }
  }

  /// Reads ids from injected headers: `traceparent` (`00-<32 hex>-<16 hex>-<flags>`) first.
  static func parse(_ headers: [String: String]) -> (traceID: String, spanID: String)? {
    if let tp = headers["traceparent"] {
      let parts = tp.split(separator: "-")
      if parts.count >= 4, parts[1].count == 32, parts[2].count == 16 { return (String(parts[1]), String(parts[2])) }
    }
    var trace: String?
    var span: String?
    for (k, v) in headers {
      let key = k.lowercased().replacingUnderscores()
      if key.contains("parent") { continue }  // e.g. B3's x-b3-parentspanid: not this span
      if key.hasSuffix("trace-id") || key.hasSuffix("traceid") { trace = v }
      if key.hasSuffix("span-id") || key.hasSuffix("spanid") { span = v }
    }
    if let trace, let span { return (trace, span) }
    return nil
  }
}

struct HeaderInjector: Injector {
  func inject(_ value: String, forKey key: String, into carrier: inout [String: String]) {
    carrier[key.lowercased()] = value
  }
}

extension String {
  fileprivate func replacingUnderscores() -> String { String(map { $0 == "_" ? "-" : $0 }) }
}
