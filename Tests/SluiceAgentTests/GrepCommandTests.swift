import Foundation
import Synchronization
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// `sluice grep` run as a process on real files and standard input.
struct GrepCommandTests {
  static let log = """
    {"timestamp":"2026-11-23T10:00:00Z","level":"info","message":"ok","status":200,"path":"/api/cart"}
    not json at all
    {"@timestamp":"2026-11-23T10:00:01Z","log.level":"ERROR","message":"ecs error","status":503,"path":"/api/pay"}
    {"severity_text":"WARN","body":"otel warning","status":429}
    {"severity_number":21,"body":"otel fatal","status":500,"path":"/internal"}
    {"level":"error","msg":"broken
    {"level":"debug","message":"noise","status":10}
    {"level":"error","message":"crlf line","status":502,"path":"/api/x"}\r

    """

  @Test func filtersByLevelAcrossSchemas() throws {
    let dir = try TempDirectory()
    try Self.log.write(to: dir.file("app.log"), atomically: true, encoding: .utf8)
    let (status, out, _) = try AgentProcess.run(["grep", "level>=error", dir.file("app.log").path])
    #expect(status == 0)
    let messages = out.split(separator: "\n").map(String.init)
    #expect(messages.count == 3)
    #expect(messages[0].contains("ecs error"))
    #expect(messages[1].contains("otel fatal"))
    #expect(messages[2].contains("crlf line") && !messages[2].hasSuffix("\r"))
  }

  @Test func numericAndTextComparisonsJoinedWithAnd() throws {
    let dir = try TempDirectory()
    try Self.log.write(to: dir.file("app.log"), atomically: true, encoding: .utf8)
    let (status, out, _) = try AgentProcess.run(["grep", "status>=500 and path~/api", dir.file("app.log").path])
    #expect(status == 0)
    #expect(out.split(separator: "\n").count == 2, "\(out)")
    let (countStatus, count, _) = try AgentProcess.run(["grep", "--count", "status>50", dir.file("app.log").path])
    #expect(countStatus == 0)
    #expect(count == "5\n", "10 is not > 50 numerically")
  }

  /// With `--level` the query may be left out: `sluice grep -l error app.log` reads app.log;
  /// a first argument that names no file is still the query.
  @Test func levelAloneNeedsNoQuery() throws {
    let dir = try TempDirectory()
    try Self.log.write(to: dir.file("app.log"), atomically: true, encoding: .utf8)
    let (status, count, _) = try AgentProcess.run(["grep", "-c", "-l", "error", dir.file("app.log").path])
    #expect(status == 0)
    #expect(count == "3\n")
    let (both, countBoth, _) = try AgentProcess.run(["grep", "-c", "-l", "warn", "path~api", dir.file("app.log").path])
    #expect(both == 0)
    #expect(countBoth == "2\n")
    // `--count-by` alone selects every line.
    let (_, table, _) = try AgentProcess.run(["grep", "--count-by", "level", dir.file("app.log").path])
    #expect(table.hasPrefix("count       %  level\n"), "\(table)")
    #expect(table.contains("error"), "\(table)")
  }

  @Test func exitStatusesAndErrors() throws {
    let dir = try TempDirectory()
    try Self.log.write(to: dir.file("app.log"), atomically: true, encoding: .utf8)
    let (none, out, _) = try AgentProcess.run(["grep", "level=trace", dir.file("app.log").path])
    #expect(none == 1)
    #expect(out.isEmpty)
    let (bad, _, err) = try AgentProcess.run(["grep", "level>=loud", dir.file("app.log").path])
    #expect(bad == 2)
    #expect(err.contains("unknown level"))
    let (missing, _, err2) = try AgentProcess.run(["grep", "level>=info", dir.file("nope.log").path])
    #expect(missing == 2)
    #expect(err2.contains("No such file"))
  }

  /// On a terminal (a pty made by script(1)) the default output is pretty and coloured; with
  /// NO_COLOR or TERM=dumb it is pretty without colour; piped it is the raw line.
  @Test func prettyAndColouredOnATerminalRawWhenPiped() throws {
    let dir = try TempDirectory()
    try Self.log.write(to: dir.file("app.log"), atomically: true, encoding: .utf8)
    let bin = AgentProcess.binary.path
    func onTerminal(_ environment: String) throws -> String {
      let (status, out, err) = try AgentProcess.run(
        tool: URL(fileURLWithPath: "/usr/bin/script"),
        ["-qefc", "\(environment) '\(bin)' grep 'level>=error' '\(dir.file("app.log").path)'", "/dev/null"])
      #expect(status == 0, "\(err)")
      return out
    }
    let colored = try onTerminal("env -u NO_COLOR TERM=xterm")
    #expect(colored.contains("2026-11-23T10:00:01Z \u{1B}[31mERROR\u{1B}[0m ecs error"), "\(colored.debugDescription)")
    let plain = try onTerminal("env NO_COLOR=1 TERM=xterm")
    let dumb = try onTerminal("env -u NO_COLOR TERM=dumb")
    #expect(
      dumb.contains("2026-11-23T10:00:01Z ERROR ecs error") && !dumb.contains("\u{1B}["), "\(dumb.debugDescription)")
    #expect(
      plain.contains("2026-11-23T10:00:01Z ERROR ecs error") && !plain.contains("\u{1B}["), "\(plain.debugDescription)")
    let (_, piped, _) = try AgentProcess.run(["grep", "level>=error", dir.file("app.log").path])
    #expect(piped.hasPrefix("{\"@timestamp\""))
  }

  @Test func aSyntaxErrorEchoesTheQueryWithACaret() throws {
    let (status, out, err) = try AgentProcess.run(["grep", "status>= and path~/api", "/dev/null"])
    #expect(status == 2 && out.isEmpty)
    let lines = err.split(separator: "\n").map(String.init)
    #expect(lines.count == 3, "\(err)")
    #expect(lines[0].hasPrefix("sluice grep: query error: "))
    #expect(lines[1] == "  status>= and path~/api")
    #expect(lines[2] == "          ^", "\(err)")
  }

  @Test func helpShowsExamples() throws {
    let (status, out, _) = try AgentProcess.run(["grep", "--help"])
    #expect(status == 0)
    #expect(out.contains("sluice grep 'level>=error' app.log") && out.contains("--count-by"))
  }

  /// `-f` keeps printing matching lines appended to the file, across a rename-and-create
  /// rotation and a copytruncate rotation, until it is stopped.
  @Test func followReadsOnAcrossBothRotationKinds() async throws {
    let dir = try TempDirectory()
    let log = dir.file("app.log").path
    func append(_ seqs: Range<Int>, to path: String) throws {
      let text = seqs.map { #"{"level":"\#($0 % 2 == 0 ? "error" : "info")","seq":\#($0)}"# + "\n" }.joined()
      if !FileManager.default.fileExists(atPath: path) { FileManager.default.createFile(atPath: path, contents: nil) }
      let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
      handle.seekToEndOfFile()
      handle.write(Data(text.utf8))
      try handle.close()
    }
    try append(0..<10, to: log)
    let process = Process()
    process.executableURL = AgentProcess.binary
    process.arguments = ["grep", "-f", "level=error", log]
    let pipe = Pipe()
    process.standardOutput = pipe
    let received = Mutex<[UInt8]>([])
    // A thread of its own reads the pipe: a readabilityHandler runs on Dispatch's shared pool,
    // which other tests running alongside can keep busy for many seconds.
    let readEnd = pipe.fileHandleForReading.fileDescriptor
    let reader = Thread {
      var buffer = [UInt8](repeating: 0, count: 1 << 16)
      while true {
        let n = buffer.withUnsafeMutableBytes { read(readEnd, $0.baseAddress, $0.count) }
        if n <= 0 { break }
        received.withLock { $0.append(contentsOf: buffer[0..<n]) }
      }
    }
    try process.run()
    reader.start()
    defer {
      if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
    func seen() -> Set<Int> {
      let text = String(decoding: received.withLock { $0 }, as: UTF8.self)
      return Set(
        text.split(separator: "\n").compactMap { line in
          line.range(of: #""seq":"#).flatMap { Int(line[$0.upperBound...].prefix { $0.isNumber }) }
        })
    }
    func waitFor(_ expected: Set<Int>) async throws -> Bool {
      try await eventually(timeout: .seconds(30)) { seen().isSuperset(of: expected) }
    }
    #expect(try await waitFor(Set(stride(from: 0, to: 10, by: 2))))
    // Rename and create.
    try append(10..<20, to: log)
    try FileManager.default.moveItem(atPath: log, toPath: log + ".1")
    try append(20..<30, to: log)
    #expect(try await waitFor(Set(stride(from: 0, to: 30, by: 2))), "\(seen().sorted())")
    // Copytruncate.
    try append(30..<40, to: log)
    #expect(try await waitFor(Set(stride(from: 0, to: 40, by: 2))))
    try? FileManager.default.removeItem(atPath: log + ".1")
    try FileManager.default.copyItem(atPath: log, toPath: log + ".1")
    #expect(truncate(log, 0) == 0)
    try append(40..<50, to: log)
    #expect(try await waitFor(Set(stride(from: 0, to: 50, by: 2))), "\(seen().sorted())")
    // Only matching lines, each once.
    let text = String(decoding: received.withLock { $0 }, as: UTF8.self)
    #expect(text.split(separator: "\n").count == 25, "\(text)")
    #expect(seen().allSatisfy { $0 % 2 == 0 })
    // SIGTERM stops it, although this test runner starts it with signals blocked.
    process.terminate()
    let stopBy = ContinuousClock.now + .seconds(10)
    while process.isRunning && ContinuousClock.now < stopBy { try await Task.sleep(for: .milliseconds(20)) }
    #expect(!process.isRunning, "sluice grep -f did not stop on SIGTERM")
  }
}
