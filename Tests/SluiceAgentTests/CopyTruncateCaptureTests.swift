import Foundation
import Testing

@testable import SluiceAgent

#if canImport(Glibc)
  import Glibc
#endif

/// `copytruncate`'s window: lines written after the copy and before the truncation are in no
/// file. The watcher's thread reads them as they are written once a copy appears, and the
/// tailer ships them after the copy's tail.
@Suite(.timeLimit(.minutes(1)))
struct CopyTruncateCaptureTests {
  static func numbered(_ range: Range<Int>) -> String {
    range.map { #"{"seq":\#($0)}"# + "\n" }.joined()
  }

  /// Does what logrotate's copytruncate does, with `window` written between the copy and the
  /// truncation, and `after` written once truncated; returns what the tailer then reads.
  static func rotate(capturing: Bool) async throws -> [String] {
    let dir = try TempDirectory()
    let logs = dir.path + "/logs"
    try dir.append(numbered(0..<100), to: "logs/a.log")
    let tailer = try makeTailer(dir, #"include: ["\#(logs)/a.log"], read_from: beginning"#)
    let watcher = try #require(FileWatcher(capturingCopies: true))
    defer { watcher.shutdown() }
    if capturing {
      watcher.watch(directory: logs)
      tailer.capture = watcher.capture
    }
    tailer.discover()
    #expect(lines(tailer.poll()).count == 100)

    // The copy (created, as logrotate does, with O_EXCL), then lines only the live file gets.
    let copy = try Data(contentsOf: dir.file("logs/a.log"))
    let fd = open(logs + "/a.log.1", O_WRONLY | O_CREAT | O_EXCL, 0o644)
    try #require(fd >= 0)
    _ = copy.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    close(fd)
    let window = numbered(100..<110)
    try dir.append(window, to: "logs/a.log")
    if capturing {
      // It starts up to 1 MiB before the end it saw, so it holds the whole small file.
      let size = copy.count + window.utf8.count
      try await eventually(timeout: .seconds(10)) { watcher.capture.capturedBytes(of: logs + "/a.log") == size }
    }
    #expect(truncate(logs + "/a.log", 0) == 0)
    try dir.append(numbered(110..<120), to: "logs/a.log")
    return lines(tailer.poll())
  }

  @Test func linesWrittenBetweenTheCopyAndTheTruncationAreShipped() async throws {
    let read = try await Self.rotate(capturing: true)
    #expect(read == (100..<120).map { #"{"seq":\#($0)}"# })
  }

  @Test func withoutTheCaptureTheyAreLost() async throws {
    let read = try await Self.rotate(capturing: false)
    #expect(read == (110..<120).map { #"{"seq":\#($0)}"# })
  }

  /// The tailer itself read past the copy's end (into the window) before the truncation: the
  /// copy has nothing left for it, and what it had not read comes from the capture alone.
  @Test func whenTheTailerReadPastTheCopyTheCaptureShipsTheRest() async throws {
    let dir = try TempDirectory()
    let logs = dir.path + "/logs"
    try dir.append(Self.numbered(0..<100), to: "logs/a.log")
    let tailer = try makeTailer(dir, #"include: ["\#(logs)/a.log"], read_from: beginning"#)
    let watcher = try #require(FileWatcher(capturingCopies: true))
    defer { watcher.shutdown() }
    watcher.watch(directory: logs)
    tailer.capture = watcher.capture
    tailer.discover()
    #expect(lines(tailer.poll()).count == 100)
    let copy = try Data(contentsOf: dir.file("logs/a.log"))
    let fd = open(logs + "/a.log.1", O_WRONLY | O_CREAT | O_EXCL, 0o644)
    try #require(fd >= 0)
    _ = copy.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    close(fd)
    try dir.append(Self.numbered(100..<105), to: "logs/a.log")
    #expect(lines(tailer.poll()) == (100..<105).map { #"{"seq":\#($0)}"# })
    try dir.append(Self.numbered(105..<110), to: "logs/a.log")
    let size = copy.count + Self.numbered(100..<110).utf8.count
    try await eventually(timeout: .seconds(10)) { watcher.capture.capturedBytes(of: logs + "/a.log") == size }
    #expect(truncate(logs + "/a.log", 0) == 0)
    try dir.append(Self.numbered(110..<120), to: "logs/a.log")
    #expect(lines(tailer.poll()) == (105..<120).map { #"{"seq":\#($0)}"# })
  }

  /// A file truncated and rewritten longer than what was captured before the capture looks
  /// again: nothing of the new content is taken for the old one's continuation.
  @Test func aCaptureKeepsNothingOfTheContentAfterTheTruncation() throws {
    let dir = try TempDirectory()
    let logs = dir.path + "/logs"
    try dir.append(Self.numbered(0..<10), to: "logs/a.log")
    let old = Self.numbered(0..<10).utf8.count
    let capture = CopyTruncateCapture()
    defer { capture.shutdown() }
    capture.created("a.log.1", in: logs)
    #expect(capture.capturedBytes(of: logs + "/a.log") == old)
    #expect(truncate(logs + "/a.log", 0) == 0)
    try dir.append(Self.numbered(1000..<1100), to: "logs/a.log")
    let identity = try #require(FileTailer.identity(ofPath: logs + "/a.log"))
    let taken = try #require(capture.take(identity))
    #expect(taken.truncated)
    #expect(taken.bytes == Array(Self.numbered(0..<10).utf8))
  }

  @Test func aCompressedRotationStartsNoCapture() throws {
    let dir = try TempDirectory()
    try dir.append(Self.numbered(0..<10), to: "logs/0.log")
    let capture = CopyTruncateCapture()
    defer { capture.shutdown() }
    capture.created("0.log.20261205-101500.gz", in: dir.path + "/logs")
    #expect(capture.capturedBytes(of: dir.path + "/logs/0.log") == nil)
    capture.created("0.log.20261205-101500", in: dir.path + "/logs")
    #expect(capture.capturedBytes(of: dir.path + "/logs/0.log") == Self.numbered(0..<10).utf8.count)
    #expect(capture.isSpinning)
  }

  /// A file shorter than a head when its copy appears was just truncated (the copy was seen
  /// late): its first bytes cannot tell one content from the next, so it is not captured.
  @Test func aFileShorterThanAHeadIsNotCaptured() throws {
    let dir = try TempDirectory()
    try dir.append(#"{"ts":"2026-12-05T04:29"# + "\n", to: "logs/a.log")
    let capture = CopyTruncateCapture()
    defer { capture.shutdown() }
    capture.created("a.log.1", in: dir.path + "/logs")
    #expect(capture.capturedBytes(of: dir.path + "/logs/a.log") == nil)
  }

  @Test func theNamesACopyMayBeOf() {
    #expect(CopyTruncateCapture.bases(of: "app.log.1") == ["app.log", "app"])
    #expect(CopyTruncateCapture.bases(of: "app.log-20261205") == ["app.log", "app"])
    #expect(CopyTruncateCapture.bases(of: "noext") == [])
    #expect(CopyTruncateCapture.bases(of: ".hidden") == [])
  }
}
