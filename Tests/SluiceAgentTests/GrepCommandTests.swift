import Foundation
import Testing

/// `sluice grep` run as a process on real files and standard input.
struct GrepCommandTests {
  static let log = """
    {"timestamp":"2026-11-23T10:00:00Z","level":"info","message":"ok","status":200,"path":"/api/cart"}
    not json at all
    {"@timestamp":"2026-11-23T10:00:01Z","log.level":"ERROR","message":"ecs error","status":503,"path":"/api/pay"}
    {"severity_text":"WARN","body":"otel warning","status":429}
    {"severity_number":21,"body":"otel fatal","status":500,"path":"/internal"}
    {"level":"error","msg":"broken
    {"level":"debug","message":"noise","status":10}
    {"level":"error","message":"crlf line","status":502,"path":"/api/x"}\r

    """

  @Test func filtersByLevelAcrossSchemas() throws {
    let dir = try TempDirectory()
    try Self.log.write(to: dir.file("app.log"), atomically: true, encoding: .utf8)
    let (status, out, _) = try AgentProcess.run(["grep", "level>=error", dir.file("app.log").path])
    #expect(status == 0)
    let messages = out.split(separator: "\n").map(String.init)
    #expect(messages.count == 3)
    #expect(messages[0].contains("ecs error"))
    #expect(messages[1].contains("otel fatal"))
    #expect(messages[2].contains("crlf line") && !messages[2].hasSuffix("\r"))
  }

  @Test func numericAndTextComparisonsJoinedWithAnd() throws {
    let dir = try TempDirectory()
    try Self.log.write(to: dir.file("app.log"), atomically: true, encoding: .utf8)
    let (status, out, _) = try AgentProcess.run(["grep", "status>=500 and path~/api", dir.file("app.log").path])
    #expect(status == 0)
    #expect(out.split(separator: "\n").count == 2, "\(out)")
    let (countStatus, count, _) = try AgentProcess.run(["grep", "--count", "status>50", dir.file("app.log").path])
    #expect(countStatus == 0)
    #expect(count == "5\n", "10 is not > 50 numerically")
  }

  @Test func exitStatusesAndErrors() throws {
    let dir = try TempDirectory()
    try Self.log.write(to: dir.file("app.log"), atomically: true, encoding: .utf8)
    let (none, out, _) = try AgentProcess.run(["grep", "level=trace", dir.file("app.log").path])
    #expect(none == 1)
    #expect(out.isEmpty)
    let (bad, _, err) = try AgentProcess.run(["grep", "level>=loud", dir.file("app.log").path])
    #expect(bad == 2)
    #expect(err.contains("unknown level"))
    let (missing, _, err2) = try AgentProcess.run(["grep", "level>=info", dir.file("nope.log").path])
    #expect(missing == 2)
    #expect(err2.contains("No such file"))
  }
}
