import Foundation
import Testing

@testable import SluiceAgent

/// The multiline joiner alone, without a file: lines in, events out, and the position a
/// checkpoint may not pass while an event is pending. Positions here are journal-like
/// cursors (strings), to show the joiner does not care what a position is.
@Suite("Multiline joiner")
struct MultilineJoinerTests {
  struct Out: Equatable {
    var text: String
    var truncated: Bool
  }

  static func matcher(_ json: String) throws -> MultilineMatcher {
    try MultilineMatcher(JSONDecoder().decode(MultilineConfig.self, from: Data(json.utf8)))
  }

  /// Feeds `lines` (each with cursor `c<k>`), returning the events emitted so far and the joiner.
  static func feed(
    _ lines: [String], _ matcher: MultilineMatcher, maxLines: Int = 500, maxBytes: Int = 1 << 20
  ) -> ([Out], MultilineJoiner<String>) {
    var joiner = MultilineJoiner<String>()
    var out: [Out] = []
    for (k, line) in lines.enumerated() {
      joiner.add(
        Array(line.utf8)[...], truncated: false, stream: .none, time: [], startingAt: "c\(k)", matcher: matcher,
        maxLines: maxLines, maxBytes: maxBytes
      ) { event, truncated, _, _ in out.append(Out(text: String(decoding: event, as: UTF8.self), truncated: truncated))
      }
    }
    return (out, joiner)
  }

  @Test func aJavaStackTraceBecomesOneEventAndHoldsTheCheckpointAtItsStart() throws {
    let m = try Self.matcher(#"{"preset":"java"}"#)
    let lines = [
      "request failed", "java.lang.IllegalStateException: boom", "\tat a.B.c(B.java:10)", "\tat a.B.d(B.java:20)",
      "Caused by: java.io.IOException: disk", "\t... 3 more", "next request",
    ]
    var (out, joiner) = Self.feed(lines, m)
    #expect(out.map(\.text) == ["request failed", lines[1...5].joined(separator: "\n")])
    // "next request" is pending: a checkpoint may reach its start, not past it.
    #expect(joiner.start == "c6")
    joiner.flush { event, _, _, _ in out.append(Out(text: String(decoding: event, as: UTF8.self), truncated: false)) }
    #expect(out.last?.text == "next request")
    #expect(joiner.start == nil)
  }

  @Test func maxLinesEndsAnEventAndMaxBytesCutsIt() throws {
    let m = try Self.matcher(#"{"mode":"continuation","pattern":"^[[:space:]]"}"#)
    let (byLines, _) = Self.feed(["a", " 1", " 2", " 3", "b"], m, maxLines: 3)
    #expect(byLines.map(\.text) == ["a\n 1\n 2", " 3"])
    let (byBytes, joiner) = Self.feed(["head", " aaaa", " bbbb", "tail"], m, maxBytes: 10)
    #expect(byBytes == [Out(text: "head\n aaaa", truncated: true)])
    #expect(joiner.start == "c3")
  }

  @Test func clearForgetsThePendingEvent() throws {
    let m = try Self.matcher(#"{"mode":"continuation","pattern":"^[[:space:]]"}"#)
    var (out, joiner) = Self.feed(["a", " 1"], m)
    #expect(out.isEmpty)
    #expect(joiner.start == "c0")
    joiner.clear()
    joiner.flush { _, _, _, _ in out.append(Out(text: "unexpected", truncated: false)) }
    #expect(out.isEmpty)
  }
}
