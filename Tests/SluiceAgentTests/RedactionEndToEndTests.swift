import AsyncHTTPClient
import Crypto
import Foundation
import Testing

@testable import SluiceAgent

/// The `redact` step in the agent binary, over real HTTP: every action, deny and allow
/// lists, the HMAC key from a file, per-rule metrics, and the key never in the agent's log.
@Suite("Redaction in the agent")
struct RedactionEndToEndTests {
  @Test func actionsFieldRulesKeyFileAndMetrics() async throws {
    let dir = try TempDirectory()
    let receiver = try await TestReceiver.start()
    defer { receiver.stop() }
    let key = "k3y-for-tests-0123456789abcdef"
    try (key + "\n").write(to: dir.file("hash.key"), atomically: true, encoding: .utf8)
    let lines = [
      #"{"level":"info","message":"login by alice@example.com","request_id":"alice@example.com"}"#,
      #"{"level":"info","message":"again alice@example.com, then bob@example.org","user":{"password":"hunter2","name":"Al"}}"#,
      #"{"level":"warn","message":"headers","headers":{"Cookie":"sid=1","Accept":"*/*"},"tags":["x","carol@example.net"]}"#,
      #"plain text line from dave@example.com"#,
    ]
    try dir.append(lines.joined(separator: "\n") + "\n", to: "logs/app.log")
    let config = dir.file("agent.yaml")
    try """
    data_dir: \(dir.path)/data
    sources:
      - {name: app, type: file, include: ["\(dir.path)/logs/*.log"], read_from: beginning, poll_interval: 50ms}
    pipeline:
      - {type: parse}
      - type: redact
        detectors: {email: {action: hash}}
        deny_fields: [password, "headers.*"]
        deny_action: drop
        allow_fields: [request_id]
        hash_key_file: \(dir.path)/hash.key
    sinks:
      - {name: out, type: http, url: "\(receiver.url)", compression: gzip, batch: {max_events: 100, max_age: 100ms}}
    admin: {address: "127.0.0.1:0"}
    """.write(to: config, atomically: true, encoding: .utf8)
    let agent = try AgentProcess(config: config)
    #expect(await receiver.waitForEvents(lines.count, timeout: .seconds(30)))
    let port = try #require(await agent.adminPort())
    let emailCount = try await metric(#"sluice_redactions_total{rule="email"}"#, port: port)
    let fieldCount = try await metric(#"sluice_redactions_total{rule="field"}"#, port: port)
    #expect(await agent.terminate() == 0)

    // The digest is HMAC-SHA256 under the file's key (its newline ignored), first 8 bytes.
    func digest(_ s: String) -> String {
      let mac = HMAC<SHA256>.authenticationCode(for: Data(s.utf8), using: SymmetricKey(data: Data(key.utf8)))
      return "[HASH:email:" + mac.prefix(8).map { String(format: "%02x", $0) }.joined() + "]"
    }
    let alice = digest("alice@example.com")
    let got = receiver.lines
    #expect(
      got == [
        #"{"level":"info","message":"login by \#(alice)","request_id":"alice@example.com"}"#,
        #"{"level":"info","message":"again \#(alice), then \#(digest("bob@example.org"))","user":{"name":"Al"}}"#,
        #"{"level":"warn","message":"headers","headers":{},"tags":["x","\#(digest("carol@example.net"))"]}"#,
        #"{"message":"plain text line from \#(digest("dave@example.com"))"}"#,
      ])
    #expect(emailCount == 5)
    #expect(fieldCount == 3)
    #expect(!agent.logLines.joined().contains(key))
  }

  @Test func aHashActionWithoutAKeyIsAConfigurationError() async throws {
    let dir = try TempDirectory()
    let config = dir.file("agent.yaml")
    try """
    sources: [{name: app, type: file, include: ["\(dir.path)/*.log"]}]
    pipeline: [{type: redact, detectors: {email: {action: hash}}, hash_key_file: \(dir.path)/missing.key}]
    sinks: [{name: out, type: console}]
    """.write(to: config, atomically: true, encoding: .utf8)
    let (status, _, stderr) = try AgentProcess.run(["agent", "--config", config.path])
    #expect(status != 0)
    #expect(
      stderr.contains("pipeline[0].hash_key_file") && stderr.contains("cannot read the secret file"), "\(stderr)")
  }

  /// One series of the admin endpoint's metrics, e.g. `name{rule="email"}`.
  func metric(_ series: String, port: Int) async throws -> Double? {
    let response = try await HTTPClient.shared.get(url: "http://127.0.0.1:\(port)/metrics").get()
    guard let body = response.body else { return nil }
    for line in String(buffer: body).split(separator: "\n") where line.hasPrefix(series + " ") {
      return Double(line.split(separator: " ").last!)
    }
    return nil
  }
}
