import Foundation
import SluiceCore
import Testing

@testable import SluiceGrep

/// The engine end to end in-process: inputs, output modes, context, limits, aggregation.
@Suite("GrepEngine")
struct GrepEngineTests {
  static let mixed = """
    {"timestamp":"2026-12-03T10:00:00Z","level":"info","message":"started","service":"api","port":8080}
    {"timestamp":"2026-12-03T10:00:01Z","level":"error","message":"upstream timeout","service":"api","http":{"status":504,"route":"/pay"}}
    time=2026-12-03T10:00:02Z level=warn msg="slow query" service=db duration_ms=812.5
    plain text line with timeout inside
    2026-12-03T10:00:03.000000000Z stderr F {"level":"error","message":"from a container","service":"web"}
    {"timestamp":"2026-12-03T10:00:04Z","level":"debug","message":"noise","service":"api"}
    {"level":"error","msg":"broken json

    """

  @Test func rawOutputIsTheLineAsReadForEveryInputShape() throws {
    let dir = try ScratchDirectory()
    let log = try dir.write("app.log", Self.mixed)
    let run = try GrepRun.run("level>=error", [log])
    #expect(run.status == 0)
    #expect(
      run.lines == [
        #"{"timestamp":"2026-12-03T10:00:01Z","level":"error","message":"upstream timeout","service":"api","http":{"status":504,"route":"/pay"}}"#,
        #"2026-12-03T10:00:03.000000000Z stderr F {"level":"error","message":"from a container","service":"web"}"#,
      ])
    // Full text reaches plain lines too; smart case.
    let text = try GrepRun.run("timeout", [log])
    #expect(text.lines.count == 2 && text.lines[1] == "plain text line with timeout inside")
    #expect(try GrepRun.run("TIMEOUT", [log]).status == 1)
  }

  @Test func prettyLogfmtAndJSONGolden() throws {
    let dir = try ScratchDirectory()
    let log = try dir.write("app.log", Self.mixed)
    let pretty = try GrepRun.run("level>=warn", [log]) { $0.mode = .pretty }
    #expect(
      pretty.lines == [
        "2026-12-03T10:00:01Z ERROR upstream timeout  service=api http.status=504 http.route=/pay",
        "2026-12-03T10:00:02Z WARNING slow query  service=db duration_ms=812.5",
        "ERROR from a container  service=web",
      ])
    let colored = try GrepRun.run("level>=warn", [log]) {
      $0.mode = .pretty
      $0.color = true
    }
    #expect(
      colored.lines[0]
        == "2026-12-03T10:00:01Z \u{1B}[31mERROR\u{1B}[0m upstream timeout  \u{1B}[2mservice=\u{1B}[0mapi "
        + "\u{1B}[2mhttp.status=\u{1B}[0m504 \u{1B}[2mhttp.route=\u{1B}[0m/pay")
    let logfmt = try GrepRun.run("level>=warn", [log]) {
      $0.mode = .logfmt
      $0.color = true  // logfmt is never coloured
    }
    #expect(
      logfmt.lines == [
        "time=2026-12-03T10:00:01Z level=error msg=\"upstream timeout\" service=api http.status=504 http.route=/pay",
        "time=2026-12-03T10:00:02Z level=warning msg=\"slow query\" service=db duration_ms=812.5",
        "level=error msg=\"from a container\" service=web",
      ])
    let json = try GrepRun.run("timeout or level=warn", [log]) { $0.mode = .json }
    #expect(
      json.lines == [
        #"{"timestamp":"2026-12-03T10:00:01Z","level":"error","message":"upstream timeout","service":"api","http":{"status":504,"route":"/pay"}}"#,
        #"{"time":"2026-12-03T10:00:02Z","level":"warn","msg":"slow query","service":"db","duration_ms":812.5}"#,
        #"{"message":"plain text line with timeout inside"}"#,
      ])
    for line in json.lines { #expect(try JSONSerialization.jsonObject(with: Data(line.utf8)) is [String: Any]) }
    let fields = try GrepRun.run("level>=warn", [log]) {
      $0.mode = .json
      $0.fields = ["service", "http.status", "missing"]
    }
    #expect(fields.lines == [#"{"service":"api","http.status":504}"#, #"{"service":"db"}"#, #"{"service":"web"}"#])
    let prettyFields = try GrepRun.run("level>=warn", [log]) {
      $0.mode = .pretty
      $0.fields = ["http.route"]
    }
    #expect(prettyFields.lines[0] == "2026-12-03T10:00:01Z ERROR upstream timeout  http.route=/pay")
  }

  @Test func contextLinesMatchGNUGrepOnPlainText() throws {
    let dir = try ScratchDirectory()
    let text = (1...40).map { $0 % 7 == 0 ? "line \($0) hit" : "line \($0)" }.joined(separator: "\n") + "\n"
    let log = try dir.write("plain.log", text)
    for (b, a) in [(0, 1), (2, 0), (1, 1), (3, 3), (0, 6)] {
      let ours = try GrepRun.run("hit", [log]) {
        $0.before = b
        $0.after = a
      }
      let theirs = try dir.sh("grep -B \(b) -A \(a) hit plain.log")
      #expect(ours.output == theirs, "-B \(b) -A \(a)")
    }
  }

  @Test func countsLimitsAndStatistics() throws {
    let dir = try ScratchDirectory()
    let log = try dir.write("app.log", Self.mixed)
    let counted = try GrepRun.run("level>=error", [log]) { $0.countOnly = true }
    #expect(counted.output == "2\n")
    let limited = try GrepRun.run("service=api", [log]) { $0.maxCount = 1 }
    #expect(limited.lines.count == 1 && limited.lines[0].contains("started"))
    let stats = try GrepRun.run("level>=error", [log]) { $0.stats = true }
    #expect(stats.reports.count == 1)
    #expect(stats.reports[0].hasPrefix("stats: 7 lines read, 2 matched, 1 unparsable"), "\(stats.reports)")
    #expect(try GrepRun.run("level=trace", [log]).status == 1)
  }

  @Test func countByTableAndJSON() throws {
    let dir = try ScratchDirectory()
    let log = try dir.write("app.log", Self.mixed)
    let table = try GrepRun.run(nil, [log]) { $0.countBy = ["service"] }
    #expect(
      table.lines == [
        "count       %  service",
        "    3   42.9%  api",
        "    2   28.6%  -",
        "    1   14.3%  db",
        "    1   14.3%  web",
      ], "\(table.output)")
    let json = try GrepRun.run("level>=warn", [log]) {
      $0.countBy = ["service", "level"]
      $0.mode = .json
      $0.top = 2
    }
    #expect(json.lines.count == 2)
    #expect(json.lines[0] == #"{"service":"api","level":"error","count":1,"percent":33.3}"#)
  }

  @Test func blockScanOnSeveralThreadsGivesTheSingleThreadResult() throws {
    let dir = try ScratchDirectory()
    var text = ""
    for i in 0..<60_000 {
      let level = ["info", "debug", "warn", "error"][i % 4 == 3 && i % 3 == 0 ? 3 : i % 3]
      text += #"{"seq":\#(i),"level":"\#(level)","service":"s\#(i % 13)","message":"m \#(i % 101) ok"}"# + "\n"
    }
    let log = try dir.write("big.log", text)
    for query in ["level>=error", "service=s7", "message~\"m 4[0-9] \"", "m", "seq>59990"] {
      let one = try GrepRun.run(query, [log]) { $0.threads = 1 }
      for threads in [2, 4] {
        let many = try GrepRun.run(query, [log]) {
          $0.threads = threads
          $0.stats = true
        }
        #expect(many.output == one.output, "\(query) on \(threads) threads")
        #expect(many.reports.first?.contains("60000 lines read") == true, "\(many.reports)")
      }
    }
  }

  /// Judging reads only the members a query needs and stops once they are settled; every
  /// answer is still the one a whole scan gives (`--stats` reads every line whole).
  @Test func partialScansAnswerAsWholeScansDo() throws {
    let dir = try ScratchDirectory()
    let lines = [
      #"{"level":"error","msg":"broken past the level"#,
      #"{"level":"info","msg":"broken past the level"#,
      #"{"level":"x1","severity_text":"ERROR","service":"a"}"#,
      #"{"level":"error","level":"info","service":"dup"}"#,
      #"{"timestamp":"not a time","ts":"2026-12-03T10:00:00Z","level":"warn","service":"b"}"#,
      #"{"service":"c","http":{"status":503,"path":"/x\"}"},"error.type":"Late","level":"error"}"#,
      #"{"service":"c","error":{"type":"Nested"},"level":"warn","n":[1,{"a":"}"}]}"#,
      #"{"le\u0076el":"error","service":"escaped"}"#,
      #"{"level":"error","service":"d","tail": nope}"#,
      #"time=2026-12-03T10:00:01Z level=error service=logfmt"#,
      "plain error text",
    ]
    let log = try dir.write("mixed.log", lines.joined(separator: "\n") + "\n")
    let queries = [
      "level>=error", "not level=info", "level>=warn and service=c", "error.type=Late", "error.type=Nested",
      "service!=c", "exists(http.status) or error", "not (service=a or service=b)", "level~err",
      "http.status>=500 and level>=error",
    ]
    for query in queries {
      let partial = try GrepRun.run(query, [log]) { $0.threads = 1 }
      let whole = try GrepRun.run(query, [log]) {
        $0.threads = 1
        $0.stats = true
      }
      #expect(partial.output == whole.output, "\(query)")
      #expect(partial.status == whole.status, "\(query)")
    }
    // No query: `--count-by` and a time range check each line whole in the projected scan.
    for configure in [
      { (o: inout GrepOptions) in o.countBy = ["service"] }, { $0.countBy = ["level", "http.status"] },
    ] {
      let partial = try GrepRun.run(nil, [log]) {
        $0.threads = 1
        configure(&$0)
      }
      let whole = try GrepRun.run(nil, [log]) {
        $0.threads = 1
        $0.stats = true
        configure(&$0)
      }
      #expect(partial.output == whole.output)
    }
    // Spot checks of what a whole scan says.
    // Broken lines (the first, and `nope`) are plain text; `x1` is no level, so the
    // next level key tells; the first of two `level`s counts; an escaped key is decoded.
    #expect(try GrepRun.run("level>=error", [log]).lines == [lines[2], lines[3], lines[5], lines[7], lines[9]])
    #expect(try GrepRun.run("not level=info", [log]).lines.contains(lines[1]))  // broken: plain text
    let since = try GrepRun.run(nil, [log]) {
      $0.since = try? TimeBound.parse("2026-12-03T09:59:59Z", now: 0)
    }
    #expect(since.lines == [lines[4], lines[9]])
  }

  @Test func unreadableInputsAreReportedAndTheOthersRead() throws {
    let dir = try ScratchDirectory()
    let log = try dir.write("app.log", Self.mixed)
    let run = try GrepRun.run("level>=error", [dir.file("missing.log"), log, dir.path])
    #expect(run.status == 2)
    #expect(run.lines.count == 2)
    #expect(run.reports.count == 2, "\(run.reports)")
    #expect(run.reports[0].contains("missing.log"))
  }

  @Test func aNumericFieldComparedWithAStringIsAnError() throws {
    let dir = try ScratchDirectory()
    let log = try dir.write("app.log", Self.mixed)
    let run = try GrepRun.run("duration_ms > fast", [log])
    #expect(run.status == 2)
    #expect(run.reports.first?.contains("duration_ms") == true, "\(run.reports)")
  }

  @Test func timeRangeKeepsOnlyLinesWithATimeInside() throws {
    let dir = try ScratchDirectory()
    let log = try dir.write("app.log", Self.mixed)
    let since = try TimeBound.parse("2026-12-03T10:00:01Z", now: 0)
    let until = try TimeBound.parse("2026-12-03T10:00:02Z", now: 0)
    let run = try GrepRun.run(nil, [log]) {
      $0.since = since
      $0.until = until
    }
    #expect(run.lines.count == 2, "\(run.output)")
    #expect(run.lines[0].contains("upstream timeout") && run.lines[1].contains("slow query"))
  }

  @Test func gzipAndRotatedSetsAreReadOldestFirst() throws {
    let dir = try ScratchDirectory()
    for (name, seq) in [("app.log.2", 1), ("app.log.1", 2), ("app.log", 3)] {
      try dir.write(name, #"{"level":"error","seq":\#(seq)}"# + "\n")
    }
    try dir.sh("gzip app.log.2")
    let run = try GrepRun.run("level=error", [dir.file("app.log"), dir.file("app.log.1"), dir.file("app.log.2.gz")])
    #expect(run.lines == [1, 2, 3].map { #"{"level":"error","seq":\#($0)}"# })
  }

  @Test func mergeInterleavesByTime() throws {
    let dir = try ScratchDirectory()
    let a = try dir.write(
      "a.log", [1, 4, 5].map { #"{"ts":"2026-12-03T10:00:0\#($0)Z","from":"a"}"# }.joined(separator: "\n") + "\n")
    let b = try dir.write(
      "b.log", [2, 3, 6].map { #"{"ts":"2026-12-03T10:00:0\#($0)Z","from":"b"}"# }.joined(separator: "\n") + "\n")
    let run = try GrepRun.run(nil, [a, b]) { $0.merge = true }
    #expect(run.lines.map { $0.contains("\"from\":\"a\"") ? "a" : "b" } == ["a", "b", "b", "a", "a", "b"])
  }
}
