import CByteSearch
import Testing

@testable import SluiceCore

/// What ``ByteClasses/scan(_:)`` should find in `text`, byte by byte from the definitions.
private func reference(_ text: [UInt8]) -> (classes: ByteClasses, digits: Int, standaloneDigits: Int) {
  var classes: ByteClasses = []
  var digits = 0
  var standalone = 0
  var runIsStandalone = false
  for (i, b) in text.enumerated() {
    switch b {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): classes.insert(.digit)
    case UInt8(ascii: "A")...UInt8(ascii: "Z"): classes.insert(.upper)
    case UInt8(ascii: "a")...UInt8(ascii: "z"): classes.insert(.lower)
    case UInt8(ascii: "@"): classes.insert(.at)
    case UInt8(ascii: "."): classes.insert(.dot)
    case UInt8(ascii: ":"): classes.insert(.colon)
    case UInt8(ascii: "-"): classes.insert(.dash)
    case UInt8(ascii: "="): classes.insert(.equals)
    case UInt8(ascii: "+"): classes.insert(.plus)
    case UInt8(ascii: "/"): classes.insert(.slash)
    case UInt8(ascii: " "), UInt8(ascii: "\t"): classes.insert(.space)
    case UInt8(ascii: "\""): classes.insert(.quote)
    case UInt8(ascii: "("), UInt8(ascii: ")"): classes.insert(.parenthesis)
    case UInt8(ascii: "_"): classes.insert(.underscore)
    case UInt8(ascii: "%"): classes.insert(.percent)
    case UInt8(ascii: "\\"): classes.insert(.backslash)
    case 0x80...0xFF: classes.insert(.nonASCII)
    default: classes.insert(.other)
    }
    guard DetectorBytes.isDigit(b) else { continue }
    digits += 1
    if i == 0 || !DetectorBytes.isDigit(text[i - 1]) {
      // A run starts: standalone unless it follows a letter or `_`.
      runIsStandalone = i == 0 || !(DetectorBytes.isLetter(text[i - 1]) || text[i - 1] == UInt8(ascii: "_"))
    }
    if runIsStandalone { standalone += 1 }
  }
  return (classes, digits, standalone)
}

@Suite("ByteClasses: the prefilter's scan")
struct ByteClassesTests {
  /// The table path (under 16 bytes), the 16-byte path and the C fallback agree with the
  /// definitions on random texts of every length up to 100, at several offsets into a buffer:
  /// digit runs crossing 16-byte blocks and the overlapping last block included.
  @Test func everyPathAgreesWithTheDefinitions() {
    var rng = SplitMix64(seed: 0x5eed)
    // Mostly digits, letters and separators, so that runs of every kind cross block edges;
    // some non-ASCII and control bytes.
    let alphabet: [UInt8] = Array("aZ0123456789@.:-=+/ \t\"()_%\\#&é".utf8) + [0, 0x7F, 0x80, 0xFF, 0x1F]
    for length in 0...100 {
      for round in 0..<40 {
        let offset = round % 7
        var buffer = [UInt8](repeating: UInt8(ascii: "7"), count: offset + length + 16)
        for k in 0..<length {
          buffer[offset + k] =
            round % 4 == 0
            ? UInt8(truncatingIfNeeded: rng.next()) : alphabet[Int(rng.next() % UInt64(alphabet.count))]
        }
        let text = Array(buffer[offset..<(offset + length)])
        let expected = reference(text)
        buffer.withUnsafeBytes { all in
          let view = UnsafeRawBufferPointer(rebasing: all[offset..<(offset + length)])
          let fast = ByteClasses.scan(view)
          #expect(fast.classes == expected.classes, "length \(length), round \(round)")
          #expect(fast.digits == expected.digits, "length \(length), round \(round)")
          #expect(fast.standaloneDigits == expected.standaloneDigits, "length \(length), round \(round): \(text)")
          let scalar = sluice_byte_classes_scalar(view.baseAddress?.assumingMemoryBound(to: UInt8.self), length)
          #expect(ByteClasses(rawValue: scalar.classes) == expected.classes)
          #expect(Int(scalar.digits) == expected.digits && Int(scalar.standalone_digits) == expected.standaloneDigits)
        }
      }
    }
  }

  /// Every byte value, alone among lower-case letters, at each position of a 33-byte text
  /// (two full blocks and an overlapping tail) and of a 9-byte one: its class, and nothing
  /// else, is added.
  @Test func everyByteValueAtEveryPosition() {
    for value in 0...255 {
      let byte = UInt8(value)
      let (expected, expectedDigits, _) = reference([byte])
      for length in [9, 33] {
        for position in 0..<length {
          var text = [UInt8](repeating: UInt8(ascii: "q"), count: length)
          text[position] = byte
          let (classes, digits, _) = text.withUnsafeBytes { ByteClasses.scan($0) }
          #expect(classes == expected.union(.lower), "byte \(value) at \(position) of \(length)")
          #expect(digits == expectedDigits, "byte \(value) at \(position) of \(length)")
        }
      }
    }
  }

  @Test func classesAndDigitsOfKnownTexts() {
    func scan(_ s: String) -> (ByteClasses, Int, Int) {
      let r = Array(s.utf8).withUnsafeBytes { ByteClasses.scan($0) }
      return (r.classes, r.digits, r.standaloneDigits)
    }
    #expect(scan("jane.doe@example.com here").0 == [.lower, .dot, .at, .space])
    #expect(scan("+1 (415) 555-2671 tel call") == ([.plus, .digit, .space, .parenthesis, .dash, .lower], 11, 11))
    #expect(
      scan("a%40b\\u0040c=d:e/f_g\"h").0 == [
        .lower, .percent, .digit, .backslash, .equals, .colon, .slash, .underscore, .quote,
      ])
    #expect(scan("ünïcode and a bell \u{07}!").0 == [.nonASCII, .lower, .space, .other])
    // Digits glued to a word do not stand alone: a pod name, a hex id, a version.
    #expect(scan("checkout-18688dcac3-7da96").1 == 9)
    #expect(scan("checkout-18688dcac3-7da96").2 == 6)
    #expect(scan("8a67b574aa600612").2 == 1)
    #expect(scan("v2 build_42 x9 é7").2 == 1)
    #expect(scan("ip-10-0-2-192.eu-west-1.compute.internal").2 == 8)
  }
}
