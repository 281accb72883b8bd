import Foundation
import Testing

@testable import SluiceGrep

@Suite("Zstd input", .enabled(if: InputTestDirectory.hasZstd, "needs the zstd tool"))
struct InputZstdTests {
  @Test("a zstd file is decompressed line by line, whatever its name")
  func zstdFile() throws {
    let dir = try InputTestDirectory()
    let content = numberedLines(30_000)
    try dir.write("app.log", content)
    let zst = try dir.zstd("app.log")
    let renamed = dir.path("app.log.1")
    try FileManager.default.moveItem(atPath: zst, toPath: renamed)
    var reader = LineReader(try InputFiles.open(renamed), path: renamed)
    var lines: [String] = []
    while try reader.next() { lines.append(String(decoding: reader.line, as: UTF8.self)) }
    #expect(lines == content.split(separator: "\n").map(String.init))
    #expect(reader.bytesRead == content.utf8.count)
  }

  @Test("concatenated frames read as one stream")
  func frames() throws {
    let dir = try InputTestDirectory()
    try dir.write("a", "a1\nhalf ")
    try dir.write("b", "line\nb2\n")
    let p = try dir.write("ab.zst", try dir.zstded("a") + dir.zstded("b"))
    let (lines, error) = readLines(p)
    #expect(error == nil)
    #expect(text(lines) == ["a1", "half line", "b2"])
  }

  @Test("a truncated zstd file yields what decoded, then an error naming the path")
  func truncated() throws {
    let dir = try InputTestDirectory()
    let content = numberedLines(20_000)
    try dir.write("app.log", content)
    let whole = try dir.zstded("app.log")
    let expected = content.split(separator: "\n").map(String.init)
    for keep in [4, whole.count / 2, whole.count - 1] {
      let p = try dir.write("cut-\(keep).zst", Array(whole[0..<keep]))
      let (lines, error) = readLines(p)
      #expect(error?.path == p)
      #expect(error?.message.contains("truncated") == true, "\(String(describing: error))")
      let got = text(lines)
      if got.count > 1 { #expect(Array(got.dropLast()) == Array(expected[0..<(got.count - 1)])) }
    }
  }

  @Test("corrupt zstd data is an error")
  func corrupt() throws {
    let dir = try InputTestDirectory()
    try dir.write("app.log", numberedLines(5_000))
    var bytes = try dir.zstded("app.log")
    for i in (bytes.count / 2)..<(bytes.count / 2 + 32) { bytes[i] ^= 0xA5 }
    let p = try dir.write("bad.zst", bytes)
    let (_, error) = readLines(p)
    #expect(error?.path == p)
    #expect(error?.message.hasPrefix("zstd data is corrupt") == true, "\(String(describing: error))")
  }
}
