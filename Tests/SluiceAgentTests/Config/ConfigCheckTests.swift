import Foundation
import Testing
import Yams

@testable import SluiceAgent

/// `ConfigLoader.check` reports every independent problem of a configuration, in file order,
/// and none that only follows from another.
struct ConfigCheckTests {
  /// The problems `check` finds in `yaml` (decoded without validation).
  static func problems(_ yaml: String) throws -> [ConfigError] {
    ConfigLoader.check(try YAMLDecoder().decode(AgentConfig.self, from: yaml)).errors
  }

  static func issue(_ path: String, _ message: String) -> ConfigError { ConfigError(path: path, message: message) }

  static let source = "sources:\n  - {name: app, type: file, include: [x]}\n"
  static let sink = "sinks:\n  - {name: out, type: console}\n"

  @Test func aValidConfigurationHasNoProblems() throws {
    #expect(try Self.problems(ConfigTests.valid).isEmpty)
  }

  @Test func aSinkWithSeveralBadSettingsReportsEach() throws {
    let yaml =
      Self.source + """
        sinks:
          - name: out
            type: http
            url: "http://127.0.0.1:8080/in"
            compression_level: 13
            concurrency: 100
            batch: {max_events: 0}
            unhealthy_after: 500ms
        """
    #expect(
      try Self.problems(yaml) == [
        Self.issue("sinks[0].compression_level", "must be 1 to 12 with compressor libdeflate"),
        Self.issue("sinks[0].batch.max_events", "must be at least 1"),
        Self.issue("sinks[0].concurrency", "must be 1 to 64"),
        Self.issue("sinks[0].unhealthy_after", "must be at least 1s"),
      ])
  }

  @Test func duplicateSourceNamesAndABadPollInterval() throws {
    let yaml =
      """
      sources:
        - {name: app, type: file, include: [a]}
        - {name: app, type: file, include: [b], poll_interval: 0s}
        - {name: "", type: file, include: [c]}
        - {name: "", type: file, include: [d]}
      """ + "\n" + Self.sink
    #expect(
      try Self.problems(yaml) == [
        Self.issue("sources[1].name", "duplicate source name 'app'"),
        Self.issue("sources[1].poll_interval", "must be at least 1ms"),
        // Two empty names are two empty names, not also a duplicate.
        Self.issue("sources[2].name", "must not be empty"),
        Self.issue("sources[3].name", "must not be empty"),
      ])
  }

  @Test func aFileSourceWithEmptyIncludeBadMaxLineBytesAndBadMultiline() throws {
    let yaml =
      """
      sources:
        - {name: app, type: file, include: [], max_line_bytes: 100, multiline: {max_lines: 0}}
        - {name: other, type: file, include: [x], multiline: {preset: java, pattern: "^\\\\s"}}
      """ + "\n" + Self.sink
    #expect(
      try Self.problems(yaml) == [
        Self.issue("sources[0].include", "at least one pattern is required"),
        Self.issue("sources[0].multiline", "needs a `preset` (java, python, go) or a `pattern`"),
        Self.issue("sources[0].multiline.max_lines", "must be at least 1"),
        Self.issue("sources[0].max_line_bytes", "must be at least 256 bytes"),
        Self.issue("sources[1].multiline", "`preset` and `pattern` are exclusive"),
      ])
  }

  @Test func aJournaldSourceWithSeveralMistakes() throws {
    let yaml =
      """
      sources:
        - name: journal
          type: journald
          path: ""
          units: [nginx, ""]
          identifiers: [""]
          matches: ["_TRANSPORT=kernel", "nonsense", "lower=x"]
          fields: {MESSAGE: msg, CODE_FILE: "", _PID: pid, _COMM: pid, bad-name: ""}
          max_field_bytes: 10
      """ + "\n" + Self.sink
    // `fields` in the map form are taken in key order: CODE_FILE, MESSAGE, _COMM, _PID, bad-name.
    #expect(
      try Self.problems(yaml) == [
        Self.issue("sources[0].path", "must not be empty (omit it for the local journal)"),
        Self.issue("sources[0].units[1]", "must not be empty"),
        Self.issue("sources[0].identifiers[0]", "must not be empty"),
        Self.issue("sources[0].matches[1]", "'nonsense' is not FIELD=value (e.g. _TRANSPORT=kernel)"),
        Self.issue("sources[0].matches[2]", "'lower=x' is not FIELD=value (e.g. _TRANSPORT=kernel)"),
        Self.issue("sources[0].fields.CODE_FILE", "the key must not be empty"),
        Self.issue("sources[0].fields[1]", "MESSAGE is always kept (as `message` / `level`)"),
        Self.issue("sources[0].fields", "two fields map to the key 'pid'"),
        Self.issue("sources[0].fields[4]", "'bad-name' is not a journal field name (A-Z, 0-9, _)"),
        // A second empty key is the same mistake again, not also a duplicate key.
        Self.issue("sources[0].fields.bad-name", "the key must not be empty"),
        Self.issue("sources[0].max_field_bytes", "must be at least 256 bytes"),
      ])
  }

  @Test func sinksMissingWhatTheirTypeNeeds() throws {
    let yaml =
      Self.source + """
        sinks:
          - {name: a, type: http}
          - {name: b, type: file}
          - {name: c, type: http, url: "ftp://example.com/x", tls: {}}
          - {name: d, type: http, url: "http://example.com/x", tls: {cert_file: /nonexistent/cert.pem}}
        """
    #expect(
      try Self.problems(yaml) == [
        Self.issue("sinks[0].url", "required for an http sink"),
        Self.issue("sinks[1].path", "required for a file sink"),
        // An invalid URL is not also "not https://" for the TLS settings.
        Self.issue("sinks[2].url", "'ftp://example.com/x' is not an http:// or https:// URL"),
        Self.issue("sinks[3].tls", "set, but the url is not https://"),
        Self.issue("sinks[3].tls", "cert_file and key_file go together"),
        Self.issue("sinks[3].tls.cert_file", "cannot read /nonexistent/cert.pem"),
      ])
  }

  @Test func httpSettingsOnAFileSinkAreRefusedNotCheckedFurther() throws {
    let yaml =
      Self.source + """
        sinks:
          - name: f
            type: file
            path: out.ndjson
            encoding: loki
            tls: {ca_file: /nonexistent/ca.pem}
            concurrency: 100
            compression: gzip
            loki: {labels: {}}
            rotate: {max_files: 0}
            buffer: {max_events: 0, max_bytes: 1KiB}
        """
    #expect(
      try Self.problems(yaml) == [
        Self.issue("sinks[0].encoding", "only for http sinks"),
        Self.issue("sinks[0].tls", "only for http sinks"),
        Self.issue("sinks[0].concurrency", "only for http sinks"),
        Self.issue("sinks[0].compression", "only for http sinks"),
        Self.issue("sinks[0].buffer.max_events", "must be at least 1"),
        Self.issue("sinks[0].buffer.max_bytes", "must be at least 64KiB"),
        Self.issue("sinks[0].rotate.max_files", "must be at least 1"),
      ])
  }

  @Test func lokiLabelsAreEachChecked() throws {
    let yaml =
      Self.source + """
        sinks:
          - name: l
            type: http
            url: "http://127.0.0.1:3100/loki/api/v1/push"
            encoding: loki
            loki: {labels: {}, label_fields: {bad-one: a, 9lives: b, ok: c}}
        """
    #expect(
      try Self.problems(yaml) == [
        Self.issue("sinks[0].loki", "'9lives' is not a Loki label name ([a-zA-Z_][a-zA-Z0-9_]*)"),
        Self.issue("sinks[0].loki", "'bad-one' is not a Loki label name ([a-zA-Z_][a-zA-Z0-9_]*)"),
        Self.issue("sinks[0].loki.labels", "needs at least one fixed label (an event may have none of label_fields)"),
      ])
  }

  @Test func aMetricsStepWithTwoBadRulesReportsBoth() throws {
    let yaml =
      Self.source + Self.sink + """
        pipeline:
          - {type: parse}
          - type: metrics
            max_series: 0
            rules:
              - {name: requests, labels: {user: user_id, route: "@route"}}
              - {name: latency_seconds, type: histogram, buckets: [1, 0.5], scale: -1}
              - {name: bytes_total, type: counter, field: size, scale: -1, buckets: [1]}
              - {name: requests, type: sum, field: size}
        """
    #expect(
      try Self.problems(yaml) == [
        Self.issue("pipeline[1].max_series", "must be 1 to 100000"),
        Self.issue("pipeline[1].rules[0].name", "a counter is a Prometheus counter: its name ends in _total"),
        Self.issue(
          "pipeline[1].rules[0].labels.user",
          "field 'user_id' cannot be a label: its values are personal data, and a label is exported to Prometheus "
            + "unredacted and kept for its retention; count by a bounded field such as service, route, status or "
            + "level, and look single values up in the logs (sluice grep)"),
        Self.issue("pipeline[1].rules[0].labels.route", "'@route' is not a derived value (known: @service, @level)"),
        Self.issue("pipeline[1].rules[1].field", "a histogram needs a numeric field"),
        Self.issue("pipeline[1].rules[1].buckets", "must be finite and strictly ascending"),
        Self.issue("pipeline[1].rules[1].scale", "must be a positive number"),
        // A counter's scale is refused, not also checked for its value.
        Self.issue("pipeline[1].rules[2].field", "only for histogram and sum"),
        Self.issue("pipeline[1].rules[2].scale", "only for histogram and sum"),
        Self.issue("pipeline[1].rules[2].buckets", "only for histogram"),
        Self.issue("pipeline[1].rules[3].name", "metric 'requests' is defined twice"),
        Self.issue("pipeline[1].rules[3].name", "a sum is a Prometheus counter: its name ends in _total"),
      ])
  }

  @Test func duplicateStepNamesAndAFilterWithABadQuery() throws {
    let yaml =
      Self.source + Self.sink + """
        pipeline:
          - {type: filter, name: f, keep: "level>="}
          - {type: parse}
          - {type: set, name: f, fields: {env: prod}}
          - {type: remove, fields: [ok, ".lead", "trail."]}
        """
    #expect(
      try Self.problems(yaml) == [
        Self.issue("pipeline[0].keep", "query error at 7: expected a value after '>=', found the end in 'level>='"),
        Self.issue(
          "pipeline[0]",
          "`filter` must come after a `type: parse` step (before it, events are raw lines, not JSON objects)"),
        Self.issue("pipeline[2].name", "duplicate step name 'f'"),
        Self.issue("pipeline[3].fields[1]", "'.lead' is not a field name or dotted path"),
        Self.issue("pipeline[3].fields[2]", "'trail.' is not a field name or dotted path"),
      ])
  }

  @Test func aRedactStepReportsEachBadDetectorAndPattern() throws {
    let yaml =
      Self.source + Self.sink + """
        pipeline:
          - {type: parse}
          - type: redact
            detectors: [email, emial, phnoe]
            patterns:
              - {name: "", regex: "ok[0-9]+"}
              - {name: "a b", regex: "x"}
            deny_action: hash
        """
    let known = RedactPolicyBuilder.knownDetectors.joined(separator: ", ")
    #expect(
      try Self.problems(yaml) == [
        Self.issue("pipeline[1].detectors[1]", "unknown detector 'emial' (known: \(known))"),
        Self.issue("pipeline[1].detectors[2]", "unknown detector 'phnoe' (known: \(known))"),
        Self.issue("pipeline[1].patterns[0].name", "must be a non-empty ASCII word"),
        Self.issue("pipeline[1].patterns[1].name", "must be a non-empty ASCII word"),
        Self.issue("pipeline[1].hash_key_file", "set exactly one of hash_key_file or hash_key_env"),
      ])
  }

  @Test func topLevelAdminAndDataDirProblems() throws {
    let yaml =
      Self.source + Self.sink + """
        checkpoint_interval: 1ms
        data_dir: ""
        admin: {address: "nohost", stall_after: 10ms}
        """
    #expect(
      try Self.problems(yaml) == [
        Self.issue("checkpoint_interval", "must be at least 10ms"),
        Self.issue("admin.address", "'nohost' is not host:port"),
        Self.issue("admin.stall_after", "must be at least 1s"),
        Self.issue("data_dir", "must not be empty"),
      ])
  }

  @Test func validateThrowsTheFirstProblemOfCheck() throws {
    let yaml = "sources: []\nsinks: []\ncheckpoint_interval: 1ms\n"
    let config = try YAMLDecoder().decode(AgentConfig.self, from: yaml)
    #expect(
      ConfigLoader.check(config).errors == [
        Self.issue("sources", "at least one source is required"),
        Self.issue("sinks", "at least one sink is required"),
        Self.issue("checkpoint_interval", "must be at least 10ms"),
      ])
    #expect(throws: Self.issue("sources", "at least one source is required")) { try ConfigLoader.validate(config) }
  }
}
