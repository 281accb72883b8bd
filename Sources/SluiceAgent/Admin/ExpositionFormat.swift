/// Which text format `/metrics` answers in, chosen from the request's `Accept` header.
///
/// OpenMetrics is served when `Accept` lists `application/openmetrics-text` (version 1.0.0,
/// 0.0.1 or none) with a quality above zero and at least that of any range that covers the
/// Prometheus text format (`text/plain`, `text/*`, `*/*`) — Prometheus itself asks so. Any
/// other request, including one without `Accept`, gets the Prometheus text format 0.0.4.
enum ExpositionFormat: Equatable {
  case prometheusText
  case openMetrics

  static let prometheusContentType = "text/plain; version=0.0.4; charset=utf-8"

  var contentType: String {
    switch self {
    case .prometheusText: Self.prometheusContentType
    case .openMetrics: OpenMetricsText.contentType
    }
  }

  init(accept: String?) {
    var openMetrics = 0.0
    var text = 0.0
    for range in (accept ?? "").split(separator: ",") {
      let parts = range.split(separator: ";").map { $0.trimmingSpaces.lowercased() }
      guard let type = parts.first, !type.isEmpty else { continue }
      var quality = 1.0
      var version: String?
      for parameter in parts.dropFirst() {
        let pair = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingSpaces }
        guard pair.count == 2 else { continue }
        if pair[0] == "q" { quality = Double(pair[1]) ?? 0 }
        if pair[0] == "version" { version = pair[1] }
      }
      switch type {
      case "application/openmetrics-text" where version == nil || version == "1.0.0" || version == "0.0.1":
        openMetrics = max(openMetrics, quality)
      case "text/plain", "text/*", "*/*":
        text = max(text, quality)
      default:
        break
      }
    }
    self = openMetrics > 0 && openMetrics >= text ? .openMetrics : .prometheusText
  }
}

extension StringProtocol {
  fileprivate var trimmingSpaces: String {
    String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
  }
}
