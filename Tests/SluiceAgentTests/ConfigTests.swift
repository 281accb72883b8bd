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
      "pipeline[0].detectors.email.action", "invalid value for 'action'"
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
    #expect(out.contains("valid"))

    let bad = dir.file("bad.yaml")
    try Self.valid.replacingOccurrences(of: "url:", with: "uri:").write(to: bad, atomically: true, encoding: .utf8)
    let (status, _, err) = try AgentProcess.run(["validate", "--config", bad.path])
    #expect(status != 0)
    #expect(err.contains("sinks[0].uri: unknown key 'uri'"), "\(err)")

    let (missing, _, err2) = try AgentProcess.run(["validate", "--config", dir.file("nope.yaml").path])
    #expect(missing != 0)
    #expect(err2.contains("cannot read"), "\(err2)")
  }
}
