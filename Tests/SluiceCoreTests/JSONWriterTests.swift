import Testing

@testable import SluiceCore

/// Escapes `bytes` with the byte-level writer; returns the output and the replacement count.
private func escaped(_ bytes: [UInt8]) -> (out: [UInt8], replaced: Int) {
  var out: [UInt8] = []
  let replaced = bytes.withUnsafeBytes { JSONWriter.appendStringContent($0, to: &out) }
  return (out, replaced)
}

/// Escapes `text` with the `String` writer.
private func escaped(_ text: String) -> String {
  var out: [UInt8] = []
  JSONWriter.appendStringContent(text, to: &out)
  return String(decoding: out, as: UTF8.self)
}

private func quoted(_ content: [UInt8]) -> [UInt8] { [0x22] + content + [0x22] }

/// How many times U+FFFD (EF BF BD) occurs in `bytes`.
private func replacementCount(_ bytes: [UInt8]) -> Int {
  guard bytes.count >= 3 else { return 0 }
  return (0...(bytes.count - 3)).filter { bytes[$0] == 0xEF && bytes[$0 + 1] == 0xBF && bytes[$0 + 2] == 0xBD }.count
}

private let fffd = JSONWriter.replacementCharacter

// MARK: - Strings

@Suite("JSONWriter: strings")
struct JSONWriterStringTests {
  @Test("control characters are escaped", arguments: 0..<0x20)
  func controlCharacter(_ c: Int) throws {
    let expected: String
    switch c {
    case 0x08: expected = #"\b"#
    case 0x09: expected = #"\t"#
    case 0x0A: expected = #"\n"#
    case 0x0C: expected = #"\f"#
    case 0x0D: expected = #"\r"#
    default:
      let hex = Array("0123456789abcdef")
      expected = #"\u00"# + String(hex[c >> 4]) + String(hex[c & 0xF])
    }
    let (out, replaced) = escaped([0x61, UInt8(c), 0x62])
    #expect(String(decoding: out, as: UTF8.self) == "a" + expected + "b")
    #expect(replaced == 0)
    let scalar = String(Character(Unicode.Scalar(UInt8(c))))
    #expect(escaped("a" + scalar + "b") == "a" + expected + "b")
    #expect(try JSONValue.parse(quoted(out)) == .string("a" + scalar + "b"))
  }

  @Test func quoteAndBackslashAreEscaped() throws {
    #expect(escaped("\"") == #"\""#)
    #expect(escaped("\\") == #"\\"#)
    #expect(escaped(#"a"b\c"\"#) == #"a\"b\\c\"\\"#)
    #expect(escaped(#"C:\path\"quoted""#) == #"C:\\path\\\"quoted\""#)
    var out: [UInt8] = []
    JSONWriter.appendString(#"say "hi""#, to: &out)
    #expect(String(decoding: out, as: UTF8.self) == #""say \"hi\"""#)
    #expect(try JSONValue.parse(out) == .string(#"say "hi""#))
  }

  @Test func otherASCIIIsLeftAsIs() {
    for c in UInt8(0x20)...0x7F where c != 0x22 && c != 0x5C {
      let (out, replaced) = escaped([c])
      #expect(out == [c], "byte \(c)")
      #expect(replaced == 0)
    }
    #expect(escaped("http://example.com/a?b=c&d=<e>") == "http://example.com/a?b=c&d=<e>")
  }

  @Test func validUTF8IsLeftAsIs() {
    let text = "caf\u{E9} \u{20AC}5 \u{1F600} \u{10FFFF} \u{FFFD} \u{7FF} \u{800} \u{FFFF} \u{10000}"
    let (out, replaced) = escaped(Array(text.utf8))
    #expect(out == Array(text.utf8))
    #expect(replaced == 0)
    #expect(escaped(text) == text)
  }

  /// Line and paragraph separators are escaped: valid JSON either way, but raw they end
  /// lines for JavaScript and some line splitters.
  @Test func lineAndParagraphSeparatorsAreEscaped() throws {
    #expect(escaped("a\u{2028}b\u{2029}c") == "a\\u2028b\\u2029c")
    var out: [UInt8] = []
    JSONWriter.appendString("x\u{2028}y", to: &out)
    #expect(try JSONValue.parse(out) == .string("x\u{2028}y"))
  }

  @Test func appendsAfterExistingContent() {
    var out: [UInt8] = Array("prefix:".utf8)
    let replaced = [UInt8]([0x41, 0x0A, 0xFF]).withUnsafeBytes { JSONWriter.appendStringContent($0, to: &out) }
    #expect(out == Array("prefix:A\\n".utf8) + fffd)
    #expect(replaced == 1)
  }

  @Test func emptyInput() {
    let (out, replaced) = escaped([])
    #expect(out.isEmpty)
    #expect(replaced == 0)
    var quotedOut: [UInt8] = []
    JSONWriter.appendString("", to: &quotedOut)
    #expect(quotedOut == [0x22, 0x22])
  }

  @Test(
    "invalid UTF-8 is replaced by U+FFFD",
    arguments: [
      ([0xFF] as [UInt8], fffd, 1),
      ([0x61, 0xFF, 0x62], [0x61] + fffd + [0x62], 1),
      ([0xFF, 0xFE], fffd + fffd, 2),
      ([0x61, 0xE2, 0x82, 0x62], [0x61] + fffd + [0x62], 1),  // truncated 3-byte sequence
      ([0xE2, 0x82], fffd, 1),  // truncated at the end
      ([0xF0, 0x9F, 0x98], fffd, 1),  // truncated 4-byte sequence
      ([0xE2, 0x82, 0xE2, 0x82, 0xAC], fffd + [0xE2, 0x82, 0xAC], 1),  // broken, then a valid euro sign
      ([0x22, 0xFF, 0x0A], [0x5C, 0x22] + fffd + [0x5C, 0x6E], 1),  // escapes around a replacement
      ([0xC3, 0xA9, 0xC3], [0xC3, 0xA9] + fffd, 1),
      ([0x41, 0xF5, 0x42, 0xC0, 0x43], [0x41] + fffd + [0x42] + fffd + [0x43], 2),
    ])
  func invalidUTF8(_ input: [UInt8], _ expected: [UInt8], _ count: Int) throws {
    let (out, replaced) = escaped(input)
    #expect(out == expected)
    #expect(replaced == count)
    #expect(isValidUTF8(out))
    #expect(isValidJSON(quoted(out)))
  }

  @Test(
    "ill-formed sequences leave valid output and an honest count",
    arguments: [
      [0xC0, 0x80] as [UInt8],  // overlong NUL
      [0xC1, 0xBF],
      [0xE0, 0x80, 0xAF],  // overlong '/'
      [0xED, 0xA0, 0x80],  // UTF-16 surrogate
      [0xED, 0xBF, 0xBF],
      [0xF0, 0x80, 0x80, 0xAF],
      [0xF4, 0x90, 0x80, 0x80],  // above U+10FFFF
      [0xF5, 0x80, 0x80, 0x80],
      [0x80],
      [0x80, 0xBF, 0x80],
      [0x61, 0xC0, 0x80, 0x62, 0xED, 0xA0, 0x80, 0x63],
    ])
  func illFormed(_ input: [UInt8]) throws {
    let (out, replaced) = escaped(input)
    #expect(replaced >= 1)
    #expect(replaced == replacementCount(out))
    #expect(isValidUTF8(out))
    // None of the ill-formed bytes survive.
    #expect(!out.contains { $0 >= 0x80 && !fffd.contains($0) })
    let value = try JSONValue.parse(quoted(out))
    #expect(value.stringValue?.unicodeScalars.filter { $0 == "\u{FFFD}" }.count == replaced)
  }

  @Test func randomBytesAlwaysGiveValidJSON() throws {
    var rng = SplitMix64(seed: 0xE5CA9E)
    let pieces: [[UInt8]] = [
      [0x22], [0x5C], [0x0A], [0x00], [0x1F], [0x41], [0xC3, 0xA9], [0xE2, 0x82, 0xAC], [0xF0, 0x9F, 0x98, 0x80],
      fffd, [0xC3], [0xE2, 0x82], [0xF0, 0x9F], [0x80], [0xBF], [0xC0, 0x80], [0xED, 0xA0, 0x80], [0xF5], [0xFF],
    ]
    var sawInvalid = 0
    for round in 0..<3000 {
      var input: [UInt8] = []
      for _ in 0..<rng.below(16) {
        if round % 2 == 0 {
          input.append(UInt8(truncatingIfNeeded: rng.next()))
        } else {
          input += pieces[rng.below(pieces.count)]
        }
      }
      let (out, replaced) = escaped(input)
      let inputIsValid = isValidUTF8(input)
      if !inputIsValid { sawInvalid += 1 }
      #expect((replaced == 0) == inputIsValid, "\(input)")
      #expect(isValidUTF8(out), "\(input)")
      #expect(replaced == replacementCount(out) - replacementCount(input), "\(input)")
      guard case .string(let decoded) = try JSONValue.parse(quoted(out)) else {
        Issue.record("not a string: \(input)")
        continue
      }
      if inputIsValid {
        #expect(Array(decoded.utf8) == input)
      }
    }
    #expect(sawInvalid > 500)
  }
}

// MARK: - Numbers and literals

@Suite("JSONWriter: numbers and literals")
struct JSONWriterNumberTests {
  private static func text(_ write: (inout [UInt8]) -> Void) -> String {
    var out: [UInt8] = []
    write(&out)
    return String(decoding: out, as: UTF8.self)
  }

  @Test(
    arguments: [
      Int64.min, .min + 1, -1_000_000_007, -10, -9, -1, 0, 1, 9, 10, 99, 100, 12_345, 1_000_000_000_000,
      .max - 1, .max,
    ])
  func appendInt(_ value: Int64) throws {
    let s = Self.text { JSONWriter.appendInt(value, to: &$0) }
    #expect(s == String(value))
    #expect(try JSONValue.parse(s) == .int(value))
  }

  @Test func appendIntExtremes() {
    #expect(Self.text { JSONWriter.appendInt(.min, to: &$0) } == "-9223372036854775808")
    #expect(Self.text { JSONWriter.appendInt(.max, to: &$0) } == "9223372036854775807")
    #expect(Self.text { JSONWriter.appendInt(0, to: &$0) } == "0")
    #expect(Self.text { JSONWriter.appendInt(-7, to: &$0) } == "-7")
  }

  @Test(arguments: [UInt64.max, 0, 1, 9, 10, 1 << 63, 18_446_744_073_709_551_614, 10_000_000_000_000_000_000])
  func appendUInt(_ value: UInt64) {
    #expect(Self.text { JSONWriter.appendUInt(value, to: &$0) } == String(value))
  }

  @Test func appendUIntMax() {
    #expect(Self.text { JSONWriter.appendUInt(.max, to: &$0) } == "18446744073709551615")
  }

  @Test func randomIntegers() {
    var rng = SplitMix64(seed: 7)
    for _ in 0..<2000 {
      let u = rng.next() >> rng.below(64)
      #expect(Self.text { JSONWriter.appendUInt(u, to: &$0) } == String(u))
      let i = Int64(bitPattern: rng.next()) >> rng.below(64)
      #expect(Self.text { JSONWriter.appendInt(i, to: &$0) } == String(i))
    }
  }

  @Test(
    "doubles",
    arguments: [
      (3.0, "3.0"),
      (-3.0, "-3.0"),
      (0.0, "0.0"),
      (0.5, "0.5"),
      (-12.25, "-12.25"),
      (0.1, "0.1"),
      (1e10, "10000000000.0"),
      (123_456_789_012_345.0, "123456789012345.0"),
      (1e15, "1000000000000000.0"),  // past the integral fast path, from the shortest form
      (1e16, "1e+16"),
      (1e300, "1e+300"),
      (1e-300, "1e-300"),
      (1e-5, "1e-05"),
      (-2.5e-8, "-2.5e-08"),
      (Double.leastNonzeroMagnitude, "5e-324"),
      (Double.greatestFiniteMagnitude, "1.7976931348623157e+308"),
      (-Double.greatestFiniteMagnitude, "-1.7976931348623157e+308"),
    ])
  func appendDouble(_ value: Double, _ expected: String) throws {
    let s = Self.text { JSONWriter.appendDouble(value, to: &$0) }
    #expect(s == expected)
    #expect(Double(s) == value)
    // Always a JSON number with a fraction or exponent, so it reads back as a double.
    #expect(try JSONValue.parse(s) == .double(value))
  }

  @Test func nonFiniteDoublesBecomeStrings() throws {
    #expect(Self.text { JSONWriter.appendDouble(.nan, to: &$0) } == #""NaN""#)
    #expect(Self.text { JSONWriter.appendDouble(-.nan, to: &$0) } == #""NaN""#)
    #expect(Self.text { JSONWriter.appendDouble(.signalingNaN, to: &$0) } == #""NaN""#)
    #expect(Self.text { JSONWriter.appendDouble(.infinity, to: &$0) } == #""Infinity""#)
    #expect(Self.text { JSONWriter.appendDouble(-.infinity, to: &$0) } == #""-Infinity""#)
    #expect(JSONValue.double(.infinity).jsonText == #""Infinity""#)
    #expect(
      try JSONValue.parse(JSONValue.array([.double(.nan), .double(-.infinity)]).jsonText)
        == ["NaN", "-Infinity"])
  }

  @Test func randomDoublesRoundTrip() throws {
    var rng = SplitMix64(seed: 0xD0B1E)
    for _ in 0..<5000 {
      let value = randomDouble(&rng)
      let s = Self.text { JSONWriter.appendDouble(value, to: &$0) }
      #expect(Double(s) == value, "\(value) written as \(s)")
      #expect(try JSONValue.parse(s) == .double(value), "\(s)")
    }
  }

  /// Decimals of moderate size with up to six places take a fast path that must print
  /// exactly what Swift's shortest round-trip `description` prints.
  @Test func shortDecimalsMatchTheShortestForm() throws {
    var rng = SplitMix64(seed: 0x5D0C)
    var fast = 0
    for _ in 0..<20000 {
      let places = 1 + rng.below(6)
      var scale = 1.0
      for _ in 0..<places { scale *= 10 }
      let m = Double(rng.below(1_000_000_000)) * (rng.below(2) == 0 ? 1 : -1)
      let value = m / scale
      guard value.isFinite, value != value.rounded(.towardZero) else { continue }
      let s = Self.text { JSONWriter.appendDouble(value, to: &$0) }
      if abs(value) >= 1e-3 && abs(value) < 1e9 { fast += 1 }
      #expect(s == value.description, "\(value)")
      #expect(Double(s) == value)
      // Neighbours one ulp away have no short form: they must not be rounded onto it.
      for near in [value.nextUp, value.nextDown] {
        let t = Self.text { JSONWriter.appendDouble(near, to: &$0) }
        #expect(t == near.description && Double(t) == near, "\(near) written as \(t)")
      }
    }
    #expect(fast > 10000)
  }

  @Test func literals() {
    #expect(Self.text { JSONWriter.appendBool(true, to: &$0) } == "true")
    #expect(Self.text { JSONWriter.appendBool(false, to: &$0) } == "false")
    #expect(Self.text { JSONWriter.appendRaw("null", to: &$0) } == "null")
    var out: [UInt8] = Array("[".utf8)
    JSONWriter.appendInt(1, to: &out)
    out.append(UInt8(ascii: ","))
    JSONWriter.appendBool(true, to: &out)
    out.append(UInt8(ascii: "]"))
    #expect(String(decoding: out, as: UTF8.self) == "[1,true]")
  }
}

// MARK: - JSONValue writing

@Suite("JSONValue: writing")
struct JSONValueWriteTests {
  @Test func compactTextOfANestedValue() throws {
    let value: JSONValue = [
      "a": [1, 2.5, true, nil, -7],
      "b": "x\"y\n",
      "k\u{E9}y\t": ["nested": [:], "empty": []],
      "big": .double(1e300),
    ]
    let expected =
      #"{"a":[1,2.5,true,null,-7],"b":"x\"y\n","k"# + "\u{E9}" + #"y\t":{"nested":{},"empty":[]},"#
      + #""big":1e+300}"#
    #expect(value.jsonText == expected)
    #expect(try JSONValue.parse(expected) == value)
  }

  @Test func accessors() {
    let value: JSONValue = ["a": 1, "b": "two", "a": 3]
    #expect(value["a"] == 1)  // the first member wins
    #expect(value["b"]?.stringValue == "two")
    #expect(value["c"] == nil)
    #expect(value["a"]?.stringValue == nil)
    #expect(JSONValue.array([1])["a"] == nil)
  }
}

// MARK: - UTF-8 validation

@Suite("UTF8Validation")
struct UTF8ValidationTests {
  @Test(
    "well-formed sequences",
    arguments: [
      [] as [UInt8], [0x00], [0x7F], [0xC2, 0x80], [0xDF, 0xBF], [0xE0, 0xA0, 0x80], [0xED, 0x9F, 0xBF],
      [0xEE, 0x80, 0x80], [0xEF, 0xBF, 0xBF], [0xF0, 0x90, 0x80, 0x80], [0xF4, 0x8F, 0xBF, 0xBF],
      Array("h\u{E9}llo \u{20AC} \u{1F600}".utf8),
    ])
  func valid(_ bytes: [UInt8]) {
    #expect(isValidUTF8(bytes))
    if let first = bytes.first {
      let length = bytes.withUnsafeBufferPointer { UTF8Validation.sequenceLength($0.baseAddress!, $0.count, 0) }
      #expect(length == (first < 0x80 ? 1 : first < 0xE0 ? 2 : first < 0xF0 ? 3 : 4))
    }
  }

  @Test(
    "ill-formed sequences",
    arguments: [
      [0x80] as [UInt8], [0xBF], [0xC0, 0x80], [0xC1, 0xBF], [0xC2], [0xC2, 0x41], [0xE0, 0x9F, 0xBF],
      [0xE2, 0x82], [0xE2, 0x28, 0xA1], [0xED, 0xA0, 0x80], [0xED, 0xBF, 0xBF], [0xF0, 0x8F, 0xBF, 0xBF],
      [0xF0, 0x9F, 0x98], [0xF4, 0x90, 0x80, 0x80], [0xF5, 0x80, 0x80, 0x80], [0xF8], [0xFE], [0xFF],
      [0x41, 0x42, 0xC3],
    ])
  func invalid(_ bytes: [UInt8]) {
    #expect(!isValidUTF8(bytes))
  }

  @Test func agreesWithTheStandardLibrary() {
    var rng = SplitMix64(seed: 0x0717F8)
    let leads: [UInt8] = [0x41, 0x80, 0xBF, 0xC0, 0xC2, 0xDF, 0xE0, 0xE1, 0xED, 0xEE, 0xF0, 0xF1, 0xF4, 0xF5, 0xFF]
    var valid = 0
    for _ in 0..<5000 {
      let bytes: [UInt8] = (0..<rng.below(6)).map { _ in
        rng.oneIn(2) ? leads[rng.below(leads.count)] : UInt8(0x80 + rng.below(0x40))
      }
      let expected = String(validating: bytes, as: UTF8.self) != nil
      #expect(isValidUTF8(bytes) == expected, "\(bytes)")
      if expected { valid += 1 }
    }
    #expect(valid > 200)
  }
}

// MARK: - ByteBuffer

@Suite("ByteBuffer")
struct ByteBufferTests {
  /// Everything written through a ByteBuffer (growing from its smallest size) equals what the
  /// same writes give on an array.
  @Test func writesLikeAnArray() {
    var rng = SplitMix64(seed: 0xB0FF)
    var buffer = ByteBuffer(capacity: 0)
    defer { buffer.deallocate() }
    var array: [UInt8] = []
    for _ in 0..<3000 {
      switch rng.below(5) {
      case 0:
        let s = String(decoding: (0..<rng.below(40)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }, as: UTF8.self)
        JSONWriter.appendString(s, to: &buffer)
        JSONWriter.appendString(s, to: &array)
      case 1:
        let n = Int64(bitPattern: rng.next())
        JSONWriter.appendInt(n, to: &buffer)
        JSONWriter.appendInt(n, to: &array)
      case 2:
        let d = Double(bitPattern: rng.next())
        JSONWriter.appendDouble(d, to: &buffer)
        JSONWriter.appendDouble(d, to: &array)
      case 3:
        let b = UInt8(truncatingIfNeeded: rng.next())
        buffer.append(b)
        array.append(b)
      default:
        let chunk = (0..<rng.below(3000)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        buffer.append(contentsOf: chunk)
        array.append(contentsOf: chunk)
      }
    }
    #expect(Array(buffer.bytes) == array)
    #expect(buffer.count == array.count)
    #expect(buffer.capacity >= buffer.count)
  }

  /// Every length through each copy path (byte loop, 4-, 8- and 16-byte overlapping copies,
  /// memcpy), at source and target offsets that are not aligned, into a buffer that has to grow.
  @Test func everyLengthAtEveryOffsetMatchesAnArray() {
    let source: [UInt8] = (0..<200).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
    for length in 0...80 {
      for sourceOffset in [0, 1, 3, 7, 15] {
        var buffer = ByteBuffer(capacity: 16)
        defer { buffer.deallocate() }
        var expected: [UInt8] = []
        for prefix in 0..<17 {
          let slice = Array(source[sourceOffset..<(sourceOffset + length)])
          slice.withUnsafeBytes { buffer.append(bytes: $0) }
          expected += slice
          buffer.append(UInt8(prefix))
          expected.append(UInt8(prefix))
        }
        #expect(Array(buffer.bytes) == expected, "length \(length), source offset \(sourceOffset)")
      }
    }
  }

  /// The bytes after what was appended are not touched by the wide copies.
  @Test func wideCopiesWriteNothingPastTheEnd() {
    for length in 1...40 {
      var buffer = ByteBuffer(capacity: 128)
      defer { buffer.deallocate() }
      let canary: [UInt8] = Array(repeating: 0xEE, count: 100)
      canary.withUnsafeBytes { buffer.append(bytes: $0) }
      buffer.removeAll()
      let data: [UInt8] = Array(repeating: 0x41, count: length)
      data.withUnsafeBytes { buffer.append(bytes: $0) }
      let after = UnsafeRawBufferPointer(start: buffer.baseAddress + length, count: 100 - length)
      #expect(after.allSatisfy { $0 == 0xEE }, "length \(length)")
      #expect(Array(buffer.bytes) == data)
    }
  }

  @Test func removing() {
    var buffer = ByteBuffer(capacity: 4)
    defer { buffer.deallocate() }
    buffer.append(contentsOf: Array("abcdef".utf8))
    buffer.remove(at: 0)
    buffer.remove(at: 4)
    #expect(Array(buffer.bytes) == Array("bcde".utf8))
    buffer.removeLast(2)
    #expect(Array(buffer.bytes) == Array("bc".utf8))
    buffer.removeLast(10)
    #expect(buffer.isEmpty)
  }

  @Test func resetShrinksOnlyPastTheLimit() {
    var buffer = ByteBuffer(capacity: 64)
    defer { buffer.deallocate() }
    buffer.append(contentsOf: [UInt8](repeating: 1, count: 5000))
    let grown = buffer.capacity
    buffer.reset(shrinkingAbove: 10_000, to: 64)
    #expect(buffer.isEmpty && buffer.capacity == grown)
    buffer.append(contentsOf: [UInt8](repeating: 2, count: 20_000))
    buffer.reset(shrinkingAbove: 10_000, to: 64)
    #expect(buffer.isEmpty && buffer.capacity == 64)
    buffer.append(7)
    #expect(Array(buffer.bytes) == [7])
  }
}
