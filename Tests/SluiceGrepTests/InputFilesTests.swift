import Foundation
import Testing

@testable import SluiceGrep

/// A temporary directory for one test, removed when the value is dropped.
final class InputTestDirectory {
  let url: URL

  init() throws {
    url = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-input-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
  }

  deinit { try? FileManager.default.removeItem(at: url) }

  func path(_ name: String) -> String { url.appendingPathComponent(name).path }

  /// Writes `bytes` to `name`; returns its path.
  @discardableResult
  func write(_ name: String, _ bytes: [UInt8]) throws -> String {
    let p = path(name)
    try Data(bytes).write(to: URL(fileURLWithPath: p))
    return p
  }

  @discardableResult
  func write(_ name: String, _ text: String) throws -> String { try write(name, Array(text.utf8)) }

  func read(_ name: String) throws -> [UInt8] { Array(try Data(contentsOf: URL(fileURLWithPath: path(name)))) }

  /// Compresses `name` into `name.gz` with the system `gzip` (the original is kept).
  @discardableResult
  func gzip(_ name: String, level: Int = 6) throws -> String {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/bin/sh")
    p.arguments = ["-c", "gzip -\(level) -c -n \"$0\" > \"$0.gz\"", path(name)]
    try p.run()
    p.waitUntilExit()
    guard p.terminationStatus == 0 else { throw GzipFailed(status: p.terminationStatus) }
    return path(name + ".gz")
  }

  /// The bytes `gzip` makes of `name`.
  func gzipped(_ name: String, level: Int = 6) throws -> [UInt8] {
    Array(try Data(contentsOf: URL(fileURLWithPath: gzip(name, level: level))))
  }

  /// Whether the `zstd` tool is installed (Debian package `zstd`); the zstd tests need it.
  static let hasZstd = ["/usr/bin/zstd", "/bin/zstd", "/usr/local/bin/zstd"].contains {
    FileManager.default.isExecutableFile(atPath: $0)
  }

  /// Compresses `name` into `name.zst` with the system `zstd` (the original is kept).
  @discardableResult
  func zstd(_ name: String) throws -> String {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/bin/sh")
    p.arguments = ["-c", "zstd -q -f -c \"$0\" > \"$0.zst\"", path(name)]
    try p.run()
    p.waitUntilExit()
    guard p.terminationStatus == 0 else { throw GzipFailed(status: p.terminationStatus) }
    return path(name + ".zst")
  }

  /// The bytes `zstd` makes of `name`.
  func zstded(_ name: String) throws -> [UInt8] { Array(try Data(contentsOf: URL(fileURLWithPath: zstd(name)))) }

  struct GzipFailed: Error { var status: Int32 }
}

/// Every line of `path`, read through ``InputFiles`` and ``LineReader``, and the error that
/// ended the reading, if any.
func readLines(_ path: String, maxLineBytes: Int = 16 << 20) -> (lines: [[UInt8]], error: InputError?) {
  var lines: [[UInt8]] = []
  do throws(InputError) {
    var reader = LineReader(try InputFiles.open(path), path: path, maxLineBytes: maxLineBytes)
    while try reader.next() { lines.append(Array(reader.line)) }
    return (lines, nil)
  } catch {
    return (lines, error)
  }
}

func text(_ lines: [[UInt8]]) -> [String] { lines.map { String(decoding: $0, as: UTF8.self) } }

/// `count` numbered lines of about 60 bytes, each ending in LF.
func numberedLines(_ count: Int, prefix: String = "line") -> String {
  (1...count).map { "\(prefix) \($0) lorem ipsum dolor sit amet consectetur\n" }.joined()
}

@Suite("InputFiles")
struct InputFilesTests {
  @Test("a plain file reads as it is")
  func plainFile() throws {
    let dir = try InputTestDirectory()
    let p = try dir.write("app.log", "one\ntwo\n")
    let (lines, error) = readLines(p)
    #expect(error == nil)
    #expect(text(lines) == ["one", "two"])
  }

  @Test("an empty file has no lines")
  func emptyFile() throws {
    let dir = try InputTestDirectory()
    let (lines, error) = readLines(try dir.write("empty.log", ""))
    #expect(error == nil && lines.isEmpty)
  }

  @Test("a file of one byte")
  func oneByte() throws {
    let dir = try InputTestDirectory()
    let (lines, error) = readLines(try dir.write("one.log", "x"))
    #expect(error == nil && text(lines) == ["x"])
  }

  @Test("a missing file names the path and says why")
  func missing() throws {
    let dir = try InputTestDirectory()
    let p = dir.path("nope.log")
    let error = #expect(throws: InputError.self) { _ = try InputFiles.open(p) }
    #expect(error?.path == p)
    #expect(error?.message == "No such file or directory")
    #expect(error?.description == "\(p): No such file or directory")
  }

  @Test("a directory is refused")
  func directory() throws {
    let dir = try InputTestDirectory()
    let error = #expect(throws: InputError.self) { _ = try InputFiles.open(dir.url.path) }
    #expect(error?.message == "Is a directory")
  }

  @Test("an unreadable file is refused")
  func unreadable() throws {
    guard getuid() != 0 else { return }  // root reads anything
    let dir = try InputTestDirectory()
    let p = try dir.write("secret.log", "x\n")
    try FileManager.default.setAttributes([.posixPermissions: 0o000], ofItemAtPath: p)
    let error = #expect(throws: InputError.self) { _ = try InputFiles.open(p) }
    #expect(error?.message == "Permission denied")
  }

  @Test("standard input is named in errors as such")
  func standardInputName() {
    #expect(InputError(path: "-", message: "Bad").description == "(standard input): Bad")
  }

  @Test("gzip is told by its magic bytes, not by the name")
  func gzipByMagic() throws {
    let dir = try InputTestDirectory()
    try dir.write("data", "compressed\nlines\n")
    try dir.gzip("data")
    let renamed = dir.path("data.log")
    try FileManager.default.moveItem(atPath: dir.path("data.gz"), toPath: renamed)
    #expect(text(readLines(renamed).lines) == ["compressed", "lines"])
    // Plain text named .gz stays plain.
    let fake = try dir.write("fake.log.gz", "not\ncompressed\n")
    #expect(text(readLines(fake).lines) == ["not", "compressed"])
  }

  @Test("a file shorter than the magic number")
  func shorterThanMagic() throws {
    let dir = try InputTestDirectory()
    #expect(readLines(try dir.write("one", [0x1F])).lines == [[0x1F]])
    #expect(readLines(try dir.write("zstd-ish", [0x28, 0xB5, 0x0A])).lines == [[0x28, 0xB5]])
    let magicOnly = readLines(try dir.write("magic.gz", [0x1F, 0x8B]))
    #expect(magicOnly.lines.isEmpty && magicOnly.error?.message.contains("truncated") == true)
  }
}
