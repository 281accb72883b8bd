import SluiceCore
import Testing

@testable import SluiceGrep

/// Merges in-memory inputs; returns (reader index, line) in the order yielded.
func merge(
  _ inputs: [String], timeField: TimeField = TimeField(name: nil), chunk: Int = Int.max
) throws -> [(
  Int, String
)] {
  let readers = inputs.enumerated().map { i, text in
    LineReader(ChunkedSource(Array(text.utf8), sizes: [chunk]), path: "in\(i)")
  }
  var merged = MergedLines(readers, timeField: timeField)
  var out: [(Int, String)] = []
  while try merged.next() { out.append((merged.readerIndex, String(decoding: merged.line, as: UTF8.self))) }
  return out
}

@Suite("MergedLines")
struct MergeTests {
  @Test("three interleaved files, mixed formats, untimed lines and ties")
  func threeFiles() throws {
    let a = """
      {"ts":"2026-12-01T10:00:00Z","msg":"a1"}
      {"ts":"2026-12-01T10:00:03Z","msg":"a2"}
      \tat com.example.Foo(Foo.java:1)
      \tat com.example.Bar(Bar.java:2)
      {"ts":"2026-12-01T10:00:05Z","msg":"a3"}

      """
    let b = """
      ts=2026-12-01T10:00:01Z msg=b1
      ts=2026-12-01T10:00:03Z msg=b2
      ts=2026-12-01T10:00:04Z msg=b3
      no time here
      """
    let c = """
      {"time":1796119202000,"msg":"c1"}
      {"time":1796119203,"msg":"c2"}
      {"time":1796119206,"msg":"c3"}

      """
    for chunk in [Int.max, 7] {
      let order = try merge([a, b, c], chunk: chunk).map { $0.1 }
      #expect(
        order == [
          #"{"ts":"2026-12-01T10:00:00Z","msg":"a1"}"#,
          "ts=2026-12-01T10:00:01Z msg=b1",
          #"{"time":1796119202000,"msg":"c1"}"#,
          // Three lines at 10:00:03: by reader; a2's untimed lines follow it at once.
          #"{"ts":"2026-12-01T10:00:03Z","msg":"a2"}"#,
          "\tat com.example.Foo(Foo.java:1)",
          "\tat com.example.Bar(Bar.java:2)",
          "ts=2026-12-01T10:00:03Z msg=b2",
          #"{"time":1796119203,"msg":"c2"}"#,
          "ts=2026-12-01T10:00:04Z msg=b3",
          "no time here",
          #"{"ts":"2026-12-01T10:00:05Z","msg":"a3"}"#,
          #"{"time":1796119206,"msg":"c3"}"#,
        ], "chunk \(chunk)")
    }
  }

  @Test("reader indexes and the decoded line are reported")
  func readerIndex() throws {
    let readers = [
      LineReader(ChunkedSource(Array("{\"ts\":2}\n".utf8)), path: "x"),
      LineReader(ChunkedSource(Array("ts=1 a=b\nplain\n".utf8)), path: "y"),
    ]
    var merged = MergedLines(readers, timeField: TimeField(name: nil))
    #expect(try merged.next())
    #expect(merged.readerIndex == 1 && merged.path == "y" && merged.lineNumber == 1)
    #expect(merged.kind == .logfmt && merged.event.text == #"{"ts":1,"a":"b"}"#)
    #expect(merged.timestamp == 1_000_000_000)
    #expect(try merged.next())
    #expect(merged.readerIndex == 1 && merged.kind == .plain && merged.timestamp == nil)
    #expect(String(decoding: merged.content, as: UTF8.self) == "plain")
    #expect(try merged.next())
    #expect(merged.readerIndex == 0 && merged.path == "x" && merged.kind == .json)
    #expect(try !merged.next())
    #expect(merged.bytesRead == 9 + 15)
  }

  @Test("untimed lines at the start of a file come first, in reader order")
  func untimedStart() throws {
    let order = try merge(["{\"ts\":5}\n", "header\n{\"ts\":1}\n", "banner\nmore\n{\"ts\":3}\n"]).map { $0.1 }
    #expect(order == ["header", "banner", "more", #"{"ts":1}"#, #"{"ts":3}"#, #"{"ts":5}"#])
  }

  @Test("equal times go by reader, and a file's own order is never changed")
  func ties() throws {
    let order = try merge(["{\"ts\":2,\"r\":0}\n{\"ts\":1,\"r\":0}\n", "{\"ts\":2,\"r\":1}\n{\"ts\":2,\"r\":1.5}\n"])
      .map { $0.1 }
    #expect(
      order == [#"{"ts":2,"r":0}"#, #"{"ts":1,"r":0}"#, #"{"ts":2,"r":1}"#, #"{"ts":2,"r":1.5}"#])
  }

  @Test("CRI lines are merged by their runtime time when the content has none")
  func criTimes() throws {
    let order = try merge([
      "2026-12-01T10:00:02Z stdout F second\n2026-12-01T10:00:04Z stderr F fourth\n",
      "2026-12-01T10:00:01Z stdout F first\n2026-12-01T10:00:03Z stdout F {\"msg\":\"third\"}\n",
    ]).map { $0.1 }
    #expect(
      order.map { $0.split(separator: " ").last.map(String.init) } == [
        "first", "second", #"{"msg":"third"}"#, "fourth",
      ])
  }

  @Test("a named time field")
  func namedField() throws {
    let order = try merge(["{\"at\":3,\"ts\":1}\n", "{\"at\":2,\"ts\":9}\n"], timeField: TimeField(name: "at"))
    #expect(order.map { $0.0 } == [1, 0])
  }

  @Test("no readers, empty readers")
  func empty() throws {
    #expect(try merge([]).isEmpty)
    #expect(try merge(["", "", "{\"ts\":1}\n"]).map { $0.0 } == [2])
  }

  @Test("gzip and plain files merge; a failing reader is dropped after its error")
  func filesAndErrors() throws {
    let dir = try InputTestDirectory()
    try dir.write("a.log", "{\"ts\":1}\n{\"ts\":3}\n")
    let gz = try dir.gzip("a.log")
    let bad = try dir.write("bad.gz", Array(try dir.gzipped("a.log").dropLast(6)))
    let plain = try dir.write("b.log", "{\"ts\":2}\n{\"ts\":4}\n")
    let readers = try [gz, bad, plain].map { p throws(InputError) in LineReader(try InputFiles.open(p), path: p) }
    var merged = MergedLines(readers, timeField: TimeField(name: nil))
    var seen: [String] = []
    var errors: [InputError] = []
    while true {
      do throws(InputError) {
        guard try merged.next() else { break }
        seen.append("\(merged.readerIndex):\(String(decoding: merged.line, as: UTF8.self))")
      } catch {
        errors.append(error)
      }
    }
    #expect(errors.count == 1 && errors.first?.path == bad)
    #expect(seen.filter { !$0.hasPrefix("1:") } == [#"0:{"ts":1}"#, #"2:{"ts":2}"#, #"0:{"ts":3}"#, #"2:{"ts":4}"#])
  }
}
