import AsyncHTTPClient
import Foundation
import SluiceCore

/// Requests to an agent's admin endpoint, and waiting on what it answers.
enum AdminRequests {
  struct Answer: Sendable {
    var status: Int
    var headers: [(String, String)]
    var body: String

    func header(_ name: String) -> String? {
      headers.first { $0.0.caseInsensitiveCompare(name) == .orderedSame }?.1
    }
  }

  /// One request to `http://127.0.0.1:<port><path>`.
  static func send(
    _ path: String, port: Int, method: String = "GET", headers: [(String, String)] = []
  ) async throws -> Answer {
    var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
    request.method = .init(rawValue: method)
    for (k, v) in headers { request.headers.add(name: k, value: v) }
    let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
    let body = try await response.body.collect(upTo: 16 << 20)
    return Answer(
      status: Int(response.status.code), headers: response.headers.map { ($0.name, $0.value) },
      body: String(buffer: body))
  }

  /// `/readyz`, parsed: the overall status and each component by name.
  struct Readiness: Sendable {
    var httpStatus: Int
    var status: String
    var components: [String: (kind: String, status: String, reason: String?)]
  }

  static func readiness(port: Int) async throws -> Readiness {
    let answer = try await send("/readyz", port: port)
    return try parseReadiness(status: answer.status, body: answer.body)
  }

  /// A `/readyz` answer with HTTP status `status` and JSON `body`.
  static func parseReadiness(status: Int, body: String) throws -> Readiness {
    let json = try JSONValue.parse(body)
    var components: [String: (kind: String, status: String, reason: String?)] = [:]
    if case .array(let list)? = json["components"] {
      for c in list {
        guard let name = c["name"]?.stringValue else { continue }
        components[name] = (c["kind"]?.stringValue ?? "", c["status"]?.stringValue ?? "", c["reason"]?.stringValue)
      }
    }
    return Readiness(httpStatus: status, status: json["status"]?.stringValue ?? "", components: components)
  }

  /// Polls `/readyz` until `condition` holds (returning that answer) or `timeout` passes
  /// (returning nil, with the last answer in `last`).
  static func waitForReadiness(
    port: Int, timeout: Duration = .seconds(30), last: inout Readiness?, _ condition: (Readiness) -> Bool
  ) async throws -> Readiness? {
    let deadline = ContinuousClock.now + timeout
    while true {
      let r = try await readiness(port: port)
      last = r
      if condition(r) { return r }
      if ContinuousClock.now >= deadline { return nil }
      try await Task.sleep(for: .milliseconds(20))
    }
  }

  /// The value of an unlabelled sample (or the first sample of a family) in a text exposition.
  static func sample(_ name: String, in exposition: String) -> Double? {
    for line in exposition.split(separator: "\n") where line.hasPrefix(name + " ") || line.hasPrefix(name + "{") {
      return line.split(separator: " ").last.flatMap { Double($0) }
    }
    return nil
  }
}
