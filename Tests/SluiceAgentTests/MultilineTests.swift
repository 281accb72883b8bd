import Foundation
import Logging
import SluiceCore
import Testing

@testable import SluiceAgent

/// Multiline joining on real files through the tailer: presets, patterns, limits, timeout,
/// and checkpoints that never fall inside an event.
@Suite("Multiline")
struct MultilineTests {
  func tailer(_ dir: TempDirectory, _ multiline: String, extra: String = "") throws -> FileTailer {
    try makeTailer(dir, #"include: ["\#(dir.path)/*.log"], read_from: beginning, multiline: "# + multiline + extra)
  }

  @Test func javaStackTraces() throws {
    let dir = try TempDirectory()
    let trace = """
      Exception in thread "main" java.lang.IllegalStateException: boom
      \tat com.example.App.run(App.java:10)
      \tat com.example.App.main(App.java:5)
      Caused by: java.io.IOException: disk full
      \tat com.example.Disk.write(Disk.java:42)
      \t... 2 more
      """
    try dir.append(trace + "\nINFO started\nINFO next\n", to: "app.log")
    let t = try tailer(dir, "{preset: java}")
    t.discover()
    #expect(lines(t.poll()) == [trace, "INFO started"])  // "INFO next" waits for what follows
  }

  @Test func pythonTracebacksJoinTheMessageBeforeThem() throws {
    let dir = try TempDirectory()
    let event = """
      ERROR:root:request failed
      Traceback (most recent call last):
        File "app.py", line 3, in <module>
          main()
      ValueError: bad input
      """
    try dir.append(event + "\nINFO:root:next\nINFO:root:after\n", to: "app.log")
    let t = try tailer(dir, "{preset: python}")
    t.discover()
    #expect(lines(t.poll()) == [event, "INFO:root:next"])
  }

  @Test func goPanics() throws {
    let dir = try TempDirectory()
    try dir.append(
      """
      panic: runtime error: index out of range [5] with length 3

      goroutine 1 [running]:
      main.main()
      \t/tmp/x.go:8 +0x1d
      exit status 2
      {"level":"info","msg":"restarted"}
      {"level":"info","msg":"ok"}

      """, to: "app.log")
    let t = try tailer(dir, "{preset: go}")
    t.discover()
    #expect(
      lines(t.poll()) == [
        "panic: runtime error: index out of range [5] with length 3\ngoroutine 1 [running]:\nmain.main()\n\t/tmp/x.go:8 +0x1d\nexit status 2",
        #"{"level":"info","msg":"restarted"}"#,
      ])
  }

  @Test func startPatternLimitsAndTimeout() async throws {
    let dir = try TempDirectory()
    try dir.append("2026-01-01 a\n cont\nmore\n2026-01-02 b\nx1\nx2\nx3\nx4\n", to: "app.log")
    let t = try tailer(dir, "{mode: start, pattern: '^[0-9]{4}-', max_lines: 3, timeout: 50ms}")
    t.discover()
    // max_lines 3 cuts the second event; what follows the cut starts its own.
    #expect(lines(t.poll()) == ["2026-01-01 a\n cont\nmore", "2026-01-02 b\nx1\nx2"])
    try await Task.sleep(for: .milliseconds(80))
    let rest = t.poll()
    #expect(lines(rest) == ["x3\nx4"])  // complete once the file has been quiet for `timeout`
    #expect(rest.last?.endOffset == UInt64("2026-01-01 a\n cont\nmore\n2026-01-02 b\nx1\nx2\nx3\nx4\n".utf8.count))
  }

  @Test func checkpointsStayBeforeAnUnfinishedEvent() throws {
    let dir = try TempDirectory()
    let first = "E1 failed\n\tat a\n"
    try dir.append(first + "E2 failed\n\tat b\n", to: "app.log")
    let t = try tailer(dir, "{preset: java}")
    t.discover()
    let chunks = t.poll()
    #expect(lines(chunks) == ["E1 failed\n\tat a"])
    // E2 may still grow: the checkpoint is where it begins, so a restart reads it whole.
    #expect(chunks.last?.endOffset == UInt64(first.utf8.count))
  }

  @Test(
    "configuration errors",
    arguments: [
      ("{pattern: '([', mode: start}", "sources[0].multiline.pattern"),
      ("{preset: java, pattern: x}", "sources[0].multiline"),
      ("{mode: start}", "sources[0].multiline"),
      ("{preset: cobol}", "sources[0].multiline.preset"),
      ("{preset: java, max_lines: 0}", "sources[0].multiline.max_lines"),
    ])
  func configurationErrors(_ multiline: String, _ path: String) throws {
    let dir = try TempDirectory()
    #expect {
      _ = try tailer(dir, multiline)
    } throws: { error in
      (error as? ConfigError)?.pathAndMessage.hasPrefix(path) ?? false
    }
  }
}

/// Multiline after CRI reassembly, and a partial last line across a restart.
@Suite("Multiline with container logs, and restarts")
struct MultilineContainerTests {
  @Test func javaTraceSplitIntoCRIRecordsIsOneEvent() throws {
    let dir = try TempDirectory()
    try dir.append(
      """
      2026-11-23T10:00:00Z stderr P Exception in thread "main" java.lang.
      2026-11-23T10:00:00Z stderr F IllegalStateException: boom
      2026-11-23T10:00:00Z stderr F \tat com.example.App.run(App.java:10)
      2026-11-23T10:00:00Z stderr P \tat com.example.App.main
      2026-11-23T10:00:00Z stderr F (App.java:5)
      2026-11-23T10:00:01Z stdout F next event
      2026-11-23T10:00:02Z stdout F and another

      """, to: "pods/shop_web-1_uid-9/server/0.log")
    let t = try makeTailer(
      dir, #"include: ["\#(dir.path)/pods/*/*/*.log"], read_from: beginning, multiline: {preset: java}"#)
    t.discover()
    var events: [(String, ContainerStream?)] = []
    for c in t.poll() {
      c.forEachLine { line, _, k in
        events.append((String(decoding: line, as: UTF8.self), c.containerInfo(line: k)?.stream))
      }
    }
    #expect(
      events.map(\.0) == [
        "Exception in thread \"main\" java.lang.IllegalStateException: boom\n\tat com.example.App.run(App.java:10)\n\tat com.example.App.main(App.java:5)",
        "next event",
      ])
    #expect(events.map(\.1) == [.stderr, .stdout])
  }

  @Test func aPartialLastLineIsNeitherLostNorDuplicatedAcrossARestart() throws {
    let dir = try TempDirectory()
    try dir.append("complete\nhalf of a li", to: "app.log")
    let settings = #"include: ["\#(dir.path)/*.log"], read_from: beginning"#
    let first = try makeTailer(dir, settings)
    first.discover()
    let chunks = first.poll()
    #expect(lines(chunks) == ["complete"])
    let checkpoint = try #require(chunks.last?.endOffset)
    #expect(checkpoint == 9)  // just past "complete\n": the half line is not acknowledged
    // Restart from the checkpoint after the line was finished.
    try dir.append("ne\nlast\n", to: "app.log")
    let id = try #require(FileTailer.identity(ofPath: dir.file("app.log").path))
    let second = try makeTailer(dir, settings, resumeOffsets: [id: checkpoint])
    second.discover()
    #expect(lines(second.poll()) == ["half of a line", "last"])
  }
}
