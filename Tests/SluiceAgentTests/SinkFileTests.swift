import Foundation
import SluiceCore
import Testing

@testable import SluiceAgent

#if canImport(Glibc)
  import Glibc
#endif

/// `count` bytes: `tag` repeated, then a newline.
private func body(_ tag: Character, _ count: Int) -> [UInt8] {
  Array(String(repeating: tag, count: count - 1).utf8) + [0x0A]
}

private func contents(_ path: String) -> [UInt8]? {
  FileManager.default.contents(atPath: path).map { Array($0) }
}

/// The names in `dir`, sorted.
private func listing(_ dir: String) -> [String] {
  ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted()
}

/// Reads `fd` to its end.
private func readToEnd(_ fd: Int32) -> [UInt8] {
  var out: [UInt8] = []
  var buffer = [UInt8](repeating: 0, count: 4096)
  while true {
    let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
    if n < 0 && errno == EINTR { continue }
    if n <= 0 { break }
    out += buffer[0..<n]
  }
  return out
}

/// Sends `bodies` through a console transport writing into a pipe; returns what came out.
/// (Keep it under the pipe's capacity: it is read after the sends.)
private func throughPipe(_ mode: ConsoleTransport.Mode, _ bodies: [[UInt8]]) async -> ([DeliveryOutcome], [UInt8]) {
  var fds: [Int32] = [0, 0]
  guard pipe(&fds) == 0 else { return ([], []) }
  let transport = ConsoleTransport(fd: fds[1], mode: mode)
  var outcomes: [DeliveryOutcome] = []
  for b in bodies { outcomes.append(await transport.send(body: b)) }
  await transport.shutdown()
  close(fds[1])
  let out = readToEnd(fds[0])
  close(fds[0])
  return (outcomes, out)
}

private let devFullExists = FileManager.default.fileExists(atPath: "/dev/full")

/// The primary side of a new pseudo-terminal (a terminal as far as `isatty` is concerned),
/// or nil where none can be opened.
private func openTerminal() -> Int32? {
  let fd = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC)
  return fd >= 0 ? fd : nil
}

private let terminalAvailable: Bool = {
  guard let fd = openTerminal() else { return false }
  close(fd)
  return true
}()

@Suite("File sink rotation")
struct RotatingFileSinkTests {
  @Test func rotatesBeforeAWriteWouldCrossTheLimit() async throws {
    let dir = try TempDirectory()
    // The directory does not exist yet: it is created.
    let path = dir.file("out/sink.ndjson").path
    let t = try RotatingFileTransport(path: path, maxBytes: 100, maxFiles: 3)
    #expect(await t.send(body: body("a", 40)) == .delivered)
    #expect(await t.send(body: body("b", 60)) == .delivered)
    // Exactly at the limit is allowed.
    #expect(contents(path) == body("a", 40) + body("b", 60))
    #expect(listing(dir.file("out").path) == ["sink.ndjson"])
    // One more byte would cross it: rotate first.
    #expect(await t.send(body: body("c", 1)) == .delivered)
    #expect(contents(path + ".1") == body("a", 40) + body("b", 60))
    #expect(contents(path) == body("c", 1))
    #expect(await t.send(body: body("d", 99)) == .delivered)
    #expect(contents(path) == body("c", 1) + body("d", 99))
    #expect(await t.send(body: body("e", 2)) == .delivered)
    await t.shutdown()
    #expect(contents(path) == body("e", 2))
    #expect(contents(path + ".1") == body("c", 1) + body("d", 99))
    #expect(contents(path + ".2") == body("a", 40) + body("b", 60))
    #expect(listing(dir.file("out").path) == ["sink.ndjson", "sink.ndjson.1", "sink.ndjson.2"])
  }

  @Test func aBodyLargerThanTheLimitGoesWholeIntoAFreshFile() async throws {
    let dir = try TempDirectory()
    let path = dir.file("big.ndjson").path
    let t = try RotatingFileTransport(path: path, maxBytes: 10, maxFiles: 2)
    // The file is empty: the oversized body goes in as it is.
    #expect(await t.send(body: body("x", 25)) == .delivered)
    #expect(contents(path) == body("x", 25))
    #expect(listing(dir.path) == ["big.ndjson"])
    #expect(await t.send(body: body("y", 5)) == .delivered)
    #expect(contents(path + ".1") == body("x", 25))
    #expect(contents(path) == body("y", 5))
    #expect(await t.send(body: body("z", 25)) == .delivered)
    #expect(contents(path) == body("z", 25))
    #expect(contents(path + ".1") == body("y", 5))
    #expect(contents(path + ".2") == body("x", 25))
    await t.shutdown()
  }

  @Test func keepsAtMostMaxFilesRotatedFiles() async throws {
    let dir = try TempDirectory()
    let path = dir.file("keep.ndjson").path
    let t = try RotatingFileTransport(path: path, maxBytes: 10, maxFiles: 2)
    for tag in "012345" {
      #expect(await t.send(body: body(tag, 10)) == .delivered)
    }
    await t.shutdown()
    #expect(listing(dir.path) == ["keep.ndjson", "keep.ndjson.1", "keep.ndjson.2"])
    #expect(contents(path) == body("5", 10))
    #expect(contents(path + ".1") == body("4", 10))
    #expect(contents(path + ".2") == body("3", 10))
  }

  @Test func maxFilesZeroKeepsNoRotatedFile() async throws {
    let dir = try TempDirectory()
    let path = dir.file("none.ndjson").path
    let t = try RotatingFileTransport(path: path, maxBytes: 10, maxFiles: 0)
    #expect(await t.send(body: body("a", 10)) == .delivered)
    #expect(await t.send(body: body("b", 10)) == .delivered)
    #expect(await t.send(body: body("c", 4)) == .delivered)
    await t.shutdown()
    #expect(listing(dir.path) == ["none.ndjson"])
    #expect(contents(path) == body("c", 4))
  }

  @Test func maxBytesZeroNeverRotates() async throws {
    let dir = try TempDirectory()
    let path = dir.file("all.ndjson").path
    let t = try RotatingFileTransport(path: path, maxBytes: 0, maxFiles: 3)
    for _ in 0..<50 { #expect(await t.send(body: body("q", 100)) == .delivered) }
    await t.shutdown()
    #expect(listing(dir.path) == ["all.ndjson"])
    #expect(contents(path)?.count == 5000)
  }

  @Test func countsWhatIsAlreadyInTheFile() async throws {
    let dir = try TempDirectory()
    let path = dir.file("old.ndjson").path
    try Data(body("o", 90)).write(to: URL(fileURLWithPath: path))
    let t = try RotatingFileTransport(path: path, maxBytes: 100, maxFiles: 1)
    #expect(await t.send(body: body("n", 20)) == .delivered)
    await t.shutdown()
    #expect(contents(path + ".1") == body("o", 90))
    #expect(contents(path) == body("n", 20))
  }

  @Test func externallyDeletedOrMovedFileIsRecreated() async throws {
    let dir = try TempDirectory()
    let sub = dir.file("logs").path
    let path = sub + "/ext.ndjson"
    let t = try RotatingFileTransport(path: path, maxBytes: 1000, maxFiles: 3)
    #expect(await t.send(body: body("a", 10)) == .delivered)
    #expect(unlink(path) == 0)
    #expect(await t.send(body: body("b", 10)) == .delivered)
    #expect(contents(path) == body("b", 10))
    #expect(rename(path, path + ".moved") == 0)
    #expect(await t.send(body: body("c", 10)) == .delivered)
    #expect(contents(path) == body("c", 10))
    #expect(contents(path + ".moved") == body("b", 10))
    // Moved away and a new file created in its place (logrotate's `create`): the name wins.
    #expect(rename(path, path + ".rotated") == 0)
    #expect(FileManager.default.createFile(atPath: path, contents: Data(body("n", 3))))
    #expect(await t.send(body: body("e", 10)) == .delivered)
    #expect(contents(path) == body("n", 3) + body("e", 10))
    #expect(contents(path + ".rotated") == body("c", 10))
    // The whole directory gone: created again.
    try FileManager.default.removeItem(atPath: sub)
    #expect(await t.send(body: body("d", 10)) == .delivered)
    #expect(contents(path) == body("d", 10))
    await t.shutdown()
  }

  @Test func externallyTruncatedFileIsMeasuredAgain() async throws {
    let dir = try TempDirectory()
    let path = dir.file("trunc.ndjson").path
    let t = try RotatingFileTransport(path: path, maxBytes: 100, maxFiles: 3)
    #expect(await t.send(body: body("a", 60)) == .delivered)
    #expect(truncate(path, 0) == 0)
    // 60 + 60 would cross the limit, but the file is empty now: no rotation.
    #expect(await t.send(body: body("b", 60)) == .delivered)
    await t.shutdown()
    #expect(listing(dir.path) == ["trunc.ndjson"])
    #expect(contents(path) == body("b", 60))
  }

  @Test func anUnopenablePathIsRetryableAndRecovers() async throws {
    let dir = try TempDirectory()
    let sub = dir.file("d").path
    let path = sub + "/f.ndjson"
    let t = try RotatingFileTransport(path: path, maxBytes: 0, maxFiles: 1)
    #expect(await t.send(body: body("a", 5)) == .delivered)
    // The directory replaced by a plain file: the path cannot be opened.
    try FileManager.default.removeItem(atPath: sub)
    #expect(FileManager.default.createFile(atPath: sub, contents: nil))
    let outcome = await t.send(body: body("b", 5))
    guard case .retryable(let reason, _) = outcome else {
      Issue.record("expected a retryable outcome, got \(outcome)")
      return
    }
    #expect(reason.hasPrefix("open \(path): "))
    try FileManager.default.removeItem(atPath: sub)
    #expect(await t.send(body: body("c", 5)) == .delivered)
    #expect(contents(path) == body("c", 5))
    await t.shutdown()
  }

  @Test(.enabled(if: devFullExists)) func aWriteErrorIsRetryable() async throws {
    let t = try RotatingFileTransport(path: "/dev/full", maxBytes: 0, maxFiles: 0)
    let outcome = await t.send(body: body("a", 10))
    await t.shutdown()
    #expect(outcome == .retryable(reason: "write /dev/full: \(String(cString: strerror(ENOSPC)))", retryAfter: nil))
  }

  @Test func initFailsWhenThePathCannotBeCreated() throws {
    #expect(throws: ConfigError.self) { try RotatingFileTransport(path: "/dev/null/x/y.ndjson") }
  }
}

@Suite("Console sink")
struct ConsoleSinkTests {
  static let batch = Array(
    (#"{"timestamp":"2026-11-23T10:00:00Z","level":"warn","message":"disk low","host":{"name":"n1"},"pct":3.5}"#
      + "\n" + "plain text\tline\n" + "\n" + #"{"level":"error","msg":"boom","err":"x y"}"#).utf8)

  @Test func ndjsonIsWrittenAsItIs() async {
    let b1 = Array("{\"a\":1}\n{\"b\":2}\n".utf8)
    let b2 = Array("{\"c\":3}\n".utf8)
    let (outcomes, out) = await throughPipe(.ndjson, [b1, b2])
    #expect(outcomes == [.delivered, .delivered])
    #expect(out == b1 + b2)
  }

  @Test func prettyThroughAPipe() async {
    let (outcomes, out) = await throughPipe(.pretty(color: false), [Self.batch, Array("{\"msg\":\"again\"}\n".utf8)])
    #expect(outcomes == [.delivered, .delivered])
    #expect(
      String(decoding: out, as: UTF8.self)
        == "2026-11-23T10:00:00Z WARNING disk low  host.name=n1 pct=3.5\n" + #"plain text\tline"# + "\n"
        + #"ERROR boom  err="x y""# + "\n" + "again\n")
  }

  @Test func prettyInColour() async {
    let (_, out) = await throughPipe(
      .pretty(color: true), [Array("{\"level\":\"info\",\"msg\":\"hi\",\"k\":1}\n".utf8)])
    #expect(String(decoding: out, as: UTF8.self) == "\u{1B}[32mINFO\u{1B}[0m  hi  \u{1B}[2mk=\u{1B}[0m1\n")
  }

  @Test func aLargeBatchIsWrittenInPiecesIntoAFile() async throws {
    let dir = try TempDirectory()
    let path = dir.file("console.out").path
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    try #require(fd >= 0)
    let t = ConsoleTransport(fd: fd, mode: .pretty(color: false))
    var batch: [UInt8] = []
    var expected = ""
    for i in 0..<5000 {
      batch += Array("{\"level\":\"debug\",\"message\":\"event \(i) of a long batch\",\"seq\":\(i)}\n".utf8)
      expected += "DEBUG event \(i) of a long batch  seq=\(i)\n"
    }
    #expect(batch.count > 3 * ConsoleTransport.flushBytes)
    #expect(await t.send(body: batch) == .delivered)
    #expect(await t.send(body: batch) == .delivered)
    await t.shutdown()
    close(fd)
    #expect(contents(path).map { String(decoding: $0, as: UTF8.self) } == expected + expected)
  }

  @Test(.enabled(if: devFullExists)) func aWriteErrorIsRetryable() async throws {
    let fd = open("/dev/full", O_WRONLY | O_CLOEXEC)
    try #require(fd >= 0)
    defer { close(fd) }
    let reason = "write fd \(fd): \(String(cString: strerror(ENOSPC)))"
    for mode in [ConsoleTransport.Mode.ndjson, .pretty(color: false)] {
      let t = ConsoleTransport(fd: fd, mode: mode)
      #expect(await t.send(body: Self.batch) == .retryable(reason: reason, retryAfter: nil))
    }
  }

  @Test func colourIsOffForAPipe() {
    var fds: [Int32] = [0, 0]
    #expect(pipe(&fds) == 0)
    defer {
      close(fds[0])
      close(fds[1])
    }
    #expect(!ConsoleTransport.shouldColor(fd: fds[1], environment: [:]))
  }

  @Test(.enabled(if: terminalAvailable)) func colourIsOnForATerminalUnlessNoColor() throws {
    let fd = try #require(openTerminal())
    defer { close(fd) }
    #expect(ConsoleTransport.shouldColor(fd: fd, environment: [:]))
    #expect(ConsoleTransport.shouldColor(fd: fd, environment: ["TERM": "xterm"]))
    #expect(!ConsoleTransport.shouldColor(fd: fd, environment: ["NO_COLOR": "1"]))
    // https://no-color.org: only a non-empty value counts.
    #expect(ConsoleTransport.shouldColor(fd: fd, environment: ["NO_COLOR": ""]))
  }
}
