import Testing

@testable import SluiceCore

// MARK: - Parsing and wrapping

@Suite("Event: parsing")
struct EventParseTests {
  @Test(
    "a JSON object line is kept byte for byte",
    arguments: [
      #"{"a":1}"#,
      #"{}"#,
      #"{ "b": [1, 2.5, {"c": null}],  "msg":"caf\u00e9 \"q\"" }"#,
      "  {\"a\":\"\u{E9}\u{1F600}\"}\t ",
      #"{"level":"error","log.level":"warn"}"#,
    ])
  func objectLineKept(_ line: String) {
    var event = rawEvent(line)
    #expect(!event.isStructured)
    let (outcome, error) = event.parse(using: JSONScanner())
    #expect(outcome == .object)
    #expect(error == nil)
    #expect(event.isStructured)
    #expect(event.bytes == Array(line.utf8))
    #expect(event.tape.first?.kind == .objectStart)
    checkWholeTape(event.tape, byteCount: event.bytes.count)
  }

  @Test(
    "non-object lines are wrapped as {\"message\": line}",
    arguments: [
      ("hello world", Event.WrapReason.notJSON),
      ("say \"hi\" \\ C:\\temp\ttab", .notJSON),
      ("", .notJSON),
      ("   ", .notJSON),
      ("[1,", .notJSON),
      ("level=error msg=boom", .notJSON),
      ("42", .notObject),
      (#""x""#, .notObject),
      ("[1]", .notObject),
      ("null", .notObject),
      (" true ", .notObject),
      (#"{"a":"#, .invalidJSON),
      ("{broken", .invalidJSON),
      ("  \t{\"a\":1,}", .invalidJSON),
      (#"{"a":1} trailing"#, .invalidJSON),
    ])
  func wrapped(_ line: String, _ reason: Event.WrapReason) throws {
    var event = rawEvent(line)
    let (outcome, error) = event.parse(using: JSONScanner())
    #expect(outcome == .wrapped(reason: reason))
    // A scan error is reported exactly when the line was not valid JSON.
    #expect((error != nil) == (reason != .notObject))
    #expect(event.isStructured)
    // The result is exactly {"message":<line>}: one member whose decoded value is the line.
    let value = try JSONValue.parse(event.bytes)
    #expect(value == .object([JSONMember("message", .string(line))]))
    #expect(event.value(forKey: "message") == .string(line))
    #expect(event.text.hasPrefix(#"{"message":""#))
    checkWholeTape(event.tape, byteCount: event.bytes.count)
  }

  @Test func wrapReportsTheScanError() {
    var event = rawEvent(#"{"a":}"#)
    let (outcome, error) = event.parse(using: JSONScanner())
    #expect(outcome == .wrapped(reason: .invalidJSON))
    #expect(error == JSONScanError(.unexpectedCharacter, at: 5))
    #expect(event.text == #"{"message":"{\"a\":}"}"#)

    var empty = rawEvent("")
    #expect(empty.parse(using: JSONScanner()).1 == JSONScanError(.empty, at: 0))
    #expect(empty.text == #"{"message":""}"#)
  }

  @Test func wrappingEscapesTheLine() {
    var event = rawEvent("a \"b\" \\ c\td\u{1}")
    event.parse(using: JSONScanner())
    #expect(event.text == #"{"message":"a \"b\" \\ c\td\u0001"}"#)
  }

  @Test func parseIsIdempotent() {
    var event = rawEvent("plain text")
    event.parse(using: JSONScanner())
    let once = event.bytes
    let (outcome, error) = event.parse(using: JSONScanner())
    #expect(outcome == .object)
    #expect(error == nil)
    #expect(event.bytes == once)
  }

  @Test func depthLimitOfTheScannerApplies() {
    var event = rawEvent(#"{"a":{"b":{"c":1}}}"#)
    let (outcome, error) = event.parse(using: JSONScanner(maxDepth: 2))
    #expect(outcome == .wrapped(reason: .invalidJSON))
    #expect(error?.reason == .tooDeep)
    #expect(event.value(forKey: "message") == #"{"a":{"b":{"c":1}}}"#)
  }

  @Test func invalidUTF8IsRepairedWhenWrapping() throws {
    var event = rawEvent([0x61, 0xFF, 0x62, 0x20, 0xE2, 0x82])
    #expect(event.wrapAsMessage() == 2)
    #expect(event.isStructured)
    #expect(isValidUTF8(event.bytes))
    #expect(
      event.bytes == Array(#"{"message":"a"#.utf8) + JSONWriter.replacementCharacter + [0x62, 0x20]
        + JSONWriter.replacementCharacter + Array(#""}"#.utf8))
    #expect(try JSONValue.parse(event.bytes) == ["message": "a\u{FFFD}b \u{FFFD}"])

    // A valid line needs no repairs.
    var clean = rawEvent("caf\u{E9}")
    #expect(clean.wrapAsMessage() == 0)
    #expect(clean.value(forKey: "message") == "caf\u{E9}")
  }

  @Test func invalidUTF8LinesBecomeValidJSONWhenParsed() throws {
    // Plain text with a bad byte, and a JSON object with a bad byte inside a string.
    for line: [UInt8] in [[0x68, 0x69, 0xC0, 0x80], [0x7B, 0x22, 0x61, 0x22, 0x3A, 0x22, 0xFF, 0x22, 0x7D]] {
      var event = rawEvent(line)
      let (outcome, error) = event.parse(using: JSONScanner())
      #expect(outcome == .wrapped(reason: line.first == 0x7B ? .invalidJSON : .notJSON))
      #expect(error?.reason == (line.first == 0x7B ? .invalidUTF8 : .unexpectedCharacter))
      #expect(isValidUTF8(event.bytes))
      #expect(isValidJSON(event.bytes))
      let message = try #require(event.value(forKey: "message")?.stringValue)
      #expect(message.contains("\u{FFFD}"))
    }
  }

  @Test func loadReplacesContentAndResetsStructure() {
    var event = Event(#"{"a":1}"#)
    #expect(event.isStructured)
    event.load(UnsafeRawBufferPointer(start: nil, count: 0))
    #expect(!event.isStructured)
    #expect(event.bytes.isEmpty)
    #expect(event.level == nil)
    #expect(event.value(forKey: "a") == nil)
    let line = Array("second line".utf8)
    line.withUnsafeBytes { event.load($0) }
    #expect(event.bytes == line)
    #expect(!event.isStructured)
  }

  @Test func initFromText() {
    let object = Event(#"{"x":"y"}"#)
    #expect(object.isStructured)
    #expect(object.text == #"{"x":"y"}"#)
    let plain = Event("just text")
    #expect(plain.isStructured)
    #expect(plain.text == #"{"message":"just text"}"#)
  }
}

// MARK: - Levels

@Suite("Event: level")
struct EventLevelTests {
  @Test(
    arguments: [
      (#"{"level":"info"}"#, LogLevel?.some(.info)),
      (#"{"level":"WARN"}"#, .warning),
      (#"{"level":"Error","msg":"x"}"#, .error),
      (#"{"log.level":"error"}"#, .error),
      (#"{"log":{"level":"debug"}}"#, .debug),
      (#"{"msg":"x","log":{"origin":{},"level":"FATAL"}}"#, .critical),
      (#"{"severity_text":"ERROR"}"#, .error),
      (#"{"severity":"critical"}"#, .critical),
      (#"{"lvl":"trace"}"#, .trace),
      (#"{"loglevel":"notice"}"#, .notice),
      (#"{"severity_number":17}"#, .error),
      (#"{"severity_number":9}"#, .info),
      (#"{"severity_number":24}"#, .critical),
      (#"{"severity_number":1}"#, .trace),
      (#"{"severity_number":0}"#, nil),
      (#"{"severity_number":25}"#, nil),
      (#"{"severity_number":"17"}"#, nil),
      (#"{"level":"warn","severity_number":21}"#, .warning),  // a level name wins over a number
      (#"{"severity_text":"INFO","severity_number":17}"#, .info),
      (#"{"level":"bogus"}"#, nil),
      (#"{"msg":"no level here"}"#, nil),
      (#"{"message":"level: error"}"#, nil),
      (#"{}"#, nil),
      (#"{"nested":{"level":"error"}}"#, nil),  // only top level and known paths count
    ])
  func level(_ json: String, _ expected: LogLevel?) {
    #expect(structuredEvent(json).level == expected)
  }

  /// The one-walk reading agrees with a lookup per key on objects made of level keys in any
  /// order, repeated, nested under `log`, escaped, with names, numbers and non-levels.
  @Test func oneWalkAgreesWithALookupPerKey() {
    var rng = SplitMix64(seed: 99)
    let keys = SchemaKeys.level + ["severity_number", "log", "msg", "levels", "Level", #"le\u0076el"#]
    let values = [
      #""error""#, #""WARN""#, #""x1""#, "30", "50", "17", "99", "true", "null", #"{"level":"debug"}"#,
      #""\u0045RROR""#,
      #"{"origin":{}}"#,
    ]
    var withLevel = 0
    for _ in 0..<3000 {
      let members = (0..<rng.below(6)).map { _ in
        #""\#(keys[rng.below(keys.count)])":\#(values[rng.below(values.count)])"#
      }
      let event = structuredEvent("{" + members.joined(separator: ",") + "}")
      let slow = event.bytes.withUnsafeBytes { event.levelByLookup($0) }
      #expect(event.level == slow, "\(members)")
      if slow != nil { withLevel += 1 }
    }
    #expect(withLevel > 1000)
  }

  @Test func rawAndWrappedEventsHaveNoLevel() {
    #expect(rawEvent(#"{"level":"error"}"#).level == nil)  // not parsed yet
    #expect(Event("ERROR something failed").level == nil)  // wrapped text has only a message
  }
}

// MARK: - Field access and rewriting

@Suite("Event: fields")
struct EventFieldTests {
  @Test func valueForKey() {
    let event = structuredEvent(
      #"{"msg":"hi","http":{"request":{"method":"GET","bytes":512}},"a.b":1,"a":{"b":2},"tags":["x","y"],"#
        + #""k\u0065y":"escaped","dup":1,"dup":2}"#)
    #expect(event.value(forKey: "msg") == "hi")
    #expect(event.value(forKey: "http.request.method") == "GET")
    #expect(event.value(forKey: "http.request.bytes") == 512)
    #expect(event.value(forKey: "http.request") == ["method": "GET", "bytes": 512])
    #expect(event.value(forKey: "a.b") == 1)  // a dotted key as written wins over the path
    #expect(event.value(forKey: "tags") == ["x", "y"])
    #expect(event.value(forKey: "key") == "escaped")
    #expect(event.value(forKey: "dup") == 1)  // the first member wins
    #expect(event.value(forKey: "http.response.status") == nil)
    #expect(event.value(forKey: "msg.length") == nil)  // a path through a non-object
    #expect(event.value(forKey: "tags.0") == nil)
    #expect(event.value(forKey: "missing") == nil)
    #expect(event.valueIndex(forAnyOf: ["missing", "msg"]) == event.valueIndex(forAnyOf: ["msg"]))
  }

  @Test func appendMemberToAnEmptyObject() throws {
    var event = structuredEvent("{}")
    event.appendMember(key: "k", jsonValue: "1")
    #expect(event.text == #"{"k":1}"#)
    #expect(event.value(forKey: "k") == 1)
    checkWholeTape(event.tape, byteCount: event.bytes.count)
  }

  @Test func appendMemberToANonEmptyObject() throws {
    var event = structuredEvent(#"{"a":{"b":[1,{}]},"c":"d"}"#)
    event.appendMember(key: "k", jsonValue: #"{"x":true}"#)
    #expect(event.text == #"{"a":{"b":[1,{}]},"c":"d","k":{"x":true}}"#)
    #expect(event.value(forKey: "k.x") == true)
    #expect(event.value(forKey: "a.b") == [1, [:]])
    event.appendMember(key: "quote\"key", jsonValue: "null")
    #expect(event.text == #"{"a":{"b":[1,{}]},"c":"d","k":{"x":true},"quote\"key":null}"#)
    #expect(event.value(forKey: "quote\"key") == JSONValue.null)
    #expect(try JSONValue.parse(event.bytes)["quote\"key"] == .null)
    checkWholeTape(event.tape, byteCount: event.bytes.count)
  }

  @Test func appendMemberKeepsSurroundingWhitespace() throws {
    var event = structuredEvent(" { \"a\" : 1 } \n")
    event.appendMember(key: "b", jsonValue: "2")
    #expect(event.text == " { \"a\" : 1 ,\"b\":2} \n")
    #expect(try JSONValue.parse(event.bytes) == ["a": 1, "b": 2])

    var spaced = structuredEvent("{ }")
    spaced.appendMember(key: "b", jsonValue: "2")
    #expect(try JSONValue.parse(spaced.bytes) == ["b": 2])
  }

  @Test func appendMemberToAWrappedLine() throws {
    var event = Event("plain")
    event.appendMember(key: "source", jsonValue: #""stdin""#)
    #expect(event.text == #"{"message":"plain","source":"stdin"}"#)
  }

  @Test func appendMemberIgnoresRawEvents() {
    var event = rawEvent("not parsed")
    event.appendMember(key: "k", jsonValue: "1")
    #expect(event.text == "not parsed")
    #expect(!event.isStructured)
  }
}
