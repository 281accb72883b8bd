import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import SluiceCore
import SluiceLog
import Testing

@testable import SluiceLogHummingbird

struct RequestIDMiddlewareTests {
  struct Failure: Error, CustomStringConvertible {
    var description: String { "database unavailable" }
  }

  /// A router with the middleware whose logger writes SluiceLog lines to a temporary file.
  struct Fixture {
    let path: String
    let output: LogOutput
    let logger: Logger
    let router: Router<BasicRequestContext>

    init(configuration: RequestIDMiddleware<BasicRequestContext>.Configuration = .init()) throws {
      path = FileManager.default.temporaryDirectory.appendingPathComponent("mw-\(UUID().uuidString).log").path
      output = try LogOutput.file(path)
      let out = output
      logger = Logger(label: "http") {
        SluiceLogHandler(label: $0, configuration: .init(service: "api", output: out), metadataProvider: nil)
      }
      router = Router()
      router.add(middleware: RequestIDMiddleware(logger: logger, configuration: configuration))
      let logger = self.logger
      router.get("/users/:id") { _, context -> String in
        logger.info("loading user", metadata: ["id": "\(context.parameters.get("id") ?? "")"])
        return "ok"
      }
      router.get("/missing") { _, _ -> String in throw HTTPError(.notFound, message: "no such thing") }
      router.get("/boom") { _, _ -> String in throw Failure() }
    }

    func lines() throws -> [JSONValue] {
      output.flush()
      let text = try String(contentsOfFile: path, encoding: .utf8)
      return try text.split(separator: "\n").map { try JSONValue.parse(String($0)) }
    }

    var rawText: String { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }
  }

  static let header = HTTPField.Name("X-Request-ID")!

  @Test func incomingIDIsBoundEchoedAndLoggedOnCompletion() async throws {
    let f = try Fixture()
    try await Application(router: f.router).test(.router) { client in
      try await client.execute(uri: "/users/42", method: .get, headers: [Self.header: "req-abc.123:x_y"]) { response in
        #expect(response.status == .ok)
        #expect(response.headers[Self.header] == "req-abc.123:x_y")
      }
    }
    let lines = try f.lines()
    #expect(lines.count == 2)
    let handler = lines[0]
    #expect(handler["message"] == "loading user")
    #expect(handler["request_id"] == "req-abc.123:x_y")
    #expect(handler["http.method"] == "GET")
    #expect(handler["url.path"] == "/users/42")
    let done = lines[1]
    #expect(done["message"] == "request completed")
    #expect(done["level"] == "info")
    #expect(done["request_id"] == "req-abc.123:x_y")
    #expect(done["http.status_code"] == 200)
    #expect(done["http.route"] == "/users/{id}")
    guard case .double(let ms)? = done["duration_ms"] else {
      Issue.record("duration_ms is not a number: \(String(describing: done["duration_ms"]))")
      return
    }
    #expect(ms >= 0 && ms < 10_000)
  }

  @Test func missingIDIsGenerated() async throws {
    let f = try Fixture()
    let echoed = try await Application(router: f.router).test(.router) { client in
      try await client.execute(uri: "/users/7", method: .get) { response in
        response.headers[Self.header]
      }
    }
    let id = try #require(echoed)
    #expect(id.count == 32 && id.allSatisfy(\.isHexDigit))
    #expect(try f.lines().allSatisfy { $0["request_id"] == .string(id) })
  }

  /// Values that could forge log lines or break JSON readers are replaced, never logged raw.
  @Test(arguments: [
    "abc\n{\"level\":\"critical\"}", "abc\"def", "a b", String(repeating: "x", count: 129), "", "ünïcode",
  ])
  func unsafeIDsAreReplaced(_ bad: String) async throws {
    let f = try Fixture()
    let echoed = try await Application(router: f.router).test(.router) { client in
      var headers = HTTPFields()
      headers.append(HTTPField(name: Self.header, value: bad))
      return try await client.execute(uri: "/users/1", method: .get, headers: headers) { response in
        response.headers[Self.header]
      }
    }
    let id = try #require(echoed)
    #expect(id != bad && RequestID.isValid(id))
    if !bad.isEmpty { #expect(!f.rawText.contains(bad)) }
    #expect(try f.lines().count == 2)
  }

  @Test func errorsAreLoggedWithTheRequestIDAndTheHeaderIsStillEchoed() async throws {
    let f = try Fixture()
    try await Application(router: f.router).test(.router) { client in
      try await client.execute(uri: "/missing", method: .get, headers: [Self.header: "r-404"]) { response in
        #expect(response.status == .notFound)
        #expect(response.headers[Self.header] == "r-404")
      }
      try await client.execute(uri: "/boom", method: .get, headers: [Self.header: "r-500"]) { response in
        #expect(response.status == .internalServerError)
      }
    }
    let lines = try f.lines()
    let failed = lines.filter { $0["message"] == "request failed" }
    #expect(failed.count == 2)
    #expect(failed[0]["request_id"] == "r-404")
    #expect(failed[0]["http.status_code"] == 404)
    #expect(failed[1]["request_id"] == "r-500")
    #expect(failed[1]["error.message"] == "database unavailable")
    #expect(failed[1]["error.type"]?.stringValue?.hasSuffix("Failure") == true)
    let completed = lines.filter { $0["message"] == "request completed" }
    #expect(completed.map { $0["http.status_code"] } == [404, 500])
    #expect(completed.map { $0["level"] } == ["info", "error"])
  }

  @Test func headerNameIsConfigurable() async throws {
    let f = try Fixture(configuration: .init(headerName: "X-Correlation-ID", logCompletion: false))
    let name = HTTPField.Name("X-Correlation-ID")!
    try await Application(router: f.router).test(.router) { client in
      try await client.execute(uri: "/users/1", method: .get, headers: [name: "corr-1"]) { response in
        #expect(response.headers[name] == "corr-1")
        #expect(response.headers[Self.header] == nil)
      }
    }
    let lines = try f.lines()
    #expect(lines.count == 1, "completion line disabled")
    #expect(lines[0]["request_id"] == "corr-1")
  }
}
