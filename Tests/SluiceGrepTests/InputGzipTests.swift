import Foundation
import Testing

@testable import SluiceGrep

@Suite("Gzip input")
struct InputGzipTests {
  @Test("a gzip file is decompressed line by line")
  func gzipFile() throws {
    let dir = try InputTestDirectory()
    let content = numberedLines(10_000)
    try dir.write("app.log", content)
    let (lines, error) = readLines(try dir.gzip("app.log"))
    #expect(error == nil)
    #expect(lines.count == 10_000)
    #expect(text(lines) == content.split(separator: "\n").map(String.init))
  }

  @Test("bytesRead counts decompressed bytes")
  func bytesReadAfterDecompression() throws {
    let dir = try InputTestDirectory()
    let content = numberedLines(3_000)
    try dir.write("app.log", content)
    let gz = try dir.gzip("app.log")
    var reader = LineReader(try InputFiles.open(gz), path: gz)
    while try reader.next() {}
    #expect(reader.bytesRead == content.utf8.count)
    #expect(reader.lineNumber == 3_000)
  }

  @Test("concatenated members (cat a.gz b.gz) read as one stream")
  func multiMember() throws {
    let dir = try InputTestDirectory()
    try dir.write("a", numberedLines(2_000, prefix: "a"))
    try dir.write("b", "b-only-line\n")
    try dir.write("c", numberedLines(500, prefix: "c"))
    let joined = try dir.gzipped("a") + dir.gzipped("b") + dir.gzipped("c")
    let p = try dir.write("all.gz", joined)
    let (lines, error) = readLines(p)
    #expect(error == nil)
    #expect(lines.count == 2_501)
    #expect(text(lines)[1_999] == "a 2000 lorem ipsum dolor sit amet consectetur")
    #expect(text(lines)[2_000] == "b-only-line")
    #expect(text(lines).last == "c 500 lorem ipsum dolor sit amet consectetur")
  }

  @Test("a member boundary inside a line joins the line")
  func memberBoundaryInsideLine() throws {
    let dir = try InputTestDirectory()
    try dir.write("a", "first\nhalf of a ")
    try dir.write("b", "line\nlast\n")
    let joined = try dir.gzipped("a") + dir.gzipped("b")
    #expect(text(readLines(try dir.write("ab.gz", joined)).lines) == ["first", "half of a line", "last"])
  }

  @Test("zero padding after the last member is ignored")
  func zeroPadding() throws {
    let dir = try InputTestDirectory()
    try dir.write("a", "x\ny\n")
    let padded = try dir.gzipped("a") + [UInt8](repeating: 0, count: 512)
    let (lines, error) = readLines(try dir.write("padded.gz", padded))
    #expect(error == nil && text(lines) == ["x", "y"])
  }

  @Test("trailing garbage after a member is an error, after the data")
  func trailingGarbage() throws {
    let dir = try InputTestDirectory()
    try dir.write("a", "x\ny\n")
    let bad = try dir.gzipped("a") + Array("garbage".utf8)
    let p = try dir.write("bad.gz", bad)
    let (lines, error) = readLines(p)
    #expect(text(lines) == ["x", "y"])
    #expect(error?.path == p)
    #expect(error?.message == "trailing garbage after gzip data")
  }

  @Test("a truncated gzip yields what decoded cleanly, then an error naming the path")
  func truncated() throws {
    let dir = try InputTestDirectory()
    let content = numberedLines(20_000)
    try dir.write("app.log", content)
    let whole = try dir.gzipped("app.log")
    let expected = content.split(separator: "\n").map(String.init)
    for keep in [whole.count / 2, whole.count - 4, whole.count - 1, 12] {
      let p = try dir.write("cut-\(keep).gz", Array(whole[0..<keep]))
      let (lines, error) = readLines(p)
      #expect(error?.path == p)
      #expect(error?.message.contains("truncated") == true, "\(String(describing: error))")
      // Every line that came out is the original's, but the last may be a part of one.
      let got = text(lines)
      #expect(got.count <= expected.count)
      if let last = got.last {
        #expect(Array(got.dropLast()) == Array(expected[0..<(got.count - 1)]))
        #expect(expected[got.count - 1].hasPrefix(last))
      }
      if keep >= whole.count - 4 { #expect(got == expected) }
      if keep == whole.count / 2 { #expect(got.count > 1_000) }
    }
  }

  @Test("corrupt data is an error naming the path")
  func corrupt() throws {
    let dir = try InputTestDirectory()
    try dir.write("app.log", numberedLines(5_000))
    var bytes = try dir.gzipped("app.log")
    for i in stride(from: bytes.count / 2, to: bytes.count / 2 + 64, by: 1) { bytes[i] ^= 0x5A }
    let p = try dir.write("corrupt.gz", bytes)
    let (lines, error) = readLines(p)
    #expect(lines.count < 5_000)
    #expect(error?.path == p)
    #expect(error?.message.hasPrefix("gzip data is corrupt") == true, "\(String(describing: error))")
  }

  @Test("a bad CRC is an error")
  func badChecksum() throws {
    let dir = try InputTestDirectory()
    try dir.write("a", "hello\n")
    var bytes = try dir.gzipped("a")
    bytes[bytes.count - 8] ^= 0xFF  // CRC32 of the trailer
    let (lines, error) = readLines(try dir.write("crc.gz", bytes))
    #expect(text(lines) == ["hello"])
    #expect(error?.message == "gzip data is corrupt: incorrect data check")
  }
}

/// Inputs large enough to matter for memory; run one at a time so that they do not inflate
/// each other's resident size.
@Suite("Large inputs", .serialized)
struct InputLargeTests {
  @Test("a 16 MB gzip file streams through the fixed block buffer")
  func sixteenMegabytes() throws {
    let dir = try InputTestDirectory()
    let path = dir.path("big.log")
    _ = FileManager.default.createFile(atPath: path, contents: nil)
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
    var block: [UInt8] = []
    var written = 0
    var lineNo = 0
    while written < 16_000_000 {
      block.removeAll(keepingCapacity: true)
      while block.count < 1 << 20 {
        lineNo += 1
        block += Array(
          "{\"ts\":\(1_700_000_000 + lineNo),\"n\":\(lineNo),\"msg\":\"request served\",\"pad\":\"\(lineNo * 7919 % 100_003)\"}\n"
            .utf8)
      }
      try handle.write(contentsOf: block)
      written += block.count
    }
    try handle.close()
    let gz = try dir.gzip("big.log", level: 1)
    try FileManager.default.removeItem(atPath: path)

    var reader = LineReader(try InputFiles.open(gz), path: gz)
    var count = 0
    var lastLength = 0
    while try reader.next() {
      count += 1
      lastLength = reader.line.count
    }
    #expect(count == lineNo)
    #expect(reader.bytesRead == written)
    #expect(lastLength > 0)
    #expect(reader.bufferCapacity == LineReader.blockSize)
  }

  @Test("a 20 MiB line is cut at maxLineBytes and counted")
  func twentyMebibyteLine() throws {
    let dir = try InputTestDirectory()
    var bytes = Array("before\n".utf8)
    bytes += [UInt8](repeating: UInt8(ascii: "x"), count: 20 << 20)
    bytes += Array("\nafter\n".utf8)
    let p = try dir.write("long.log", bytes)
    var reader = LineReader(try InputFiles.open(p), path: p)
    var lines: [(count: Int, first: UInt8?)] = []
    while try reader.next() { lines.append((reader.line.count, reader.line.first)) }
    #expect(lines.count == 3)
    #expect(lines[0].count == 6)
    #expect(lines[1].count == 16 << 20 && lines[1].first == UInt8(ascii: "x"))
    #expect(lines[2].count == 5)
    #expect(reader.truncatedLines == 1)
    #expect(reader.lineNumber == 3)
    #expect(reader.bytesRead == bytes.count)
    #expect(reader.bufferCapacity <= (16 << 20) + LineReader.blockSize)
  }
}
