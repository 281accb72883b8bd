import CByteSearch
import Testing

@testable import SluiceCore

@Suite("ByteClasses: the prefilter's scan")
struct ByteClassesTests {
  /// The 16-byte path (and the C fallback) agree with the byte-at-a-time table on random
  /// texts of every length up to 80, at every offset into a buffer, including the overlapping
  /// last block and texts that end one byte before a class byte.
  @Test func vectorScanAgreesWithTheTable() {
    var rng = SplitMix64(seed: 0x5eed)
    // Mostly printable ASCII, with runs of one class and some non-ASCII and control bytes.
    let alphabet: [UInt8] = Array("aZ09@.:-=+/ \t\"()_%\\#&é".utf8) + [0, 0x7F, 0x80, 0xFF, 0x1F]
    for length in 0...80 {
      for round in 0..<40 {
        let offset = round % 7
        var buffer = [UInt8](repeating: UInt8(ascii: "@"), count: offset + length + 16)
        for k in 0..<length {
          buffer[offset + k] =
            round % 3 == 0 ? UInt8(truncatingIfNeeded: rng.next()) : alphabet[Int(rng.next() % UInt64(alphabet.count))]
        }
        buffer.withUnsafeBytes { all in
          let text = UnsafeRawBufferPointer(rebasing: all[offset..<(offset + length)])
          let reference = ByteClasses.scanByTable(text)
          let fast = ByteClasses.scan(text)
          #expect(fast.classes == reference.classes, "length \(length), round \(round)")
          #expect(fast.digits == reference.digits, "length \(length), round \(round)")
          var digits = 0
          let scalar = sluice_byte_classes_scalar(
            text.baseAddress?.assumingMemoryBound(to: UInt8.self), length, &digits)
          #expect(ByteClasses(rawValue: scalar) == reference.classes && digits == reference.digits)
        }
      }
    }
  }

  /// Every byte value, alone among lower-case letters, at each position of a 33-byte text
  /// (two full blocks and an overlapping tail): its class, and nothing else, is added.
  @Test func everyByteValueAtEveryPosition() {
    for value in 0...255 {
      let byte = UInt8(value)
      let (expected, expectedDigits) = [byte].withUnsafeBytes { ByteClasses.scanByTable($0) }
      for position in 0..<33 {
        var text = [UInt8](repeating: UInt8(ascii: "q"), count: 33)
        text[position] = byte
        let (classes, digits) = text.withUnsafeBytes { ByteClasses.scan($0) }
        let withLetters = byte >= 0x61 && byte <= 0x7A ? expected : expected.union(.lower)
        #expect(classes == withLetters, "byte \(value) at \(position)")
        #expect(digits == expectedDigits, "byte \(value) at \(position)")
      }
    }
  }

  @Test func classesOfKnownTexts() {
    func classes(_ s: String) -> ByteClasses { Array(s.utf8).withUnsafeBytes { ByteClasses.scan($0).classes } }
    #expect(classes("jane.doe@example.com here") == [.lower, .dot, .at, .space])
    #expect(classes("+1 (415) 555-2671 tel call") == [.plus, .digit, .space, .parenthesis, .dash, .lower])
    #expect(
      classes("a%40b\\u0040c=d:e/f_g\"h") == [
        .lower, .percent, .digit, .backslash, .equals, .colon, .slash, .underscore, .quote,
      ])
    #expect(classes("ünïcode and a bell \u{07}!") == [.nonASCII, .lower, .space, .other])
  }
}
