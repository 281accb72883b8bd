import Foundation
import Testing

@testable import SluiceAgent

struct ConfigTests {
  static let valid = """
    data_dir: ./data
    sources:
      - {name: app, type: file, include: ["./demo/logs/*.log"], read_from: beginning}
    pipeline:
      - {type: parse}
      - {type: redact}
      - {type: metrics}
    sinks:
      - {name: out, type: http, url: "http://127.0.0.1:8080/ingest", encoding: ndjson, compression: gzip}
    admin: {address: "127.0.0.1:9464"}
    """

  @Test func parsesTheDocumentedShapeWithDefaults() throws {
    let c = try ConfigLoader.parse(yaml: Self.valid)
    #expect(c.dataDir == "./data")
    #expect(c.sources.count == 1)
    let file = try #require(c.sources[0].settings(as: FileSourceConfig.self))
    #expect(file.readFrom == .beginning)
    #expect(file.exclude == ["*.gz"])
    #expect(file.pollInterval == .milliseconds(250))
    #expect(file.maxLineBytes.bytes == 1 << 20)
    #expect(c.pipeline.map(\.type) == ["parse", "redact", "metrics"])
    #expect(c.sinks[0].compression == .gzip)
    #expect(c.sinks[0].batch.maxEvents == 1000)
    #expect(c.sinks[0].batch.maxAge == .seconds(1))
    #expect(try c.admin.hostAndPort() == ("127.0.0.1", 9464))
    #expect(c.shutdownGrace == .seconds(25))
  }

  @Test func durationsAndSizes() {
    #expect(ConfigDuration(parsing: "250ms")?.nanoseconds == 250_000_000)
    #expect(ConfigDuration(parsing: "1.5s")?.nanoseconds == 1_500_000_000)
    #expect(ConfigDuration(parsing: "2m")?.nanoseconds == 120_000_000_000)
    #expect(ConfigDuration(parsing: "3")?.nanoseconds == 3_000_000_000)
    #expect(ConfigDuration(parsing: "soon") == nil)
    #expect(ConfigDuration(parsing: "-1s") == nil)
    #expect(ByteSize(parsing: "64KiB")?.bytes == 65536)
    #expect(ByteSize(parsing: "1MiB")?.bytes == 1 << 20)
    #expect(ByteSize(parsing: "2MB")?.bytes == 2_000_000)
    #expect(ByteSize(parsing: "4096")?.bytes == 4096)
    #expect(ByteSize(parsing: "lots") == nil)
  }

  /// Each broken config names the offending key and says what is wrong.
  @Test(arguments: [
    (
      "sinks:\n  - {name: out, type: http}\nsources:\n  - {name: a, type: file, include: [x]}", "sinks[0].url",
      "required"
    ),
    (
      "sources:\n  - {name: a, type: file, include: [x], raed_from: end}\nsinks:\n  - {name: o, type: console}",
      "sources[0].raed_from", "unknown key"
    ),
    (
      "sources:\n  - {name: a, type: file, include: [x]}\nsinks:\n  - {name: o, type: console, batch: {max_age: soon}}",
      "sinks[0].batch.max_age", "not a duration"
    ),
    (
      "sources:\n  - {name: a, type: kafka, include: [x]}\nsinks:\n  - {name: o, type: console}", "sources[0].type",
      "invalid value"
    ),
    ("sources:\n  - {name: a, type: file}\nsinks:\n  - {name: o, type: console}", "sources[0].include", "missing"),
    (
      "sources:\n  - {name: a, type: file, include: [x]}\nsinks:\n  - {name: o, type: http, url: 'ftp://x/y'}",
      "sinks[0].url", "http"
    ),
    (
      "sources:\n  - {name: a, type: file, include: [x]}\n  - {name: a, type: file, include: [y]}\nsinks:\n  - {name: o, type: console}",
      "sources[1].name", "duplicate"
    ),
    ("sources: []\nsinks:\n  - {name: o, type: console}", "sources", "at least one"),
    (
      "sources:\n  - {name: a, type: file, include: [x]}\nsinks:\n  - {name: o, type: console}\npipeline:\n  - {type: redact, detectors: [dna]}",
      "pipeline[0].detectors[0]", "unknown detector"
    ),
    (
      "sources:\n  - {name: a, type: file, include: [x]}\nsinks:\n  - {name: o, type: console}\npipeline:\n  - {type: redact, detectors: {email: {action: scramble}}}",
      "pipeline[0].detectors.email.action", "invalid value 'scramble' (one of: mask, partial, hash, drop)"
    ),
    (
      "sources:\n  - {name: a, type: file, include: [x]}\nsinks:\n  - {name: o, type: console}\npipeline:\n  - {type: redact, patterns: [{name: cust, regex: 'a(b'}]}",
      "pipeline[0].patterns[0].regex", "invalid regular expression"
    ),
    (
      "sources:\n  - {name: a, type: file, include: [x]}\nsinks:\n  - {name: o, type: console}\npipeline:\n  - {type: redact, action: hash}",
      "pipeline[0].hash_key_file", "exactly one of hash_key_file or hash_key_env"
    ),
    (
      "sources:\n  - {name: a, type: file, include: [x]}\nsinks:\n  - {name: o, type: console}\npipeline:\n  - {type: redact, action: hash, hash_key_env: SLUICE_TEST_SHORT_KEY_UNSET}",
      "pipeline[0].hash_key_file", "is not set"
    ),
    (
      "sources:\n  - {name: a, type: file, include: [x]}\nsinks:\n  - {name: o, type: console}\npipeline:\n  - {type: parse, deny_fields: [x]}",
      "pipeline[0].deny_fields", "unknown key 'deny_fields' (known keys: type, name)"
    ),
    (
      "sources:\n  - {name: a, type: file, include: [x]}\nsinks:\n  - {name: o, type: console}\nadmin: {address: nowhere}",
      "admin.address", "host:port"
    ),
    ("sources: [ {name: a", "", "YAML"),
  ])
  func rejectsBrokenConfigsReadably(yaml: String, path: String, phrase: String) {
    do {
      _ = try ConfigLoader.parse(yaml: yaml)
      Issue.record("accepted an invalid config:\n\(yaml)")
    } catch {
      #expect(error.path == path, "\(error)")
      #expect(error.description.contains(phrase), "\(error)")
    }
  }

  @Test func validateCommandExitCodes() throws {
    let dir = try TempDirectory()
    let good = dir.file("good.yaml")
    try Self.valid.write(to: good, atomically: true, encoding: .utf8)
    let (ok, out, _) = try AgentProcess.run(["validate", "--config", good.path])
    #expect(ok == 0)
    #expect(out == "OK: \(good.path)\n1 source (file) → parse, redact, metrics → 1 sink (http)\n", "\(out)")

    // Invalid: every problem with its position on standard error, exit 1.
    let bad = dir.file("bad.yaml")
    try Self.valid.replacingOccurrences(of: "url:", with: "uri:").replacingOccurrences(
      of: "read_from: beginning", with: "read_from: start"
    ).write(to: bad, atomically: true, encoding: .utf8)
    let (status, _, err) = try AgentProcess.run(["validate", "--config", bad.path])
    #expect(status == 1)
    let lines = err.split(separator: "\n").map(String.init)
    #expect(
      lines == [
        "\(bad.path):3:72: sources[0].read_from: invalid value 'start' (one of: beginning, end)",
        "\(bad.path):9:5: sinks[0].url: required for an http sink",
        "\(bad.path):9:29: sinks[0].uri: unknown key 'uri' (did you mean 'url'?)",
        "\(bad.path): 3 problems",
      ], "\(err)")

    // JSON for CI tooling.
    let (jsonStatus, json, _) = try AgentProcess.run(["validate", "--config", bad.path, "--format", "json"])
    #expect(jsonStatus == 1)
    let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
    #expect(object?["valid"] as? Bool == false)
    let errors = object?["errors"] as? [[String: Any]] ?? []
    #expect(errors.count == 3)
    #expect(errors.first?["line"] as? Int == 3 && errors.first?["column"] as? Int == 72)
    #expect(errors.first?["path"] as? String == "sources[0].read_from")

    // The agent refuses the same file the same way and does not start.
    let (agentStatus, _, agentErr) = try AgentProcess.run(["agent", "--config", bad.path])
    #expect(agentStatus == 1)
    #expect(agentErr.contains("sinks[0].uri: unknown key 'uri'"), "\(agentErr)")

    // Usage errors exit 2.
    #expect(try AgentProcess.run(["validate"]).0 == 2)
    #expect(try AgentProcess.run(["validate", "--config", good.path, "--bogus"]).0 == 2)

    let (missing, _, err2) = try AgentProcess.run(["validate", "--config", dir.file("nope.yaml").path])
    #expect(missing == 1)
    #expect(err2.contains("cannot read"), "\(err2)")
  }

  @Test func printShowsTheEffectiveConfigurationWithSecretsMasked() throws {
    let dir = try TempDirectory()
    let file = dir.file("agent.yaml")
    try Self.valid.replacingOccurrences(
      of: "compression: gzip}", with: "compression: gzip, headers: {Authorization: \"Bearer ${SLUICE_TEST_TOKEN}\"}}"
    ).write(to: file, atomically: true, encoding: .utf8)
    setenv("SLUICE_TEST_TOKEN", "tok-123-secret", 1)
    defer { unsetenv("SLUICE_TEST_TOKEN") }
    for arguments in [
      ["validate", "--print", "--config", file.path], ["agent", "--print-config", "--config", file.path],
    ] {
      let (status, out, err) = try AgentProcess.run(arguments)
      #expect(status == 0, "\(err)")
      #expect(out.contains("batch:\n    max_events: 1000"), "\(out)")
      #expect(out.contains("Authorization: '****'") || out.contains("Authorization: ****"), "\(out)")
      #expect(!out.contains("tok-123-secret"))
    }
  }

  @Test func configDirFromTheCommandLine() throws {
    let dir = try TempDirectory()
    try FileManager.default.createDirectory(atPath: dir.file("conf.d").path, withIntermediateDirectories: true)
    try "sources:\n  - {name: app, type: file, include: [/x/*.log]}\n".write(
      to: dir.file("conf.d/10-sources.yaml"), atomically: true, encoding: .utf8)
    try "sinks:\n  - {name: out, type: console}\n".write(
      to: dir.file("conf.d/20-sinks.yaml"), atomically: true, encoding: .utf8)
    let (status, out, err) = try AgentProcess.run(["validate", "--config-dir", dir.file("conf.d").path])
    #expect(status == 0, "\(err)")
    #expect(out.hasSuffix("1 source (file) → parse → 1 sink (console)\n"), "\(out)")
    let (empty, _, emptyErr) = try AgentProcess.run(["validate", "--config-dir", dir.path + "/nothing-here"])
    #expect(empty == 1)
    #expect(emptyErr.contains("cannot read directory"), "\(emptyErr)")
  }

}
