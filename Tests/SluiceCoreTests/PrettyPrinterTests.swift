import Testing

@testable import SluiceCore

/// The pretty form of `line`, without the newline.
private func prettyLine(_ line: String, color: Bool = false) -> String {
  var printer = PrettyPrinter(color: color)
  return printer.format(line)
}

/// The pretty form of raw bytes, with the newline.
private func prettyBytes(_ line: [UInt8]) -> [UInt8] {
  var printer = PrettyPrinter()
  var out: [UInt8] = []
  line.withUnsafeBytes { printer.format($0, into: &out) }
  return out
}

private func isWellFormedUTF8(_ bytes: [UInt8]) -> Bool {
  bytes.withUnsafeBytes { UTF8Validation.isValid($0) }
}

@Suite("PrettyPrinter")
struct PrettyPrinterTests {
  // MARK: - Schemas

  @Test func sluiceLine() {
    let line =
      #"{"timestamp":"2026-11-23T10:00:00.123456Z","level":"error","message":"payment failed","#
      + #""logger":"checkout.http","service":"checkout","request_id":"4bf92f35","user_id":"u-17","amount":12.5,"#
      + #""status":502,"error.type":"Checkout.PaymentDeclined","error.message":"card declined: do_not_honor"}"#
    #expect(
      prettyLine(line)
        == "2026-11-23T10:00:00.123456Z ERROR payment failed  logger=checkout.http service=checkout "
        + #"request_id=4bf92f35 user_id=u-17 amount=12.5 status=502 error.type=Checkout.PaymentDeclined "#
        + #"error.message="card declined: do_not_honor""#)
  }

  @Test func shortLevelsArePaddedToFiveColumns() {
    #expect(prettyLine(#"{"timestamp":"t","level":"info","message":"ok"}"#) == "t INFO  ok")
    #expect(prettyLine(#"{"timestamp":"t","level":"warning","message":"ok"}"#) == "t WARNING ok")
    #expect(prettyLine(#"{"timestamp":"t","level":"critical","message":"ok"}"#) == "t CRITICAL ok")
    #expect(prettyLine(#"{"level":"NOTICE","message":"ok"}"#) == "NOTICE ok")
    #expect(prettyLine(#"{"level":"trace","message":"ok"}"#) == "TRACE ok")
  }

  @Test func ecsFlatAndNestedLevel() {
    let flat =
      #"{"@timestamp":"2026-11-23T10:00:00.123456Z","log.level":"warn","message":"disk low","log.logger":"node","#
      + #""ecs.version":"8.11.0","host":{"name":"n1","disk":{"free_pct":3.5}}}"#
    #expect(
      prettyLine(flat)
        == "2026-11-23T10:00:00.123456Z WARNING disk low  log.logger=node ecs.version=8.11.0 host.name=n1 "
        + "host.disk.free_pct=3.5")
    // `log.level` as a nested member: only that member is taken out of `log`.
    #expect(
      prettyLine(#"{"@timestamp":"t","log":{"level":"ERROR","logger":"db"},"message":"x"}"#)
        == "t ERROR x  log.logger=db")
    #expect(prettyLine(#"{"log":{"level":"info"},"msg":"m"}"#) == "INFO  m")
  }

  @Test func otelAndNumericLevels() {
    let otel =
      #"{"timestamp":"t","severity_text":"ERROR","severity_number":17,"body":"payment failed","#
      + #""resource":{"service.name":"checkout"},"attributes":{"status":502}}"#
    #expect(
      prettyLine(otel)
        == "t ERROR payment failed  severity_number=17 resource.service.name=checkout attributes.status=502")
    #expect(prettyLine(#"{"severity_number":9,"body":"hi"}"#) == "INFO  hi")
    #expect(
      prettyLine(#"{"level":30,"time":1700000000000,"msg":"hello","pid":1}"#) == "1700000000000 INFO  hello  pid=1")
    // A number that is no level stays a field.
    #expect(prettyLine(#"{"level":35,"msg":"x"}"#) == "x  level=35")
  }

  @Test func unknownLevelNamesAreShownUpperCased() {
    #expect(prettyLine(#"{"level":"audit","msg":"x"}"#) == "AUDIT x")
    #expect(prettyLine(#"{"level":"ok","msg":"x"}"#) == "OK    x")
    #expect(prettyLine(#"{"level":"s\u00e9v","msg":"x"}"#) == "S\u{E9}V   x")
    // A known name under a later key wins over an unknown one.
    #expect(prettyLine(#"{"level":"audit","severity":"warn","msg":"x"}"#) == "WARNING x  level=audit")
    // Escapes are decoded before parsing.
    #expect(prettyLine(#"{"level":"\u0077arn","msg":"x"}"#) == "WARNING x")
  }

  // MARK: - Fields

  @Test func nestedObjectsAreFlattened() {
    #expect(
      prettyLine(#"{"msg":"m","a":{"b":{"c":1,"d":"x y"},"e":true},"f":null,"g":{},"h":-2.5e-3}"#)
        == #"m  a.b.c=1 a.b.d="x y" a.e=true f=null g={} h=-2.5e-3"#)
  }

  @Test func arraysAreCompactJSON() {
    #expect(
      prettyLine(#"{"msg":"m","tags":[ "a" , "b c" ],"n":[1, 2.5e3 ,-0],"o":[{"k" : null, "l":[]},[]],"e":[]}"#)
        == #"m  tags=["a","b c"] n=[1,2.5e3,-0] o=[{"k":null,"l":[]},[]] e=[]"#)
    // String content stays as written, escapes included.
    #expect(prettyLine(#"{"a":["q\"uote","\u00e9",true,false]}"#) == #"a=["q\"uote","\u00e9",true,false]"#)
    // Raw DEL and C1 controls, which JSON allows, are escaped.
    #expect(prettyLine("{\"a\":[\"x\u{7F}\u{85}y\"]}") == #"a=["x\u007f\u0085y"]"#)
  }

  @Test(
    "values are quoted only when needed, and escaped",
    arguments: [
      (#""abc""#, "abc"),
      (#""a b""#, #""a b""#),
      (#""a=b""#, #""a=b""#),
      (#""say \"hi\"""#, #""say \"hi\"""#),
      (#""a\nb""#, #""a\nb""#),
      (#""a\tb""#, #""a\tb""#),
      (#""a\r""#, #""a\r""#),
      (#""a\u0001b""#, #""a\u0001b""#),
      (#""\u001b[31m""#, #""\u001b[31m""#),
      (#""C:\\dir""#, #"C:\dir"#),
      (#""C:\\my dir""#, #""C:\\my dir""#),
      (#""""#, ""),
      (#""h\u00e9llo/\u2603""#, "h\u{E9}llo/\u{2603}"),
      ("\"a\u{7F}b\"", #""a\u007fb""#),
      ("\"a\u{9B}b\"", #""a\u009bb""#),
      (#""\ud83d\ude00""#, "\u{1F600}"),
    ])
  func quoting(_ json: String, _ shown: String) {
    #expect(prettyLine(#"{"k":"# + json + "}") == "k=" + shown)
  }

  @Test func messageIsNeverQuotedButControlsAreEscaped() {
    #expect(prettyLine(#"{"msg":"line1\nline2 \"q\" \\ = x"}"#) == #"line1\nline2 "q" \ = x"#)
    #expect(prettyLine(#"{"msg":"\u001b[2Jgone","t":"\u0007"}"#) == #"\u001b[2Jgone  t="\u0007""#)
  }

  @Test func keysAreDecodedAndEscaped() {
    #expect(prettyLine(#"{"msg":"m","k\u0065y":1,"a\nb":2,"n":{"\u0078":3}}"#) == #"m  key=1 a\nb=2 n.x=3"#)
  }

  // MARK: - Missing parts

  @Test func missingParts() {
    #expect(prettyLine(#"{"a":1,"b":"x"}"#) == "a=1 b=x")
    #expect(prettyLine(#"{"level":"info","a":1}"#) == "INFO  a=1")
    #expect(prettyLine(#"{"message":"only"}"#) == "only")
    #expect(prettyLine(#"{"timestamp":"t","a":1}"#) == "t  a=1")
    #expect(prettyLine(#"{"timestamp":"t","message":"m"}"#) == "t m")
    #expect(prettyLine(#"{}"#) == "")
    // Empty parts are left out, and not repeated as fields.
    #expect(prettyLine(#"{"message":"","level":"debug","timestamp":""}"#) == "DEBUG")
  }

  @Test func partsOfTheWrongKindStayFields() {
    #expect(prettyLine(#"{"message":{"text":"x"},"msg":"real"}"#) == "real  message.text=x")
    #expect(prettyLine(#"{"message":42}"#) == "message=42")
    #expect(prettyLine(#"{"time":true,"msg":"m"}"#) == "m  time=true")
    #expect(prettyLine(#"{"level":["info"],"msg":"m"}"#) == #"m  level=["info"]"#)
  }

  // MARK: - Lines that are not objects

  @Test(
    "lines that are not JSON objects are printed as they are",
    arguments: [
      ("plain text line", "plain text line"),
      ("tab\there", #"tab\there"#),
      (#"{"a":"#, #"{"a":"#),
      (#"{"a":1} trailing"#, #"{"a":1} trailing"#),
      ("[1, 2]", "[1, 2]"),
      (#""just a string""#, #""just a string""#),
      ("42", "42"),
      ("", ""),
      ("   ", "   "),
      ("\u{1B}[2Jcleared", #"\u001b[2Jcleared"#),
      ("bell\u{7}\u{85}", #"bell\u0007\u0085"#),
    ])
  func notAnObject(_ line: String, _ shown: String) {
    #expect(prettyLine(line) == shown)
  }

  @Test func oneTrailingNewlineIsIgnored() {
    #expect(prettyLine("{\"msg\":\"x\"}\n") == "x")
    #expect(prettyLine("{\"msg\":\"x\"}\r\n") == "x")
    #expect(prettyLine("plain\r\n") == "plain")
    #expect(prettyLine("plain\n\n") == #"plain\n"#)
  }

  @Test func invalidUTF8IsReplaced() {
    // Invalid UTF-8 makes the line invalid JSON: printed as is, repaired.
    let json = Array(#"{"msg":"caf"#.utf8) + [0xE9] + Array(#""}"#.utf8)
    let out1 = prettyBytes(json)
    #expect(out1 == Array("{\"msg\":\"caf\u{FFFD}\"}\n".utf8))
    let out2 = prettyBytes([0x61, 0xFF, 0xFE, 0x62])
    #expect(out2 == Array("a\u{FFFD}\u{FFFD}b\n".utf8))
    // A truncated sequence is one replacement, its continuation bytes included.
    let out3 = prettyBytes([0x78, 0xE2, 0x82, 0x79, 0xE2, 0x82])
    #expect(out3 == Array("x\u{FFFD}y\u{FFFD}\n".utf8))
    // An overlong encoding of `"` does not end anything.
    let out4 = prettyBytes([0x61, 0xC0, 0xA2, 0x62])
    #expect(out4 == Array("a\u{FFFD}b\n".utf8))
    for out in [out1, out2, out3, out4] { #expect(isWellFormedUTF8(out)) }
  }

  // MARK: - Colour

  @Test func colourCodes() {
    #expect(
      prettyLine(#"{"timestamp":"t","level":"error","message":"boom","k":"v","n":{"x":1}}"#, color: true)
        == "t \u{1B}[31mERROR\u{1B}[0m boom  \u{1B}[2mk=\u{1B}[0mv \u{1B}[2mn.x=\u{1B}[0m1")
    let levels: [(String, String)] = [
      ("trace", "\u{1B}[2mTRACE\u{1B}[0m m"), ("debug", "\u{1B}[2mDEBUG\u{1B}[0m m"),
      ("info", "\u{1B}[32mINFO\u{1B}[0m  m"), ("notice", "\u{1B}[36mNOTICE\u{1B}[0m m"),
      ("warn", "\u{1B}[33mWARNING\u{1B}[0m m"), ("error", "\u{1B}[31mERROR\u{1B}[0m m"),
      ("fatal", "\u{1B}[31mCRITICAL\u{1B}[0m m"),
    ]
    for (name, shown) in levels {
      #expect(prettyLine(#"{"level":""# + name + #"","msg":"m"}"#, color: true) == shown)
    }
    // Unknown levels and raw lines are not coloured; nothing is without `color`.
    #expect(prettyLine(#"{"level":"audit","msg":"m"}"#, color: true) == "AUDIT m")
    #expect(prettyLine("plain", color: true) == "plain")
    #expect(!prettyLine(#"{"level":"error","msg":"m","k":1}"#).contains("\u{1B}"))
  }

  // MARK: - Reuse

  @Test func reusedPrinterAppendsAndForgetsThePreviousLine() {
    let lines = [
      #"{"timestamp":"t","level":"info","message":"first","a":{"b":"x y"},"k\u0065y":"v\u0061l"}"#,
      "not json",
      #"{"level":"oops","msg":"second","z":[1,2]}"#,
      #"{"msg":"third"}"#,
    ]
    var printer = PrettyPrinter()
    var out = Array("prefix\n".utf8)
    for line in lines {
      var line = line
      line.withUTF8 { printer.format(UnsafeRawBufferPointer($0), into: &out) }
    }
    let expected = ["prefix"] + lines.map { prettyLine($0) } + [""]
    #expect(String(decoding: out, as: UTF8.self) == expected.joined(separator: "\n"))
    #expect(
      expected.dropFirst().dropLast() == [
        #"t INFO  first  a.b="x y" key=val"#, "not json", "OOPS  second  z=[1,2]", "third",
      ])
  }
}
