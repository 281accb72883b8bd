import Foundation
import Testing

@testable import SluiceGrep

/// `sluice grep` and `jq` select the same lines of the benchmark corpus for the same question.
///
/// The corpus comes from `scripts/gen-grep-corpus.py` (varied services, nested objects, PII,
/// stack traces, repeated request ids). Each case pairs a query with a jq `select` filter;
/// the engine runs in-process and its matching lines are normalised by `jq -c .` so that both
/// sides are compared as the same JSON text, line for line and in order.
@Suite(.serialized) struct JQEquivalenceTests {
  static let corpusLines = 6_000

  /// (sluice query, jq filter, extra options). A nil query means options alone select.
  static let cases: [(String?, String, @Sendable (inout GrepOptions) -> Void)] = [
    ("level>=error", #".level=="error" or .level=="fatal" or .level=="critical""#, { _ in }),
    ("level=warn", #".level=="warn""#, { _ in }),
    ("level<=debug", #".level=="trace" or .level=="debug""#, { _ in }),
    ("level=notice", #".level=="notice""#, { _ in }),
    ("service=checkout", #".service=="checkout""#, { _ in }),
    ("service!=checkout", #".service!="checkout""#, { _ in }),
    ("service in (auth, users, billing)", #".service=="auth" or .service=="users" or .service=="billing""#, { _ in }),
    ("http.status>=500", ".http.status>=500", { _ in }),
    ("http.status=404 or http.status=429", ".http.status==404 or .http.status==429", { _ in }),
    ("http.method=POST and http.status=200", #".http.method=="POST" and .http.status==200"#, { _ in }),
    ("duration_ms>100", ".duration_ms>100", { _ in }),
    ("duration_ms>0.25s", ".duration_ms>250", { _ in }),
    ("duration_ms<=5 and duration_ms>=1", ".duration_ms!=null and .duration_ms<=5 and .duration_ms>=1", { _ in }),
    (#"message contains "timeout""#, #".message|contains("timeout")"#, { _ in }),
    (#"message ~ "^db query""#, #".message|test("^db query")"#, { _ in }),
    (#"message !~ "retry|slow""#, #".message|test("retry|slow")|not"#, { _ in }),
    (#"client_ip ~ "^1[0-9]\.""#, #".client_ip!=null and (.client_ip|test("^1[0-9]\\."))"#, { _ in }),
    ("exists(error.stack)", ".error.stack!=null", { _ in }),
    ("not exists(trace_id)", ".trace_id==null", { _ in }),
    ("error.type=TimeoutError", #".error.type=="TimeoutError""#, { _ in }),
    ("user.tier=pro and level=info", #".user.tier=="pro" and .level=="info""#, { _ in }),
    ("job.attempt>1 and rows<1000", ".job.attempt>1 and .rows!=null and .rows<1000", { _ in }),
    (
      "(service=cart or service=checkout) and not level=info",
      #"(.service=="cart" or .service=="checkout") and .level!="info""#, { _ in }
    ),
    ("pid=1003", ".pid==1003", { _ in }),
    ("refused", #"tojson|ascii_downcase|contains("refused")"#, { _ in }),
    (#""Timeout""#, #"tojson|contains("Timeout")"#, { _ in }),
    (
      "example.com and level>=warn",
      #"(tojson|contains("example.com")) and .level!="info" and .level!="debug" and .level!="trace" and .level!="notice""#,
      { _ in }
    ),
    (
      nil, #".timestamp>="2026-12-03T12" and .timestamp<"2026-12-03T13""#,
      { options in
        options.since = try? TimeBound.parse("2026-12-03T12:00:00Z", now: 0)
        options.until = try? TimeBound.parse("2026-12-03T12:59:59.999999Z", now: 0)
      }
    ),
    (
      "level>=warn",
      #".level!="info" and .level!="debug" and .level!="trace" and .level!="notice" and .timestamp<"2026-12-03T06""#,
      { options in options.until = try? TimeBound.parse("2026-12-03T05:59:59.999999Z", now: 0) }
    ),
  ]

  @Test func theSameLinesAsJQForEveryQuery() throws {
    guard let jq = Self.jq else {
      Issue.record("jq is not installed (scripts/test installs it)")
      return
    }
    let scratch = try ScratchDirectory()
    let corpus = scratch.file("corpus.log")
    let generator = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
      "../../scripts/gen-grep-corpus.py"
    ).standardized.path
    try scratch.sh("python3 '\(generator)' \(Self.corpusLines) '\(corpus)'")
    #expect(Self.cases.count >= 20)

    var emptyCases: [String] = []
    for (query, filter, configure) in Self.cases {
      let label = query ?? filter
      let ours = try GrepRun.run(query, [corpus]) { options in
        options.mode = .raw
        options.threads = 2
        configure(&options)
      }
      #expect(ours.reports.isEmpty, "\(label): \(ours.reports)")
      let ourLines = try Self.normalise(ours.output, jq: jq, in: scratch)
      let theirs = try scratch.sh(
        "'\(jq)' -c 'select(\(filter.replacingOccurrences(of: "'", with: "'\\''")))' corpus.log")
      let theirLines = theirs.split(separator: "\n").map(String.init)
      #expect(ourLines.count == theirLines.count, "\(label): sluice \(ourLines.count) lines, jq \(theirLines.count)")
      if ourLines != theirLines, let first = zip(ourLines, theirLines).first(where: { $0 != $1 }) {
        Issue.record("\(label): first difference\n  sluice: \(first.0)\n  jq:     \(first.1)")
      }
      #expect(ours.status == (theirLines.isEmpty ? 1 : 0), "\(label)")
      if theirLines.isEmpty { emptyCases.append(label) }
    }
    // A case that selects nothing proves little; the corpus is large enough for all of them.
    #expect(emptyCases.isEmpty, "cases that matched no line: \(emptyCases)")
  }

  /// Each line of `output` re-printed by `jq -c .`.
  static func normalise(_ output: String, jq: String, in scratch: ScratchDirectory) throws -> [String] {
    try scratch.write("ours.log", output)
    return try scratch.sh("'\(jq)' -c . ours.log").split(separator: "\n").map(String.init)
  }

  static let jq: String? = ["/usr/bin/jq", "/usr/local/bin/jq"].first {
    FileManager.default.isExecutableFile(atPath: $0)
  }
}
