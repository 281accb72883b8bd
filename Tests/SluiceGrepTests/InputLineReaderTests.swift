import Foundation
import Testing

@testable import SluiceGrep

/// Bytes from memory, handed out in pieces of the given sizes (cycled), to put block
/// boundaries anywhere.
struct ChunkedSource: ByteSource {
  let bytes: [UInt8]
  let sizes: [Int]
  var offset = 0
  var turn = 0

  init(_ bytes: [UInt8], sizes: [Int] = [Int.max]) {
    self.bytes = bytes
    self.sizes = sizes
  }

  mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws(InputError) -> Int {
    let n = min(buffer.count, sizes[turn % sizes.count], bytes.count - offset)
    turn += 1
    guard n > 0 else { return 0 }
    bytes.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress! + offset, byteCount: n) }
    offset += n
    return n
  }
}

/// A source that fails after its bytes.
struct FailingSource: ByteSource {
  var inner: ChunkedSource
  mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws(InputError) -> Int {
    let n = try inner.read(into: buffer)
    if n == 0 { throw InputError(path: "x", message: "Input/output error") }
    return n
  }
}

/// The lines LineReader should produce, computed the slow, obvious way.
func referenceLines(_ bytes: [UInt8], maxLineBytes: Int) -> (lines: [[UInt8]], truncated: Int) {
  var parts = bytes.split(separator: 0x0A, omittingEmptySubsequences: false).map(Array.init)
  if bytes.last == 0x0A || bytes.isEmpty { parts.removeLast() }
  var truncated = 0
  let lines = parts.map { line -> [UInt8] in
    var line = line
    if line.last == 0x0D { line.removeLast() }
    if line.count > maxLineBytes {
      truncated += 1
      return Array(line[0..<maxLineBytes])
    }
    return line
  }
  return (lines, truncated)
}

func readAll(_ source: any ByteSource, maxLineBytes: Int = 16 << 20) throws -> (lines: [[UInt8]], reader: LineReader) {
  var reader = LineReader(source, path: "mem", maxLineBytes: maxLineBytes)
  var lines: [[UInt8]] = []
  while try reader.next() { lines.append(Array(reader.line)) }
  return (lines, reader)
}

@Suite("LineReader")
struct InputLineReaderTests {
  @Test("LF, CRLF, a lone CR, empty lines and no final newline")
  func lineEndings() throws {
    let input = Array("a\r\nb\n\nc\rd\r\n\r\nlast".utf8)
    let (lines, reader) = try readAll(ChunkedSource(input))
    #expect(text(lines) == ["a", "b", "", "c\rd", "", "last"])
    #expect(reader.lineNumber == 6)
    #expect(reader.bytesRead == input.count)
  }

  @Test("a final CR without LF is dropped too")
  func finalCR() throws {
    #expect(text(try readAll(ChunkedSource(Array("x\r".utf8))).lines) == ["x"])
  }

  @Test("only newlines")
  func onlyNewlines() throws {
    #expect(try readAll(ChunkedSource(Array("\n\n\n".utf8))).lines == [[], [], []])
  }

  @Test("NUL bytes and invalid UTF-8 pass through untouched")
  func binary() throws {
    let first: [UInt8] = [0x61, 0x00, 0x62, 0xFF, 0xFE, 0xC3, 0x28, 0x00]
    let second: [UInt8] = [0xED, 0xA0, 0x80, 0xF8, 0x88, 0x80, 0x80, 0x80]
    let (lines, _) = try readAll(ChunkedSource(first + [0x0A] + second + [0x0A], sizes: [3]))
    #expect(lines == [first, second])
  }

  @Test("lines split across every possible block boundary", arguments: [1, 2, 3, 5, 7, 64, 1000])
  func boundaries(chunk: Int) throws {
    let input = Array("alpha\r\nbeta\n\ngamma delta\nz".utf8)
    let (lines, _) = try readAll(ChunkedSource(input, sizes: [chunk]))
    #expect(text(lines) == ["alpha", "beta", "", "gamma delta", "z"])
  }

  @Test("lines across the 256 KiB blocks of a real file")
  func realFileBlocks() throws {
    let dir = try InputTestDirectory()
    // Line lengths that do not divide 256 KiB, so lines straddle every block edge.
    var content: [UInt8] = []
    var expected: [[UInt8]] = []
    var k = 0
    while content.count < 3 * LineReader.blockSize + 1234 {
      k += 1
      let line = Array("\(k):".utf8) + [UInt8](repeating: UInt8(ascii: "a") + UInt8(k % 26), count: (k * 37) % 3001)
      expected.append(line)
      content += line + [0x0A]
    }
    let p = try dir.write("blocks.log", content)
    let (lines, error) = readLines(p)
    #expect(error == nil)
    #expect(lines.count == expected.count)
    #expect(lines == expected)
  }

  @Test("a line longer than maxLineBytes is cut and the rest skipped")
  func cut() throws {
    let input = Array("short\n0123456789abcdef\nok\n0123456789\n0123456789X\r\nend".utf8)
    for chunk in [1, 3, 4, 100] {
      let (lines, reader) = try readAll(ChunkedSource(input, sizes: [chunk]), maxLineBytes: 10)
      #expect(text(lines) == ["short", "0123456789", "ok", "0123456789", "0123456789", "end"], "chunk \(chunk)")
      #expect(reader.truncatedLines == 2)
      #expect(reader.lineNumber == 6)
    }
  }

  @Test("a line of exactly maxLineBytes, with CRLF, is not cut")
  func exactlyMax() throws {
    let (lines, reader) = try readAll(
      ChunkedSource(Array("0123456789\r\n0123456789".utf8), sizes: [4]), maxLineBytes: 10)
    #expect(text(lines) == ["0123456789", "0123456789"])
    #expect(reader.truncatedLines == 0)
  }

  @Test("a cut line at the end of the input, without LF")
  func cutAtEnd() throws {
    let (lines, reader) = try readAll(ChunkedSource(Array("ab\n0123456789abc".utf8), sizes: [2]), maxLineBytes: 10)
    #expect(text(lines) == ["ab", "0123456789"])
    #expect(reader.truncatedLines == 1)
  }

  @Test("random input, random blocks and limits match the reference splitter")
  func randomised() throws {
    var rng = SplitMix64(seed: 0x5EED)
    for round in 0..<300 {
      let length = Int.random(in: 0...600, using: &rng)
      let alphabet: [UInt8] = [0x0A, 0x0D, 0x00, 0x61, 0x62, 0xFF, 0x20]
      let input = (0..<length).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &rng)] }
      let maxLine = Int.random(in: 1...40, using: &rng)
      let sizes = (0..<3).map { _ in Int.random(in: 1...50, using: &rng) }
      let (lines, reader) = try readAll(ChunkedSource(input, sizes: sizes), maxLineBytes: maxLine)
      let expected = referenceLines(input, maxLineBytes: maxLine)
      #expect(lines == expected.lines, "round \(round)")
      #expect(reader.truncatedLines == expected.truncated, "round \(round)")
      #expect(reader.bytesRead == input.count)
    }
  }

  @Test("a read error is thrown after the lines before it, the partial last one included")
  func readError() throws {
    var reader = LineReader(FailingSource(inner: ChunkedSource(Array("a\nb\npartial".utf8))), path: "mem")
    var lines: [String] = []
    for _ in 0..<3 {
      #expect(try reader.next())
      lines.append(String(decoding: reader.line, as: UTF8.self))
    }
    #expect(lines == ["a", "b", "partial"])
    let error = #expect(throws: InputError.self) { _ = try reader.next() }
    #expect(error?.message == "Input/output error")
    #expect(try !reader.next())  // thrown once, then at the end
  }

  @Test("a read error after a complete last line")
  func readErrorAfterNewline() throws {
    var reader = LineReader(FailingSource(inner: ChunkedSource(Array("a\n".utf8))), path: "mem")
    #expect(try reader.next())
    #expect(throws: InputError.self) { _ = try reader.next() }
  }
}

/// SplitMix64, so randomised tests repeat.
struct SplitMix64: RandomNumberGenerator {
  var state: UInt64
  init(seed: UInt64) { state = seed }
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}
