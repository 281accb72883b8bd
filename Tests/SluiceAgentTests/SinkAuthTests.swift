import Foundation
import Testing

@testable import SluiceAgent

/// HTTP sink credentials: a bearer token from a file, picked up again when the file is
/// replaced (as Kubernetes rotates projected tokens), basic auth from the environment, and
/// neither secret ever in the agent's log.
@Suite("HTTP sink auth")
struct SinkAuthTests {
  @Test func aBearerTokenFileIsReadAgainWhenItChanges() async throws {
    let dir = try TempDirectory()
    let receiver = try await TestReceiver.start()
    defer { receiver.stop() }
    let tokenFile = dir.file("token").path
    try "first-token-0001\n".write(toFile: tokenFile, atomically: true, encoding: .utf8)
    try dir.append("{\"n\":1}\n", to: "logs/app.log")
    let config = dir.file("agent.yaml")
    try """
    data_dir: \(dir.path)/data
    sources: [{name: app, type: file, include: ["\(dir.path)/logs/*.log"], read_from: beginning, poll_interval: 20ms}]
    sinks:
      - {name: out, type: http, url: "\(receiver.url)", batch: {max_events: 1, max_age: 20ms}, auth: {type: bearer, token_file: \(tokenFile)}}
    admin: {address: "127.0.0.1:0"}
    """.write(to: config, atomically: true, encoding: .utf8)
    let agent = try AgentProcess(config: config)
    #expect(await receiver.waitForEvents(1, timeout: .seconds(30)))
    // Replaced the way the kubelet does it: a new file renamed over the old one.
    try "second-token-0002".write(toFile: tokenFile, atomically: true, encoding: .utf8)
    try dir.append("{\"n\":2}\n", to: "logs/app.log")
    #expect(await receiver.waitForEvents(2, timeout: .seconds(30)))
    #expect(await agent.terminate() == 0)
    #expect(receiver.requests.map(\.authorization) == ["Bearer first-token-0001", "Bearer second-token-0002"])
    let log = agent.logLines.joined(separator: "\n")
    #expect(!log.contains("first-token") && !log.contains("second-token"))
  }

  @Test func basicAuthFromTheEnvironment() throws {
    setenv("SLUICE_TEST_SINK_PASSWORD", "s3cret pass", 1)
    var config = try ConfigLoader.parse(
      yaml: """
        sources: [{name: a, type: file, include: [x]}]
        sinks: [{name: o, type: http, url: "http://127.0.0.1:1/x", auth: {type: basic, username: ops, password_env: SLUICE_TEST_SINK_PASSWORD}}]
        """
    ).sinks[0]
    let credentials = try Credentials(try #require(config.auth))
    #expect(credentials.authorization == "Basic " + Data("ops:s3cret pass".utf8).base64EncodedString())
    config.auth?.passwordEnv = "UNSET_VARIABLE_FOR_TEST"
    #expect(throws: SecretSource.Unavailable.self) { try Credentials(config.auth!) }
  }

  @Test(
    arguments: [
      ("{type: bearer}", "exactly one of token_file or token_env"),
      ("{type: bearer, token_file: /nonexistent/token}", "cannot read the secret file"),
      ("{type: bearer, token_file: /x, token_env: Y}", "exactly one"),
      ("{type: basic, password_env: HOME}", "needs a username"),
      ("{type: bearer, token_env: SLUICE_UNSET_TOKEN_VAR}", "is not set"),
      ("{type: digest, token_env: X}", "invalid value"),
    ])
  func brokenAuthIsAConfigurationError(_ auth: String, _ phrase: String) {
    do {
      _ = try ConfigLoader.parse(
        yaml: """
          sources: [{name: a, type: file, include: [x]}]
          sinks: [{name: o, type: http, url: "http://127.0.0.1:1/x", auth: \(auth)}]
          """)
      Issue.record("accepted \(auth)")
    } catch {
      #expect(error.path.hasPrefix("sinks[0].auth"), "\(error)")
      #expect(error.description.contains(phrase), "\(error)")
    }
  }
}
