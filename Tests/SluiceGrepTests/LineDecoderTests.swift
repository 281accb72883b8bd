import SluiceCore
import Testing

@testable import SluiceGrep

/// Decodes `line` with a fresh decoder into `event`; returns the kind and the content.
@discardableResult
func decode(_ line: String, into event: inout Event, decoder: inout LineDecoder) -> (LineKind, String) {
  var bytes = Array(line.utf8)
  return bytes.withUnsafeMutableBytes { raw in
    let kind = decoder.decode(UnsafeRawBufferPointer(raw), into: &event, scanner: JSONScanner())
    return (kind, String(decoding: decoder.content, as: UTF8.self))
  }
}

func decode(_ line: String) -> (kind: LineKind, event: Event, content: String, decoder: LineDecoder) {
  var event = Event()
  var decoder = LineDecoder()
  let (kind, content) = decode(line, into: &event, decoder: &decoder)
  return (kind, event, content, decoder)
}

func decodeBytes(_ line: [UInt8]) -> (kind: LineKind, event: Event) {
  var event = Event()
  var decoder = LineDecoder()
  let kind = line.withUnsafeBytes { decoder.decode($0, into: &event, scanner: JSONScanner()) }
  return (kind, event)
}

@Suite("LineDecoder")
struct LineDecoderTests {
  @Test("a JSON object line is loaded as it is")
  func json() {
    let r = decode(#"  {"level":"error","n":3,"nested":{"a":[1,2]}}"#)
    #expect(r.kind == .json)
    #expect(r.event.isStructured)
    #expect(r.event.text == #"  {"level":"error","n":3,"nested":{"a":[1,2]}}"#)
    #expect(r.event.value(forKey: "nested.a") == .array([.int(1), .int(2)]))
    #expect(r.decoder.criPrefix == nil)
  }

  @Test(
    "lines that are not JSON objects are plain and leave the event alone",
    arguments: [
      #"{"a":1"#, #"{"a":1} trailing"#, "{not json}", "[1,2,3]", #""just a string""#, "42", "", "   ",
      "plain text line", "Starting server on port 8080", "error: connection refused (code=111)",
      #"a="unterminated"#, #"a="b"c"#, "=value", "key= x=1 (oops)", "{\u{7F}",
    ])
  func notJSON(line: String) {
    var event = Event(#"{"keep":"me"}"#)
    var decoder = LineDecoder()
    let (kind, content) = decode(line, into: &event, decoder: &decoder)
    #expect(kind == .plain)
    #expect(content == line)
    #expect(event.text == #"{"keep":"me"}"#)
    #expect(event.isStructured)
  }

  @Test("invalid UTF-8 inside a JSON object makes the line plain")
  func jsonWithInvalidUTF8() {
    let line = Array(#"{"msg":""#.utf8) + [0xFF, 0xFE] + Array(#""}"#.utf8)
    #expect(decodeBytes(line).kind == .plain)
  }

  @Test("logfmt: strings, numbers, booleans, flags and quoting")
  func logfmt() {
    let r = decode(
      #"time=2026-12-01T10:00:00Z level=info msg="hello world" count=42 ratio=-0.5 big=1e3 ok=true off=false cache_hit user@host=a/b k.v-x_y=1 empty= "#
    )
    #expect(r.kind == .logfmt)
    #expect(r.event.isStructured)
    #expect(
      r.event.text
        == #"{"time":"2026-12-01T10:00:00Z","level":"info","msg":"hello world","count":42,"ratio":-0.5,"big":1e3,"ok":true,"off":false,"cache_hit":true,"user@host":"a/b","k.v-x_y":1,"empty":""}"#
    )
    #expect(r.event.level == .info)
  }

  @Test("logfmt: what is not a JSON number stays a string")
  func logfmtNumbers() {
    let r = decode("a=007 b=1. c=+5 d=0x1f e=.5 f=NaN g=1e h=-0 i=null j=True")
    #expect(r.kind == .logfmt)
    #expect(
      r.event.text
        == #"{"a":"007","b":"1.","c":"+5","d":"0x1f","e":".5","f":"NaN","g":"1e","h":-0,"i":"null","j":"True"}"#)
  }

  @Test("logfmt: quoted values keep = and spaces, escapes are decoded and re-escaped")
  func logfmtQuoting() {
    let r = decode(#"msg="a=b" q="say \"hi\"" path="C:\\dir" nl="x\ny\tz" u="caf\u00e9 \ud83d\ude00" odd="\q" n="42""#)
    #expect(r.kind == .logfmt)
    #expect(r.event.value(forKey: "msg") == .string("a=b"))
    #expect(r.event.value(forKey: "q") == .string(#"say "hi""#))
    #expect(r.event.value(forKey: "path") == .string(#"C:\dir"#))
    #expect(r.event.value(forKey: "nl") == .string("x\ny\tz"))
    #expect(r.event.value(forKey: "u") == .string("café 😀"))
    #expect(r.event.value(forKey: "odd") == .string(#"\q"#))
    #expect(r.event.value(forKey: "n") == .string("42"))
  }

  @Test("logfmt: control characters and invalid UTF-8 come out as valid JSON")
  func logfmtEscaping() {
    let line = Array("a=x".utf8) + [0xFF] + Array(#" b="tab"#.utf8) + [0x09] + Array(#"and \ctl" c=\"#.utf8)
    let r = decodeBytes(line)
    #expect(r.kind == .logfmt)
    #expect(r.event.value(forKey: "a") == .string("x\u{FFFD}"))
    #expect(r.event.value(forKey: "b") == .string("tab\tand \\ctl"))
    #expect(r.event.value(forKey: "c") == .string("\\"))
  }

  @Test("logfmt needs one key=value pair")
  func logfmtNeedsAPair() {
    #expect(decode("just some words").kind == .plain)
    #expect(decode("flag other=1").kind == .logfmt)
    #expect(decode("  a=1\tb=2  ").event.text == #"{"a":1,"b":2}"#)
  }

  @Test("CRI lines are unwrapped: JSON content")
  func criJSON() throws {
    let r = decode(#"2026-12-01T10:00:00.123456789Z stdout F {"level":"warn","msg":"disk"}"#)
    #expect(r.kind == .json)
    #expect(r.content == #"{"level":"warn","msg":"disk"}"#)
    #expect(r.event.text == #"{"level":"warn","msg":"disk"}"#)
    let prefix = try #require(r.decoder.criPrefix)
    #expect(prefix.time == TimestampParser.nanoseconds(rfc3339: "2026-12-01T10:00:00.123456789Z"))
    #expect(prefix.stream == .stdout)
    #expect(!prefix.isPartial)
  }

  @Test("CRI lines are unwrapped: logfmt content")
  func criLogfmt() throws {
    let r = decode(#"2026-12-01T10:00:00+01:00 stderr F level=error msg="boom""#)
    #expect(r.kind == .logfmt)
    #expect(r.event.text == #"{"level":"error","msg":"boom"}"#)
    #expect(r.decoder.criPrefix?.stream == .stderr)
  }

  @Test("CRI lines are unwrapped: plain content, partial records, empty content, tags")
  func criPlain() throws {
    let plain = decode("2026-12-01T10:00:00Z stdout F GET /healthz 200")
    #expect(plain.kind == .plain)
    #expect(plain.content == "GET /healthz 200")
    #expect(plain.decoder.criPrefix != nil)

    let partial = decode(#"2026-12-01T10:00:00Z stdout P {"msg":"a very"#)
    #expect(partial.kind == .plain)
    #expect(partial.decoder.criPrefix?.isPartial == true)
    #expect(partial.content == #"{"msg":"a very"#)

    let empty = decode("2026-12-01T10:00:00Z stdout F")
    #expect(empty.kind == .plain && empty.content == "" && empty.decoder.criPrefix != nil)

    let tagged = decode(#"2026-12-01T10:00:00Z stdout F:x {"a":1}"#)
    #expect(tagged.kind == .json && tagged.content == #"{"a":1}"#)
  }

  @Test(
    "lines that only look like CRI are not unwrapped",
    arguments: [
      "2026-12-01T10:00:00Z stdin F x", "2026-12-01T10:00:00Z stdout X x", "2026-13-01T10:00:00Z stdout F x",
      "2026-12-01 10:00:00 stdout F x", "12345678901234567890 stdout F x", "2026-12-01T10:00:00Z stdout Fx y",
    ])
  func notCRI(line: String) {
    let r = decode(line)
    #expect(r.decoder.criPrefix == nil)
    #expect(r.content == line)
  }

  @Test("one decoder across many lines keeps each result apart")
  func reuse() {
    var event = Event()
    var decoder = LineDecoder()
    #expect(decode(#"{"a":1}"#, into: &event, decoder: &decoder).0 == .json)
    #expect(decode("x=2", into: &event, decoder: &decoder).0 == .logfmt)
    #expect(event.text == #"{"x":2}"#)
    #expect(decode("plain", into: &event, decoder: &decoder).0 == .plain)
    #expect(event.text == #"{"x":2}"#)
    #expect(decode(#"2026-12-01T10:00:00Z stdout F {"b":3}"#, into: &event, decoder: &decoder).0 == .json)
    #expect(decoder.criPrefix != nil)
    #expect(decode(#"{"c":4}"#, into: &event, decoder: &decoder).0 == .json)
    #expect(decoder.criPrefix == nil)
    #expect(event.text == #"{"c":4}"#)
  }
}
