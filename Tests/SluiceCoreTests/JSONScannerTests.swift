import Testing

@testable import SluiceCore

// MARK: - Valid input: decoded values and round trips

@Suite("JSONScanner: valid input")
struct JSONScannerValidInputTests {
  /// Tricky documents: each must parse, write back, and parse again to an equal value.
  static let documents: [String] = [
    #"{}"#,
    #"[]"#,
    #"[{},[],{"a":[]},[[]],{"b":{}}]"#,
    #""\" \\ \/ \b \f \n \r \t""#,
    #""\u0041\u00e9\u00E9\u20ac\ud83d\ude00\uD83D\uDE00""#,
    #""\u0000\u001f\u007f\u2028""#,
    "\"raw: \u{E9} \u{20AC} \u{1F600} \u{10FFFF}\"",
    #"{"\u006b\u0065\u0079":"v","k\"q":1,"":""}"#,
    #"[0,-0,1e10,1E-5,-12.5e+3,0.1,-0.0,1.5E+300,4.9e-324]"#,
    #"[9223372036854775807,-9223372036854775808,9223372036854775808,123456789012345678901234567890]"#,
    #"[true,false,null,"true","null"]"#,
    " \t\n\r{ \"a\" \t:\n[ 1 , 2 ,\r\n{ } , [ ] ] , \"b\" : null ,\"c\":\"x y\" } \n\t ",
    #"{"a":{"b":{"c":{"d":[1,[2,[3,{"e":"deep"}]]]}}}}"#,
    #"{"dup":1,"dup":2}"#,
    "42",
    "  \"bare string\"  ",
    "null",
  ]

  @Test("round trip through JSONValue.write is stable", arguments: documents)
  func roundTrip(_ text: String) throws {
    let value = try JSONValue.parse(text)
    let written = jsonBytes(value)
    #expect(isValidUTF8(written))
    let again = try JSONValue.parse(written)
    #expect(again == value)
    // The writer's output is a fixed point.
    #expect(jsonBytes(again) == written)
    #expect(value.jsonText == String(decoding: written, as: UTF8.self))
  }

  @Test func simpleEscapesDecode() throws {
    let value = try JSONValue.parse(#""\" \\ \/ \b \f \n \r \t""#)
    #expect(value == .string("\" \\ / \u{08} \u{0C} \n \r \t"))
    // `/` needs no escape; the others are written back in their short forms.
    #expect(value.jsonText == #""\" \\ / \b \f \n \r \t""#)
  }

  @Test func unicodeEscapesDecode() throws {
    let value = try JSONValue.parse(#""\u0041\u00e9\u00E9\u20ac\ud83d\ude00\uD83D\uDE00""#)
    #expect(value == .string("A\u{E9}\u{E9}\u{20AC}\u{1F600}\u{1F600}"))
    // Written back as raw UTF-8, not as escapes.
    let expected: [UInt8] = [
      0x22, 0x41, 0xC3, 0xA9, 0xC3, 0xA9, 0xE2, 0x82, 0xAC, 0xF0, 0x9F, 0x98, 0x80, 0xF0, 0x9F, 0x98, 0x80, 0x22,
    ]
    #expect(Array(value.jsonText.utf8) == expected)
  }

  @Test func controlCharacterEscapesDecode() throws {
    let value = try JSONValue.parse(#""\u0000\u001f\u007f""#)
    #expect(value == .string("\u{0}\u{1F}\u{7F}"))
    #expect(value.jsonText == "\"\\u0000\\u001f\u{7F}\"")
  }

  @Test func rawMultibyteUTF8IsKept() throws {
    // 2-, 3- and 4-byte sequences, plus the highest scalar.
    let bytes: [UInt8] = [0x22, 0xC3, 0xA9, 0xE2, 0x82, 0xAC, 0xF0, 0x9F, 0x98, 0x80, 0xF4, 0x8F, 0xBF, 0xBF, 0x22]
    let value = try JSONValue.parse(bytes)
    #expect(value == .string("\u{E9}\u{20AC}\u{1F600}\u{10FFFF}"))
    #expect(jsonBytes(value) == bytes)
  }

  @Test func escapedKeysDecode() throws {
    let value = try JSONValue.parse(#"{"\u006b\u0065\u0079":"v","k\"q":1}"#)
    #expect(value == .object([JSONMember("key", "v"), JSONMember("k\"q", 1)]))
    #expect(value["key"] == "v")
    #expect(value["k\"q"] == 1)
  }

  @Test(
    "numbers decode to the right case",
    arguments: [
      ("0", JSONValue.int(0)),
      ("-0", .int(0)),
      ("7", .int(7)),
      ("-42", .int(-42)),
      ("1e10", .double(1e10)),
      ("1E-5", .double(1e-5)),
      ("-12.5e+3", .double(-12_500)),
      ("0.1", .double(0.1)),
      ("-0.0", .double(0)),
      ("2.5E2", .double(250)),
      ("1.5e300", .double(1.5e300)),
      ("4.9e-324", .double(.leastNonzeroMagnitude)),
      ("9223372036854775807", .int(.max)),
      ("-9223372036854775808", .int(.min)),
      ("9223372036854775808", .double(9_223_372_036_854_775_808.0)),
      ("-9223372036854775809", .double(-9_223_372_036_854_775_809.0)),
      ("123456789012345678901234567890", .double(1.2345678901234568e29)),
    ])
  func numbers(_ literal: String, _ expected: JSONValue) throws {
    let value = try JSONValue.parse(literal)
    #expect(value == expected)
    #expect(try JSONValue.parse(value.jsonText) == expected)
    #expect(try JSONValue.parse("[\(literal)]") == .array([expected]))
  }

  @Test func numberTokenFlags() throws {
    let text = #"[1,1.5,1e3,-0,2E+1]"#
    guard case .success(let tape) = scan(Array(text.utf8)) else {
      Issue.record("did not scan")
      return
    }
    #expect(tape.map(\.kind) == [.arrayStart, .number, .number, .number, .number, .number, .arrayEnd])
    #expect(tape[1...5].map(\.isFloat) == [false, true, true, false, true])
    let literals = tape[1...5].map { String(decoding: Array(text.utf8)[$0.range], as: UTF8.self) }
    #expect(literals == ["1", "1.5", "1e3", "-0", "2E+1"])
  }

  @Test func whitespaceEverywhere() throws {
    let text = " \t\n\r{ \"a\" \t:\n[ 1 , 2 ,\r\n{ } , [ ] ] , \"b\" : null ,\"c\":\"x y\" } \n\t "
    let value = try JSONValue.parse(text)
    #expect(value == ["a": [1, 2, [:], []], "b": nil, "c": "x y"])
    #expect(value.jsonText == #"{"a":[1,2,{},[]],"b":null,"c":"x y"}"#)
  }

  @Test func emptyContainers() throws {
    #expect(try JSONValue.parse("{}") == .object([]))
    #expect(try JSONValue.parse("[]") == .array([]))
    #expect(try JSONValue.parse("[ ]") == .array([]))
    #expect(try JSONValue.parse("{\n}") == .object([]))
    #expect(try JSONValue.parse(#"{"a":{},"b":[]}"#) == ["a": [:], "b": []])
  }

  @Test func deepNestingWithinTheDefaultLimit() throws {
    let depth = 500
    let arrays = String(repeating: "[", count: depth) + "1" + String(repeating: "]", count: depth)
    var expected: JSONValue = 1
    for _ in 0..<depth { expected = .array([expected]) }
    let value = try JSONValue.parse(arrays)
    #expect(value == expected)
    #expect(value.jsonText == arrays)

    let objects = String(repeating: #"{"k":"#, count: depth) + "null" + String(repeating: "}", count: depth)
    let objectValue = try JSONValue.parse(objects)
    #expect(objectValue.jsonText == objects)
    #expect(try JSONValue.parse(objectValue.jsonText) == objectValue)
  }

  @Test func exactlyMaxDepthIsAccepted() {
    let scanner = JSONScanner(maxDepth: 8)
    #expect(scanError(String(repeating: "[", count: 8) + String(repeating: "]", count: 8), scanner: scanner) == nil)
    // Depth is per branch: siblings at depth 8 are fine.
    let seven = String(repeating: "[", count: 7) + String(repeating: "]", count: 7)
    #expect(scanError("[\(seven),\(seven),{\"a\":\(seven)}]", scanner: scanner) != nil)  // the object is depth 9
    #expect(scanError("[\(seven),\(seven),\(seven)]", scanner: scanner) == nil)
    #expect(scanError(String(repeating: "[", count: 512) + String(repeating: "]", count: 512)) == nil)
  }

  @Test func scanReplacesAReusedTape() throws {
    var tape: [JSONToken] = []
    let scanner = JSONScanner()
    try scanner.scan(Array(#"{"a":[1,2,3],"b":{"c":true}}"#.utf8), into: &tape)
    #expect(tape.count == 13)
    try scanner.scan(Array("[]".utf8), into: &tape)
    #expect(tape.map(\.kind) == [.arrayStart, .arrayEnd])
    #expect(tape[0].end == 2)
    // A failed scan leaves no stale tokens that could be mistaken for a result.
    #expect(throws: JSONScanError.self) { try scanner.scan(Array("x".utf8), into: &tape) }
    #expect(tape.isEmpty)
  }
}

// MARK: - Tape structure

@Suite("JSONScanner: tape structure")
struct JSONTapeStructureTests {
  @Test func tapeOfANestedDocument() throws {
    let text = #"{"a":[1,{"b":2}],"c":{},"d":"x\ny"}"#
    let bytes = Array(text.utf8)
    guard case .success(let tape) = scan(bytes) else {
      Issue.record("did not scan")
      return
    }
    #expect(
      tape.map(\.kind) == [
        .objectStart, .key, .arrayStart, .number, .objectStart, .key, .number, .objectEnd, .arrayEnd,
        .key, .objectStart, .objectEnd, .key, .string, .objectEnd,
      ])
    // A container start's `end` is the tape index just past its matching end token.
    #expect(tape[0].end == 15)
    #expect(tape[2].end == 9)
    #expect(tape[4].end == 8)
    #expect(tape[10].end == 12)
    #expect(JSONTape.next(after: 2, in: tape) == 9)
    #expect(JSONTape.next(after: 3, in: tape) == 4)
    // Keys precede their values, and key/string ranges are the raw content between quotes.
    func content(_ k: Int) -> String { String(decoding: bytes[tape[k].range], as: UTF8.self) }
    #expect(content(1) == "a")
    #expect(content(5) == "b")
    #expect(content(9) == "c")
    #expect(content(12) == "d")
    #expect(content(13) == #"x\ny"#)
    #expect(tape[13].hasEscapes)
    #expect(!tape[12].hasEscapes)
    // Container tokens record the byte offset of their brackets.
    #expect(tape[0].start == 0)
    #expect(bytes[Int(tape[2].start)] == UInt8(ascii: "["))
    #expect(bytes[Int(tape[7].start)] == UInt8(ascii: "}"))
    #expect(bytes[Int(tape[8].start)] == UInt8(ascii: "]"))
    #expect(tape[14].start == UInt32(bytes.count - 1))
    checkWholeTape(tape, byteCount: bytes.count)
  }

  @Test func scalarsAtTopLevel() throws {
    for (text, kind) in [("true", JSONToken.Kind.true), ("false", .false), ("null", .null), ("-1.5", .number)] {
      guard case .success(let tape) = scan(Array(" \(text) ".utf8)) else {
        Issue.record("did not scan \(text)")
        continue
      }
      #expect(tape == [JSONToken(kind: kind, start: 1, end: UInt32(1 + text.utf8.count), isFloat: kind == .number)])
    }
  }

  @Test func lookupThroughTheTape() throws {
    let bytes = Array(#"{"a":{"b":[1,2]},"a.b":"flat","x":{"y":{"z":true}},"k\u0065y":1}"#.utf8)
    guard case .success(let tape) = scan(bytes) else {
      Issue.record("did not scan")
      return
    }
    bytes.withUnsafeBytes { raw in
      func find(_ path: String) -> JSONValue? {
        JSONTape.lookup(path: path, inObjectAt: 0, tape: tape, bytes: raw).map {
          JSONValue.build(at: $0, tape: tape, bytes: raw)
        }
      }
      #expect(find("a") == ["b": [1, 2]])
      #expect(find("a.b") == "flat")  // the whole dotted key wins over the nested path
      #expect(find("x.y.z") == true)
      #expect(find("x.y") == ["z": true])
      #expect(find("key") == 1)  // escaped key text is decoded for comparison
      #expect(find("x.q") == nil)
      #expect(find("a.b.c") == nil)
      #expect(find("missing") == nil)
    }
  }
}

// MARK: - Invalid input

struct BadJSON: Sendable, CustomTestStringConvertible {
  var name: String
  var bytes: [UInt8]
  var reason: JSONScanError.Reason
  var offset: Int

  init(_ name: String, _ bytes: [UInt8], _ reason: JSONScanError.Reason, at offset: Int) {
    self.name = name
    self.bytes = bytes
    self.reason = reason
    self.offset = offset
  }

  init(_ text: String, _ reason: JSONScanError.Reason, at offset: Int) {
    self.init(text, Array(text.utf8), reason, at: offset)
  }

  var testDescription: String { name }
}

@Suite("JSONScanner: invalid input")
struct JSONScannerInvalidInputTests {
  static let q = UInt8(ascii: "\"")

  static let cases: [BadJSON] = [
    BadJSON("(empty)", [], .empty, at: 0),
    BadJSON("(whitespace only)", Array(" \t\r\n ".utf8), .empty, at: 5),
    BadJSON("{", .unexpectedEnd, at: 1),
    BadJSON("[", .unexpectedEnd, at: 1),
    BadJSON("[1", .unexpectedEnd, at: 2),
    BadJSON(#"{"a""#, .unexpectedEnd, at: 4),
    BadJSON(#"{"a":"#, .unexpectedEnd, at: 5),
    BadJSON(#"{"a":1,"#, .unexpectedEnd, at: 7),
    BadJSON(#"{"a"}"#, .unexpectedCharacter, at: 4),
    BadJSON(#"{"a":}"#, .unexpectedCharacter, at: 5),
    BadJSON(#"{"a" 1}"#, .unexpectedCharacter, at: 5),
    BadJSON(#"{"a":1 "b":2}"#, .unexpectedCharacter, at: 7),
    BadJSON(#"{1:2}"#, .unexpectedCharacter, at: 1),
    BadJSON(#"{'a':1}"#, .unexpectedCharacter, at: 1),
    BadJSON("[1,]", .unexpectedCharacter, at: 3),
    BadJSON("[,1]", .unexpectedCharacter, at: 1),
    BadJSON("[1 2]", .unexpectedCharacter, at: 3),
    BadJSON(#"{"a":1,}"#, .unexpectedCharacter, at: 7),
    BadJSON("[}", .unexpectedCharacter, at: 1),
    BadJSON("{]", .unexpectedCharacter, at: 1),
    BadJSON("[1}", .unexpectedCharacter, at: 2),
    BadJSON("'a'", .unexpectedCharacter, at: 0),
    BadJSON("+1", .unexpectedCharacter, at: 0),
    BadJSON(".5", .unexpectedCharacter, at: 0),
    BadJSON("(NUL)", [0x00], .unexpectedCharacter, at: 0),
    BadJSON("(raw é outside a string)", [0xC3, 0xA9], .unexpectedCharacter, at: 0),
    BadJSON("01", .trailingCharacters, at: 1),
    BadJSON("[01]", .unexpectedCharacter, at: 2),
    BadJSON("-01", .trailingCharacters, at: 2),
    BadJSON("1.", .invalidNumber, at: 0),
    BadJSON("1.e5", .invalidNumber, at: 0),
    BadJSON("-", .invalidNumber, at: 0),
    BadJSON("-a", .invalidNumber, at: 0),
    BadJSON("[-]", .invalidNumber, at: 1),
    BadJSON("1e", .invalidNumber, at: 0),
    BadJSON("1e+", .invalidNumber, at: 0),
    BadJSON("[1,2e-]", .invalidNumber, at: 3),
    BadJSON("tru", .unexpectedEnd, at: 3),
    BadJSON("nul", .unexpectedEnd, at: 3),
    BadJSON("fals", .unexpectedEnd, at: 4),
    BadJSON("trux", .invalidLiteral, at: 0),
    BadJSON("[nulL]", .invalidLiteral, at: 1),
    BadJSON("True", .unexpectedCharacter, at: 0),
    BadJSON("[tr", .unexpectedEnd, at: 3),
    BadJSON("[tx", .invalidLiteral, at: 1),
    BadJSON(#""abc"#, .unexpectedEnd, at: 4),
    BadJSON(#"["a","#, .unexpectedEnd, at: 5),
    BadJSON(#""\"#, .unexpectedEnd, at: 2),
    BadJSON("(raw 0x01 in a string)", [q, 0x61, 0x01, 0x62, q], .controlCharacterInString, at: 2),
    BadJSON("(raw newline in a string)", Array("\"a\nb\"".utf8), .controlCharacterInString, at: 2),
    BadJSON("(raw tab in a string)", Array("[\"\t\"]".utf8), .controlCharacterInString, at: 2),
    BadJSON("(raw NUL in a key)", [0x7B, q, 0x00, q, 0x3A, 0x31, 0x7D], .controlCharacterInString, at: 2),
    BadJSON(#""\x""#, .invalidEscape, at: 1),
    BadJSON(#""ab\'""#, .invalidEscape, at: 3),
    BadJSON(#""\U0041""#, .invalidEscape, at: 1),
    BadJSON(#""\u12G4""#, .invalidUnicodeEscape, at: 1),
    BadJSON(#""\u12""#, .invalidUnicodeEscape, at: 1),
    BadJSON(#""\u""#, .invalidUnicodeEscape, at: 1),
    BadJSON(#""ab\ud800""#, .invalidUnicodeEscape, at: 3),
    BadJSON(#""\ud800x""#, .invalidUnicodeEscape, at: 1),
    BadJSON(#""\ud800\u0041""#, .invalidUnicodeEscape, at: 1),
    BadJSON(#""\ud800\ud800""#, .invalidUnicodeEscape, at: 1),
    BadJSON(#""\ud800\n""#, .invalidUnicodeEscape, at: 1),
    BadJSON(#""\udc00""#, .invalidUnicodeEscape, at: 1),
    BadJSON(#""\uDFFF\uD800""#, .invalidUnicodeEscape, at: 1),
    BadJSON(#"{"\udc00":1}"#, .invalidUnicodeEscape, at: 2),
    BadJSON("(overlong C0 80)", [q, 0xC0, 0x80, q], .invalidUTF8, at: 1),
    BadJSON("(overlong E0 80 AF)", [q, 0xE0, 0x80, 0xAF, q], .invalidUTF8, at: 1),
    BadJSON("(overlong F0 80 80 AF)", [q, 0xF0, 0x80, 0x80, 0xAF, q], .invalidUTF8, at: 1),
    BadJSON("(surrogate ED A0 80)", [q, 0x61, 0xED, 0xA0, 0x80, q], .invalidUTF8, at: 2),
    BadJSON("(F5)", [q, 0xF5, 0x80, 0x80, 0x80, q], .invalidUTF8, at: 1),
    BadJSON("(above U+10FFFF: F4 90 80 80)", [q, 0xF4, 0x90, 0x80, 0x80, q], .invalidUTF8, at: 1),
    BadJSON("(FF)", [q, 0xFF, q], .invalidUTF8, at: 1),
    BadJSON("(lone continuation 80)", [q, 0x41, 0x80, q], .invalidUTF8, at: 2),
    BadJSON("(truncated E2 82 then quote)", [q, 0xE2, 0x82, q], .invalidUTF8, at: 1),
    BadJSON("(truncated E2 82 at end)", [q, 0xE2, 0x82], .invalidUTF8, at: 1),
    BadJSON("(truncated F0 9F 98 then ASCII)", [q, 0xF0, 0x9F, 0x98, 0x41, q], .invalidUTF8, at: 1),
    BadJSON("(invalid UTF-8 in a key)", [0x7B, q, 0xC0, 0x80, q, 0x3A, 0x31, 0x7D], .invalidUTF8, at: 2),
    BadJSON("{} x", .trailingCharacters, at: 3),
    BadJSON("[]]", .trailingCharacters, at: 2),
    BadJSON("1 2", .trailingCharacters, at: 2),
    BadJSON(#""a""b""#, .trailingCharacters, at: 3),
    BadJSON("null\u{0}", Array("null".utf8) + [0], .trailingCharacters, at: 4),
  ]

  @Test("invalid input is rejected with the right reason and offset", arguments: cases)
  func rejects(_ bad: BadJSON) {
    let error = scanError(bad.bytes)
    #expect(error == JSONScanError(bad.reason, at: bad.offset))
    // The parse API reports the same error.
    #expect(throws: JSONScanError(bad.reason, at: bad.offset)) { try JSONValue.parse(bad.bytes) }
  }

  @Test func errorDescriptionNamesOffsetAndReason() {
    let error = scanError(#"{"a":}"#)
    #expect(error?.description == "invalid JSON at byte 5: unexpected character")
  }

  @Test func nestingDeeperThanMaxDepth() {
    let scanner = JSONScanner(maxDepth: 8)
    let arrays = String(repeating: "[", count: 9) + String(repeating: "]", count: 9)
    #expect(scanError(arrays, scanner: scanner) == JSONScanError(.tooDeep, at: 8))
    // Objects count too: the ninth `{` is at byte 9 * 5 - 5.
    let objects = String(repeating: #"{"a":"#, count: 9) + "1" + String(repeating: "}", count: 9)
    #expect(scanError(objects, scanner: scanner) == JSONScanError(.tooDeep, at: 40))
    // Even an empty container beyond the limit is rejected.
    #expect(
      scanError(String(repeating: "[", count: 8) + "{}" + String(repeating: "]", count: 8), scanner: scanner)
        == JSONScanError(.tooDeep, at: 8))
    // The default limit is 512.
    let deep = String(repeating: "[", count: 513) + String(repeating: "]", count: 513)
    #expect(scanError(deep) == JSONScanError(.tooDeep, at: 512))
    // Very deep input fails cleanly instead of overflowing a stack.
    let huge = String(repeating: "[", count: 100_000)
    #expect(scanError(huge) == JSONScanError(.tooDeep, at: 512))
    // The tape-free check keeps the same limits (its container bits span several words).
    func valid(_ text: String, _ scanner: JSONScanner = JSONScanner()) -> Bool {
      Array(text.utf8).withUnsafeBytes { scanner.isValid($0) }
    }
    #expect(!valid(arrays, scanner) && !valid(objects, scanner) && !valid(deep) && !valid(huge))
    let mixed512 =
      (0..<512).map { $0 % 3 == 0 ? #"{"k":"# : "[" }.joined() + "1"
      + (0..<512).reversed().map { $0 % 3 == 0 ? "}" : "]" }.joined()
    #expect(valid(mixed512))
    #expect(!valid(mixed512.replacingOccurrences(of: "1]}", with: "1}}")))
  }

  @Test func everyStrictPrefixOfAContainerIsRejected() {
    var rng = SplitMix64(seed: 0x5EED_0001)
    let allowed: Set<JSONScanError.Reason> = [.unexpectedEnd, .invalidNumber, .invalidUTF8, .invalidUnicodeEscape]
    for _ in 0..<150 {
      let value: JSONValue =
        rng.oneIn(2)
        ? .array((0..<3).map { _ in randomValue(&rng, depth: 1) })
        : .object([JSONMember("k", randomValue(&rng, depth: 1)), JSONMember("\u{E9}\n", randomValue(&rng, depth: 1))])
      let bytes = jsonBytes(value)
      #expect(isValidJSON(bytes))
      for cut in 0..<bytes.count {
        let prefix = Array(bytes[..<cut])
        guard let error = scanError(prefix) else {
          Issue.record("prefix of length \(cut) of \(value.jsonText) scanned as valid")
          continue
        }
        #expect(cut == 0 || allowed.contains(error.reason), "\(error) for prefix \(prefix)")
        #expect(error.offset <= cut)
      }
    }
  }
}

// MARK: - Randomised input

@Suite("JSONScanner: randomised input")
struct JSONScannerFuzzTests {
  /// Scans `bytes`: a failure must carry an offset within the input; a success must give a
  /// well-formed tape and a value that survives write-then-parse unchanged.
  /// - Returns: whether the bytes scanned.
  @discardableResult
  /// Scans `bytes` and checks what a successful scan gives; also that ``JSONScanner/isValid(_:)``
  /// (the tape-free check) agrees with the scan.
  static func check(_ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) -> Bool {
    let result = scan(bytes)
    let scanned = if case .success = result { true } else { false }
    #expect(
      bytes.withUnsafeBytes { JSONScanner().isValid($0) } == scanned, "isValid disagrees with scan on \(bytes)",
      sourceLocation: sourceLocation)
    switch result {
    case .failure(let error):
      #expect(error.offset >= 0 && error.offset <= bytes.count, "\(error) for \(bytes)", sourceLocation: sourceLocation)
      return false
    case .success(let tape):
      checkWholeTape(tape, byteCount: bytes.count, sourceLocation: sourceLocation)
      guard let value = try? JSONValue.parse(bytes) else {
        Issue.record("scanned but did not parse: \(bytes)", sourceLocation: sourceLocation)
        return true
      }
      // JSON has no number for infinity (e.g. `1e999`); the writer emits a string for it.
      if containsNonFinite(value) { return true }
      let written = jsonBytes(value)
      #expect(isValidUTF8(written), sourceLocation: sourceLocation)
      #expect((try? JSONValue.parse(written)) == value, "\(bytes)", sourceLocation: sourceLocation)
      return true
    }
  }

  @Test func randomBytes() {
    var rng = SplitMix64(seed: 0xC0FFEE)
    var valid = 0
    for _ in 0..<3000 {
      let length = rng.below(24)
      let bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
      if Self.check(bytes) { valid += 1 }
    }
    // Pure noise is almost never JSON; this only shows the loop ran.
    #expect(valid < 3000)
  }

  static let fragments: [[UInt8]] =
    [
      "{", "}", "[", "]", ",", ":", "\"", "\\", #""a""#, #""k":"#, "1", "0", "-", ".", "e", "E", "+", "12", "true",
      "false", "null", "tr", " ", "\n", #"\u"#, "d83d", #"\ude00"#, "00e9", #"\n"#, "x", "\u{E9}", "\u{1F600}",
    ].map { Array($0.utf8) } + [[0xFF], [0xC0], [0xED, 0xA0, 0x80], [0xE2, 0x82], [0x01]]

  @Test func randomJSONishFragments() {
    var rng = SplitMix64(seed: 0xF00D)
    var valid = 0
    for _ in 0..<4000 {
      var bytes: [UInt8] = []
      for _ in 0..<(1 + rng.below(12)) { bytes += Self.fragments[rng.below(Self.fragments.count)] }
      if Self.check(bytes) { valid += 1 }
    }
    #expect(valid > 40, "the generator should produce some valid documents")
    #expect(valid < 4000)
  }

  @Test func mutatedValidDocuments() {
    var rng = SplitMix64(seed: 0xBADC0DE)
    let interesting: [UInt8] = [
      0x22, 0x5C, 0x7B, 0x7D, 0x5B, 0x5D, 0x2C, 0x3A, 0x30, 0x2D, 0x65, 0x2E, 0x00, 0x0A,
      0x20, 0x75, 0x80, 0xBF, 0xC0, 0xE2, 0xED, 0xF0, 0xF4, 0xF5, 0xFF,
    ]
    var valid = 0
    for _ in 0..<3000 {
      var bytes = jsonBytes(randomValue(&rng))
      for _ in 0..<(1 + rng.below(3)) {
        let at = bytes.isEmpty ? 0 : rng.below(bytes.count)
        let byte = rng.oneIn(2) ? interesting[rng.below(interesting.count)] : UInt8(truncatingIfNeeded: rng.next())
        switch rng.below(4) {
        case 0 where !bytes.isEmpty: bytes[at] = byte
        case 1 where !bytes.isEmpty: bytes.remove(at: at)
        case 2 where !bytes.isEmpty: bytes.insert(contentsOf: bytes[at...].prefix(rng.below(6)), at: at)
        default: bytes.insert(byte, at: at)
        }
      }
      if Self.check(bytes) { valid += 1 }
    }
    #expect(valid > 100, "some mutations keep a document valid")
  }

  @Test func randomValuesRoundTripThroughTheWriter() throws {
    var rng = SplitMix64(seed: 42)
    for _ in 0..<3000 {
      let value = randomValue(&rng)
      let written = jsonBytes(value)
      guard case .success(let tape) = scan(written) else {
        Issue.record("writer output does not scan: \(value) -> \(String(decoding: written, as: UTF8.self))")
        continue
      }
      checkWholeTape(tape, byteCount: written.count)
      let parsed = try JSONValue.parse(written)
      #expect(parsed == value)
      #expect(jsonBytes(parsed) == written)
    }
  }
}
