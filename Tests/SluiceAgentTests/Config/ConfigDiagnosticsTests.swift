import Foundation
import Testing

@testable import SluiceAgent

/// Broken configurations and the exact problems `sluice validate` lists for them: every
/// problem at once, in file order, each with line:column and key path.
@Suite("Config diagnostics")
struct ConfigDiagnosticsTests {
  /// A valid file source and console sink, to which each case adds or changes lines.
  static let source = "sources:\n  - name: app\n    type: file\n    include: [\"/var/log/app/*.log\"]\n"
  static let sink = "sinks:\n  - name: out\n    type: console\n"

  struct Case: CustomTestStringConvertible, Sendable {
    var name: String
    var yaml: String
    var expected: [String]
    var environment: [String: String] = [:]
    var testDescription: String { name }
  }

  static let cases: [Case] = [
    Case(
      name: "unknown top-level key with a suggestion, and the missing required one",
      yaml: source + "sinkz:\n  - {name: out, type: console}\n",
      expected: [
        "1:1: sinks: required key is missing",
        "5:1: sinkz: unknown key 'sinkz' (did you mean 'sinks'?)",
      ]),
    Case(
      name: "mistyped include: the suggestion and the missing key",
      yaml: "sources:\n  - name: app\n    type: file\n    includ: [\"/x/*.log\"]\n" + sink,
      expected: [
        "2:5: sources[0].include: required key is missing",
        "4:5: sources[0].includ: unknown key 'includ' (did you mean 'include'?)",
      ]),
    Case(
      name: "broken globs: an unclosed bracket and a '**' inside a name",
      yaml: "sources:\n  - name: app\n    type: file\n    include: [\"/var/log/[ab.log\", \"/var/log/app**/x.log\"]\n"
        + "    exclude: [\"\"]\n" + sink,
      expected: [
        "4:15: sources[0].include[0]: '[' at position 10 is not closed by ']' in its path component",
        "4:35: sources[0].include[1]: '**' must be a whole path component ('dir/**/x.log'), not part of 'app**'",
        "5:15: sources[0].exclude[0]: an empty pattern matches nothing",
      ]),
    Case(
      name: "a duration that is not one",
      yaml: source + "    poll_interval: fast\n" + sink,
      expected: ["5:20: sources[0].poll_interval: 'fast' is not a duration (examples: 250ms, 5s, 2m, 1h)"]),
    Case(
      name: "a size that is not one",
      yaml: source + "    max_line_bytes: lots\n" + sink,
      expected: ["5:21: sources[0].max_line_bytes: 'lots' is not a size (examples: 4096, 64KiB, 1MiB)"]),
    Case(
      name: "a size below the minimum",
      yaml: source + "    max_line_bytes: 10\n" + sink,
      expected: ["5:21: sources[0].max_line_bytes: must be at least 256 bytes"]),
    Case(
      name: "an enum value with the choices",
      yaml: source + "    read_from: start\n" + sink,
      expected: ["5:16: sources[0].read_from: invalid value 'start' (one of: beginning, end)"]),
    Case(
      name: "a mistyped source type",
      yaml: "sources:\n  - name: app\n    type: jornald\n" + sink,
      expected: [
        "3:11: sources[0].type: invalid value 'jornald' for 'type' (did you mean 'journald'?; known source types: file, journald)"
      ]),
    Case(
      name: "two sources with one name",
      yaml: source + "  - name: app\n    type: journald\n" + sink,
      expected: ["5:11: sources[1].name: duplicate source name 'app'"]),
    Case(
      name: "a list where a string list is wanted gets a type error",
      yaml: "sources:\n  - name: app\n    type: file\n    include: /var/log/*.log\n" + sink,
      expected: ["4:14: sources[0].include: expected a list, found '/var/log/*.log'"]),
    Case(
      name: "a mapping where the sources list is wanted",
      yaml: "sources: {name: app}\n" + sink,
      expected: ["1:1: sources: expected a list, found a mapping"]),
    Case(
      name: "an http sink without url",
      yaml: source + "sinks:\n  - name: out\n    type: http\n",
      expected: ["6:5: sinks[0].url: required for an http sink"]),
    Case(
      name: "an http sink with an ftp url",
      yaml: source + "sinks:\n  - name: out\n    type: http\n    url: ftp://example.org/x\n",
      expected: ["8:10: sinks[0].url: 'ftp://example.org/x' is not an http:// or https:// URL"]),
    Case(
      name: "several sink mistakes in one flow mapping",
      yaml: source + "sinks:\n  - {name: out, type: http, url: \"http://127.0.0.1:1\", batch: {max_events: 0}, "
        + "compression_level: 13, concurrency: 100}\n",
      expected: [
        "6:76: sinks[0].batch.max_events: must be at least 1",
        "6:99: sinks[0].compression_level: must be 1 to 12 with compressor libdeflate",
        "6:116: sinks[0].concurrency: must be 1 to 64",
      ]),
    Case(
      name: "tls on an http:// url",
      yaml: source + "sinks:\n  - name: out\n    type: http\n    url: http://127.0.0.1:1\n    tls: {}\n",
      expected: ["9:5: sinks[0].tls: set, but the url is not https://"]),
    Case(
      name: "a client certificate without its key, and an unreadable CA file",
      yaml: source + "sinks:\n  - name: out\n    type: http\n    url: https://127.0.0.1:1\n"
        + "    tls:\n      ca_file: /nonexistent/ca.pem\n      cert_file: /nonexistent/c.pem\n",
      expected: [
        "9:5: sinks[0].tls: cert_file and key_file go together",
        "10:16: sinks[0].tls.ca_file: cannot read /nonexistent/ca.pem",
        "11:18: sinks[0].tls.cert_file: cannot read /nonexistent/c.pem",
      ]),
    Case(
      name: "an unreadable token file",
      yaml: source + "sinks:\n  - name: out\n    type: http\n    url: https://127.0.0.1:1\n"
        + "    auth: {type: bearer, token_file: /nonexistent/token}\n",
      expected: ["9:5: sinks[0].auth: cannot read the secret file /nonexistent/token"]),
    Case(
      name: "loki with a bad label name (labels default to {job: sluice})",
      yaml: source + "sinks:\n  - name: out\n    type: http\n    url: http://127.0.0.1:1\n    encoding: loki\n"
        + "    loki:\n      label_fields: {bad-name: service}\n",
      expected: [
        "10:5: sinks[0].loki: 'bad-name' is not a Loki label name ([a-zA-Z_][a-zA-Z0-9_]*)"
      ]),
    Case(
      name: "a small buffer and a disk segment out of range",
      yaml: source
        + "sinks:\n  - name: out\n    type: console\n    buffer: {type: disk, max_bytes: 1KiB, segment_bytes: 1KiB}\n",
      expected: [
        "8:37: sinks[0].buffer.max_bytes: must be at least 64KiB",
        "8:58: sinks[0].buffer.segment_bytes: must be 64KiB to 1GiB",
      ]),
    Case(
      name: "http-only keys on a file sink",
      yaml: source + "sinks:\n  - name: out\n    type: file\n    path: /tmp/out.ndjson\n    encoding: loki\n"
        + "    concurrency: 2\n",
      expected: [
        "9:15: sinks[0].encoding: only for http sinks",
        "10:18: sinks[0].concurrency: only for http sinks",
      ]),
    Case(
      name: "unhealthy_after below a second",
      yaml: source + sink + "    unhealthy_after: 500ms\n",
      expected: ["8:22: sinks[0].unhealthy_after: must be at least 1s"]),
    Case(
      name: "backoff bounds the wrong way round",
      yaml: source + sink + "    retry: {initial_backoff: 10s, max_backoff: 1s}\n",
      expected: ["8:5: sinks[0].retry: need 0 < initial_backoff <= max_backoff"]),
    Case(
      name: "a sink type that does not exist",
      yaml: source + "sinks:\n  - name: out\n    type: kafka\n",
      expected: ["7:11: sinks[0].type: invalid value 'kafka' (one of: http, file, console)"]),
    Case(
      name: "checkpoint interval, admin address, stall_after and enabled",
      yaml: source + sink + "checkpoint_interval: 1ms\nadmin:\n  address: nowhere\n  stall_after: 100ms\n"
        + "  enabled: maybe\n",
      expected: [
        "8:22: checkpoint_interval: must be at least 10ms",
        "10:12: admin.address: 'nowhere' is not host:port",
        "11:16: admin.stall_after: must be at least 1s",
        "12:12: admin.enabled: expected true or false, found 'maybe'",
      ]),
    Case(
      name: "a data_dir under a file cannot be created",
      yaml: "data_dir: /dev/null/sluice\n" + source + sink,
      expected: ["1:11: data_dir: cannot be created: '/dev/null' is not a directory"]),
    Case(
      name: "a metrics step before parse",
      yaml: source + "pipeline:\n  - type: metrics\n" + sink,
      expected: [
        "6:5: pipeline[0]: `metrics` must come after a `type: parse` step (before it, events are raw lines, not JSON objects)"
      ]),
    Case(
      name: "two refused metric labels in two rules",
      yaml: source + "pipeline:\n  - type: parse\n  - type: metrics\n    rules:\n"
        + "      - {name: a_total, labels: {who: user_id}}\n      - {name: b_total, labels: {req: request_id}}\n"
        + sink,
      expected: [
        "9:39: pipeline[1].rules[0].labels.who: field 'user_id' cannot be a label",
        "10:39: pipeline[1].rules[1].labels.req: field 'request_id' cannot be a label",
      ]),
    Case(
      name: "a filter with a broken query",
      yaml: source + "pipeline:\n  - type: parse\n  - {type: filter, keep: 'level >>= error'}\n" + sink,
      expected: [
        "7:26: pipeline[1].keep: query error at 6: unknown operator '>>=' in 'level >>= error'"
      ]),
    Case(
      name: "a filter with both keep and drop",
      yaml: source + "pipeline:\n  - type: parse\n  - {type: filter, keep: 'level>=error', drop: 'x=1'}\n" + sink,
      expected: ["7:5: pipeline[1]: `keep` and `drop` exclude each other; use one"]),
    Case(
      name: "a mistyped step type",
      yaml: source + "pipeline:\n  - type: redcat\n" + sink,
      expected: [
        "6:11: pipeline[0].type: invalid value 'redcat' for 'type' (did you mean 'redact'?; known step types: parse, redact, filter, set, remove, metrics)"
      ]),
    Case(
      name: "two steps with one name",
      yaml: source + "pipeline:\n  - {type: parse, name: p}\n  - {type: redact, name: p}\n" + sink,
      expected: ["7:26: pipeline[1].name: duplicate step name 'p'"]),
    Case(
      name: "an unknown detector in redact",
      yaml: source + "pipeline:\n  - type: parse\n  - type: redact\n    detectors: {emial: {action: mask}}\n" + sink,
      expected: ["8:5: pipeline[1].detectors[0]: unknown detector 'emial' (known: email, card,"]),
    Case(
      name: "an unset environment variable",
      yaml: source + "sinks:\n  - name: out\n    type: http\n    url: ${SINK_URL}\n",
      expected: [
        "8:10: sinks[0].url: environment variable SINK_URL is not set (write ${SINK_URL:-default} to give a default)"
      ]),
    Case(
      name: "an unclosed reference",
      yaml: source + "sinks:\n  - name: out\n    type: http\n    url: http://${HOST\n",
      expected: ["8:10: sinks[0].url: '${' without a closing '}' (write '$${' for a literal '${')"]),
    Case(
      name: "a reference with a name that is not one",
      yaml: "data_dir: ${1DIR}\n" + source + sink,
      expected: ["1:11: data_dir: '${1DIR}' is not a variable reference (names are letters, digits and _)"]),
    Case(
      name: "a duplicate YAML key",
      yaml: source + sink + "    type: file\n",
      expected: [
        "7:5: YAML syntax error: the key 'type' appears more than once in this mapping (a later value would silently win)"
      ]),
    Case(
      name: "a journald source with a bad priority and an unknown key",
      yaml: "sources:\n  - name: sys\n    type: journald\n    priority: loud\n    unit: [nginx]\n" + sink,
      expected: [
        "4:15: sources[0].priority: 'loud' is not a priority (emerg, alert, crit, err, warning, notice, info, debug, or 0-7)",
        "5:5: sources[0].unit: unknown key 'unit' (did you mean 'units'?)",
      ]),
    Case(
      name: "a multiline pattern that is not a regular expression",
      yaml: source + "    multiline: {pattern: '([a-z', mode: start}\n" + sink,
      expected: ["5:26: sources[0].multiline.pattern: invalid pattern: "]),
    Case(
      name: "no sources and no sinks",
      yaml: "data_dir: ./data\n",
      expected: ["1:1: sources: required key is missing", "1:1: sinks: required key is missing"]),
    Case(
      name: "empty lists of sources and sinks",
      yaml: "sources: []\nsinks: []\n",
      expected: ["1:1: sources: at least one source is required", "2:1: sinks: at least one sink is required"]),
    Case(
      name: "an empty document",
      yaml: "# nothing yet\n",
      expected: ["the configuration is empty"]),
    Case(
      name: "many mistakes in one file, in file order",
      yaml: "data_dir: ${NOPE}\n"
        + "sources:\n  - name: app\n    type: file\n    includ: [x]\n    poll_interval: fast\n"
        + "  - name: sys\n    type: jornald\n" + "pipeline:\n  - type: parse\n  - type: metrics\n    rules:\n"
        + "      - {name: hits_total, labels: {who: user_id}}\n"
        + "sinks:\n  - {name: out, type: http, url: \"http://x\", batch: {max_events: 0}, compression_level: 13}\n"
        + "  - name: f\n    type: file\nadmin:\n  enabled: maybe\n",
      expected: [
        "1:11: data_dir: environment variable NOPE is not set (write ${NOPE:-default} to give a default)",
        "3:5: sources[0].include: required key is missing",
        "5:5: sources[0].includ: unknown key 'includ' (did you mean 'include'?)",
        "6:20: sources[0].poll_interval: 'fast' is not a duration (examples: 250ms, 5s, 2m, 1h)",
        "8:11: sources[1].type: invalid value 'jornald' for 'type' (did you mean 'journald'?; known source types: file, journald)",
        "13:42: pipeline[1].rules[0].labels.who: field 'user_id' cannot be a label",
        "15:66: sinks[0].batch.max_events: must be at least 1",
        "15:89: sinks[0].compression_level: must be 1 to 12 with compressor libdeflate",
        "16:5: sinks[1].path: required for a file sink",
        "19:12: admin.enabled: expected true or false, found 'maybe'",
      ]),
  ]

  @Test(arguments: cases)
  func reportsEveryProblemWithItsPosition(_ c: Case) {
    let result = ConfigLoader.read(yaml: c.yaml, environment: c.environment)
    let got = result.errors.map { e in
      (e.line.map { "\($0):\(e.column ?? 0): " } ?? "") + e.pathAndMessage
    }
    #expect(result.config == nil, "accepted:\n\(c.yaml)")
    #expect(got.count == c.expected.count, "\(got.joined(separator: "\n"))")
    for (g, want) in zip(got, c.expected) {
      // Long guard messages are checked by their start (the rest is tested with the guard).
      #expect(g.hasPrefix(want), "\(g)\n  wanted: \(want)")
    }
  }

  @Test func atLeastFortyCases() { #expect(Self.cases.count >= 40) }
}
