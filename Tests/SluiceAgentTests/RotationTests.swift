import Foundation
import Logging
import Synchronization
import Testing

@testable import SluiceAgent

#if canImport(Glibc)
  import Glibc
#endif

/// Real `logrotate` rotating a file every second while a writer appends 20,000 numbered
/// lines a second and the agent binary tails it into a file sink. Every number is accounted
/// for: with `create` each arrives exactly once and in order; with `copytruncate` each line
/// that logrotate kept (in the live file or a rotated copy) arrives exactly once, and the
/// lines written between logrotate's copy and its truncation — in no file at all — are
/// counted and printed.
@Suite("Rotation with logrotate", .serialized)
struct RotationTests {
  enum Mode: String, CaseIterable, Sendable { case create, copytruncate }

  /// Appends `seq=<n>` lines to `path` at about `rate` lines/s for `seconds`. Like a real
  /// service under `create` rotation, it reopens the file when the name points elsewhere.
  final class Writer: Sendable {
    let written = Mutex(0)
    let done = Mutex(false)

    func run(path: String, rate: Int, seconds: Double) {
      var fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
      var openedIno = Self.inode(fd: fd)
      let start = ContinuousClock.now
      var n = 0
      var line = [UInt8]()
      while true {
        let elapsed = ContinuousClock.now - start
        let secs = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        if secs >= seconds { break }
        let due = Int(secs * Double(rate))
        if n >= due {
          usleep(200)
          continue
        }
        if n % 64 == 0, let current = Self.inode(path: path), current != openedIno {
          close(fd)
          fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
          openedIno = Self.inode(fd: fd)
        }
        while n < due {
          line.removeAll(keepingCapacity: true)
          line.append(contentsOf: "{\"level\":\"info\",\"message\":\"tick\",\"seq\":\(n)}\n".utf8)
          _ = line.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
          n += 1
        }
        written.withLock { $0 = n }
      }
      close(fd)
      written.withLock { $0 = n }
      done.withLock { $0 = true }
    }

    static func inode(fd: Int32) -> UInt64 {
      var st = stat()
      fstat(fd, &st)
      return UInt64(st.st_ino)
    }

    static func inode(path: String) -> UInt64? {
      var st = stat()
      return stat(path, &st) == 0 ? UInt64(st.st_ino) : nil
    }
  }

  /// Runs `logrotate -f` once; whether it succeeded.
  static func runLogrotate(_ config: String, state: String) -> Bool {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/sbin/logrotate")
    p.arguments = ["-f", "-s", state, config]
    guard (try? p.run()) != nil else { return false }
    p.waitUntilExit()
    return p.terminationStatus == 0
  }

  func sequences(_ path: String) -> [Int] {
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
    var out: [Int] = []
    for line in text.split(separator: "\n") {
      guard let r = line.range(of: "\"seq\":") else { continue }
      let digits = line[r.upperBound...].prefix { $0.isNumber }
      if let n = Int(digits) { out.append(n) }
    }
    return out
  }

  /// `include: [app.log]`, or `include: [app.log*]`, which matches the rotated files too.
  enum Include: String, CaseIterable, Sendable { case liveFile = "app.log", withRotated = "app.log*" }

  @Test(arguments: Mode.allCases, Include.allCases)
  func everyLineArrivesOnceWhileLogrotateRuns(_ mode: Mode, _ include: Include) async throws {
    guard FileManager.default.isExecutableFile(atPath: "/usr/sbin/logrotate") else {
      Issue.record("logrotate is not installed (scripts/test installs it)")
      return
    }
    let dir = try TempDirectory("rotation-\(mode.rawValue)")
    let log = dir.file("app.log").path
    FileManager.default.createFile(atPath: log, contents: nil)
    let out = dir.file("out.ndjson").path
    let rotateConfig = dir.file("logrotate.conf").path
    try """
    \(log) {
      rotate 100
      nocompress
      missingok
      \(mode == .create ? "create 0644" : "copytruncate")
    }
    """.write(toFile: rotateConfig, atomically: true, encoding: .utf8)
    let config = dir.file("agent.yaml")
    try """
    data_dir: \(dir.path)/data
    sources:
      - {name: app, type: file, include: ["\(dir.path)/\(include.rawValue)"], read_from: beginning, poll_interval: 10ms}
    pipeline: [{type: parse}]
    sinks:
      - {name: out, type: file, path: \(out), compression: none, batch: {max_events: 5000, max_age: 50ms}}
    admin: {address: "127.0.0.1:0"}
    """.write(to: config, atomically: true, encoding: .utf8)
    let agent = try AgentProcess(config: config)

    let rate = 20_000
    let seconds = 5.0
    let writer = Writer()
    let thread = Thread { writer.run(path: log, rate: rate, seconds: seconds) }
    thread.start()
    // logrotate runs every half second on a thread of its own (not on the test's task pool,
    // which other tests may keep busy), until the writer is done: under a loaded full run a
    // logrotate process takes up to a second to start, and at least four rotations must fit
    // in the writer's five seconds.
    let rotated = Mutex(0)
    let rotationsDone = Mutex(false)
    let state = dir.file("logrotate.state").path
    let rotator = Thread {
      while !writer.done.withLock({ $0 }) {
        usleep(500_000)
        if Self.runLogrotate(rotateConfig, state: state) { rotated.withLock { $0 += 1 } }
      }
      rotationsDone.withLock { $0 = true }
    }
    rotator.start()
    while !rotationsDone.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(50)) }
    let rotations = rotated.withLock { $0 }
    let total = writer.written.withLock { $0 }
    // Wait (bounded) until the output stops growing with everything or nearly.
    let deadline = ContinuousClock.now + .seconds(60)
    var got: [Int] = []
    var lastCount = -1
    var stableSince = ContinuousClock.now
    while ContinuousClock.now < deadline {
      got = sequences(out)
      if got.count >= total { break }
      if got.count != lastCount {
        lastCount = got.count
        stableSince = .now
      } else if ContinuousClock.now - stableSince > .seconds(5) {
        break  // nothing more is coming
      }
      try await Task.sleep(for: .milliseconds(50))
    }
    #expect(await agent.terminate() == 0)
    got = sequences(out)
    let unique = Set(got)
    let lost = total - unique.count
    let duplicates = got.count - unique.count
    // What logrotate itself kept (the live file and every rotated copy): a line in none of
    // them was written in copytruncate's window between copy and truncation.
    var kept = Set<Int>()
    for name in try FileManager.default.contentsOfDirectory(atPath: dir.path) where name.hasPrefix("app.log") {
      kept.formUnion(sequences(dir.file(name).path))
    }
    let missing = Set(0..<total).subtracting(unique)
    let lostByAgent = missing.intersection(kept).count
    print(
      "rotation \(mode.rawValue), include \(include.rawValue): \(total) lines at \(rate)/s, \(rotations) rotations: \(lost) lost "
        + "(\(lost - lostByAgent) in logrotate's copy-to-truncate window, \(lostByAgent) by the agent), "
        + "\(duplicates) duplicated")
    #expect(rotations >= 4, "only \(rotations) rotations happened")
    #expect(total >= Int(Double(rate) * seconds * 0.9))
    #expect(lostByAgent == 0, "\(mode.rawValue): \(lostByAgent) lines that logrotate kept were not shipped")
    #expect(duplicates == 0, "\(mode.rawValue): \(duplicates) duplicated")
    if mode == .create { #expect(lost == 0, "create: \(lost) of \(total) lines lost") }
    if mode == .create {
      // In order, but for a known limit (docs/sources.md): under a loaded full run the first
      // lines of the new file have been seen shipped before the last few hundred of the renamed
      // one, once in about four runs. What is bounded here: such a step back stays within one
      // rotation's lines, and there is at most one per rotation.
      let backSteps = got.indices.dropFirst().filter { got[$0 - 1] >= got[$0] }
      let perRotation = Int(Double(rate) * 0.5)
      for k in backSteps {
        #expect(
          got[k - 1] - got[k] < perRotation,
          "create: lines out of order at \(k): \(Array(got[max(0, k - 3)..<min(got.count, k + 3)]))")
      }
      #expect(backSteps.count <= rotations, "create: \(backSteps.count) steps back")
      if !backSteps.isEmpty {
        print(
          "rotation create, include \(include.rawValue): \(backSteps.count) step(s) back, at most \(backSteps.map { got[$0 - 1] - got[$0] }.max()!) lines"
        )
      }
    }
  }
}

/// Truncation seen by the tailer itself, between two polls.
@Suite("Truncation")
struct TruncationTests {
  func tailer(_ dir: TempDirectory) throws -> FileTailer {
    try makeTailer(dir, #"include: ["\#(dir.path)/*.log"], read_from: beginning"#)
  }

  /// The file is truncated and rewritten past the old read position before the next poll:
  /// its first bytes changed, so it is read again from the start.
  @Test func aFileRewrittenLongerBetweenPollsIsReadFromTheStart() throws {
    let dir = try TempDirectory()
    let path = dir.file("app.log").path
    try "old one\nold two\n".write(toFile: path, atomically: false, encoding: .utf8)
    let t = try tailer(dir)
    t.discover()
    #expect(lines(t.poll()) == ["old one", "old two"])
    let fd = open(path, O_WRONLY | O_TRUNC)
    let text = (0..<20).map { "new line \($0)\n" }.joined()
    _ = text.utf8CString.withUnsafeBytes { write(fd, $0.baseAddress, text.utf8.count) }
    close(fd)
    #expect(lines(t.poll()) == (0..<20).map { "new line \($0)" })
  }

  /// copytruncate between polls: what was not read yet comes from the copy.
  @Test func unreadLinesComeFromTheRotatedCopy() throws {
    let dir = try TempDirectory()
    let path = dir.file("app.log").path
    try "a\nb\n".write(toFile: path, atomically: false, encoding: .utf8)
    let t = try tailer(dir)
    t.discover()
    #expect(lines(t.poll()) == ["a", "b"])
    try dir.append("c\nd\npartial", to: "app.log")
    // What logrotate's copytruncate does: copy, then truncate the original.
    try FileManager.default.copyItem(atPath: path, toPath: path + ".1")
    truncate(path, 0)
    try dir.append("e\n", to: "app.log")
    #expect(lines(t.poll()) == ["c", "d", "partial", "e"])
  }
}

/// Globs that match the rotated files too (`app.log*`): a rotated file is the same file under
/// another name, and a copy is the same content; neither is read twice.
@Suite("Rotated names inside the globs")
struct RotatedNamesInsideTheGlobsTests {
  func tailer(_ dir: TempDirectory) throws -> FileTailer {
    try makeTailer(dir, #"include: ["\#(dir.path)/app.log*"], read_from: beginning"#, rotateWait: .milliseconds(50))
  }

  /// rename + create, twice (`app.log` → `app.log.1` → `app.log.2`), with lines appended to
  /// the renamed files through their old descriptors: every line once, older files first.
  @Test func renamedFilesAreFollowedOnNotReadAgain() throws {
    let dir = try TempDirectory()
    let path = dir.file("app.log").path
    try dir.append("a1\na2\n", to: "app.log")
    let t = try tailer(dir)
    t.discover()
    #expect(lines(t.poll()) == ["a1", "a2"])
    let first = open(path, O_WRONLY | O_APPEND)
    defer { close(first) }
    rename(path, path + ".1")
    try dir.append("b1\n", to: "app.log")
    _ = "a3\n".withCString { write(first, $0, 3) }  // the service had not reopened yet
    t.discover()
    #expect(lines(t.poll()) == ["a3", "b1"])
    #expect(t.active.keys.sorted() == [path, path + ".1"])
    rename(path + ".1", path + ".2")
    rename(path, path + ".1")
    try dir.append("c1\n", to: "app.log")
    try dir.append("b2\n", to: "app.log.1")
    t.discover()
    #expect(lines(t.poll()) == ["b2", "c1"])
    #expect(lines(t.poll()).isEmpty)
    // The oldest is deleted (logrotate's `rotate N`): drained, closed, nothing else changes.
    unlink(path + ".2")
    t.discover()
    #expect(t.active.keys.sorted() == [path, path + ".1"])
  }

  /// Rotated twice before the tailer first looked (an agent that starts late): the three
  /// files are read oldest first, by modification time, not in name order.
  @Test func filesFoundTogetherAreReadOldestFirst() throws {
    let dir = try TempDirectory()
    let path = dir.file("app.log").path
    try dir.append("a1\na2\n", to: "app.log.2")
    try dir.append("b1\n", to: "app.log.1")
    try dir.append("c1\nc2\n", to: "app.log")
    // Written in that order a second apart (as a service and logrotate would leave them).
    for (name, age) in [("app.log.2", 30), ("app.log.1", 20), ("app.log", 10)] {
      var times = [timespec(tv_sec: time(nil) - age, tv_nsec: 0), timespec(tv_sec: time(nil) - age, tv_nsec: 0)]
      #expect(utimensat(AT_FDCWD, path.replacingOccurrences(of: "app.log", with: name), &times, 0) == 0)
    }
    let t = try tailer(dir)
    t.discover()
    #expect(lines(t.poll()) == ["a1", "a2", "b1", "c1", "c2"])
    try dir.append("c3\n", to: "app.log")
    #expect(lines(t.poll()) == ["c3"])
  }

  /// Modified within one tick of the kernel's coarse clock, a renamed file and the one created
  /// under its old name have the same modification time: the rotated name is read first.
  @Test func sameInstantRotatedNameFirst() {
    let names = ["app.log", "app.log.1", "b.log", "app.log-20261123", "a"]
    #expect(
      names.sorted(by: FileTailer.rotatedNameFirst) == ["app.log-20261123", "app.log.1", "app.log", "a", "b.log"])
  }

  /// copytruncate, with the copy found by discovery before the truncation is seen (logrotate
  /// copied, the agent looked, then logrotate truncated): the copy is left alone, the unread
  /// tail is taken from it once, and it is then followed from its end.
  @Test func aCopyFoundBeforeTheTruncationIsNotReadTwice() throws {
    let dir = try TempDirectory()
    let path = dir.file("app.log").path
    try dir.append("a\nb\n", to: "app.log")
    let t = try tailer(dir)
    t.discover()
    #expect(lines(t.poll()) == ["a", "b"])
    try dir.append("c\nd\n", to: "app.log")
    try FileManager.default.copyItem(atPath: path, toPath: path + ".1")
    t.discover()
    #expect(t.active.keys.sorted() == [path])  // the copy in progress is not followed
    truncate(path, 0)
    try dir.append("e\n", to: "app.log")
    #expect(lines(t.poll()) == ["c", "d", "e"])
    t.discover()
    #expect(t.active.keys.sorted() == [path, path + ".1"])
    #expect(lines(t.poll()).isEmpty)
  }

  /// copytruncate, with the truncation seen first and the copy discovered after.
  @Test func aCopyFoundAfterTheTruncationStartsWhereReadingStopped() throws {
    let dir = try TempDirectory()
    let path = dir.file("app.log").path
    try dir.append("a\nb\n", to: "app.log")
    let t = try tailer(dir)
    t.discover()
    #expect(lines(t.poll()) == ["a", "b"])
    try dir.append("c\n", to: "app.log")
    try FileManager.default.copyItem(atPath: path, toPath: path + "-20261123")
    truncate(path, 0)
    try dir.append("d\n", to: "app.log")
    #expect(lines(t.poll()) == ["c", "d"])
    t.discover()
    #expect(lines(t.poll()).isEmpty)
    // A second round: the previous copy keeps its content; the new copy is recognised too.
    try dir.append("e\n", to: "app.log")
    try FileManager.default.copyItem(atPath: path, toPath: path + "-20261124")
    truncate(path, 0)
    try dir.append("f\n", to: "app.log")
    #expect(lines(t.poll()) == ["e", "f"])
    t.discover()
    #expect(lines(t.poll()).isEmpty)
    #expect(t.active.count == 3)
  }

  /// A file named like a copy but with other content is an ordinary new file.
  @Test func aSiblingWithOtherContentIsReadWhole() throws {
    let dir = try TempDirectory()
    try dir.append("a\n", to: "app.log")
    let t = try tailer(dir)
    t.discover()
    #expect(lines(t.poll()) == ["a"])
    try dir.append("other\n", to: "app.log.1")
    t.discover()
    #expect(lines(t.poll()) == ["other"])
  }
}

/// What happens to followed files besides rotation, one test each.
@Suite("File lifecycle")
struct FileLifecycleTests {
  func tailer(_ dir: TempDirectory) throws -> FileTailer {
    try makeTailer(dir, #"include: ["\#(dir.path)/logs/*.log"], read_from: beginning"#, rotateWait: .milliseconds(50))
  }

  @Test func deletedWhileOpenIsReadToItsEndThenClosed() async throws {
    let dir = try TempDirectory()
    try dir.append("one\n", to: "logs/a.log")
    let t = try tailer(dir)
    t.discover()
    #expect(lines(t.poll()) == ["one"])
    // Written, then deleted before the agent read it: still read through the open descriptor.
    try dir.append("two\n", to: "logs/a.log")
    try FileManager.default.removeItem(at: dir.file("logs/a.log"))
    t.discover()
    #expect(lines(t.poll()) == ["two"])
    try await Task.sleep(for: .milliseconds(80))
    _ = t.poll()
    #expect(t.active.isEmpty && t.draining.isEmpty)
  }

  @Test func recreatedWithTheSameNameIsReadFromItsStart() throws {
    let dir = try TempDirectory()
    try dir.append("old\n", to: "logs/a.log")
    let t = try tailer(dir)
    t.discover()
    #expect(lines(t.poll()) == ["old"])
    try FileManager.default.removeItem(at: dir.file("logs/a.log"))
    try dir.append("new one\nnew two\n", to: "logs/a.log")
    t.discover()
    #expect(lines(t.poll()) == ["new one", "new two"])
  }

  @Test func movedOutOfTheGlobIsFinishedAndNotFollowedAfter() async throws {
    let dir = try TempDirectory()
    try dir.append("one\n", to: "logs/a.log")
    let t = try tailer(dir)
    t.discover()
    #expect(lines(t.poll()) == ["one"])
    try dir.append("two\n", to: "logs/a.log")
    try FileManager.default.moveItem(at: dir.file("logs/a.log"), to: dir.file("logs/a.log.old"))
    t.discover()
    #expect(lines(t.poll()) == ["two"])  // what was written before the move
    try await Task.sleep(for: .milliseconds(80))
    _ = t.poll()
    try dir.append("three\n", to: "logs/a.log.old")  // after the grace period: not followed
    #expect(lines(t.poll()).isEmpty)
    #expect(t.active.isEmpty && t.draining.isEmpty)
  }

  /// Permission denied (the agent runs as `nobody` for this, since root reads everything):
  /// logged once, counted, retried, and read once readable.
  @Test func unreadableFilesAreRetriedUntilReadable() async throws {
    guard getuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") else { return }
    let dir = try TempDirectory()
    try dir.append("secret one\n", to: "logs/a.log")
    chmod(dir.file("logs/a.log").path, 0o000)
    let out = dir.file("out.ndjson").path
    let config = dir.file("agent.yaml")
    try """
    data_dir: \(dir.path)/data
    sources:
      - {name: app, type: file, include: ["\(dir.path)/logs/*.log"], read_from: beginning, poll_interval: 20ms}
    sinks:
      - {name: out, type: file, path: \(out), compression: none, batch: {max_events: 1, max_age: 20ms}}
    admin: {address: "127.0.0.1:0"}
    """.write(to: config, atomically: true, encoding: .utf8)
    chmod(dir.path, 0o777)
    chown(dir.path, 65534, 65534)
    let agent = try AgentProcess(config: config, asNobody: true)
    let port = try #require(await agent.adminPort())
    // It keeps trying: the read-error counter passes 3 while the file stays unreadable.
    var errors = 0
    _ = try await eventually(timeout: .seconds(30)) {
      errors = Int(try await EndToEndTests.metric("sluice_source_read_errors_total", port: port) ?? 0)
      return errors >= 3
    }
    #expect(errors >= 3)
    chmod(dir.file("logs/a.log").path, 0o644)
    // A deadline of its own: under a loaded full run the first phase may use most of its 30 s.
    var shipped = ""
    _ = try await eventually(timeout: .seconds(30)) {
      shipped = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
      return shipped.contains("secret one")
    }
    #expect(await agent.terminate() == 0)
    #expect(shipped.contains("secret one"))
    let warnings = agent.logLines.filter { $0.contains("cannot open file") }
    #expect(warnings.count == 1, "\(warnings)")
  }
}

/// inotify wakes the source: with a 120-second poll interval, lines written to an existing
/// file and to a new file still arrive within seconds (the test allows 30 s for a loaded CI).
@Suite("inotify")
struct InotifyTests {
  @Test func changesWakeTheSourceLongBeforeThePollInterval() async throws {
    let dir = try TempDirectory()
    try dir.append("first\n", to: "logs/a.log")
    let out = dir.file("out.ndjson").path
    let config = dir.file("agent.yaml")
    try """
    data_dir: \(dir.path)/data
    sources:
      - {name: app, type: file, include: ["\(dir.path)/logs/*.log"], read_from: beginning, poll_interval: 120s}
    sinks:
      - {name: out, type: file, path: \(out), compression: none, batch: {max_events: 1, max_age: 20ms}}
    admin: {address: "127.0.0.1:0"}
    """.write(to: config, atomically: true, encoding: .utf8)
    let agent = try AgentProcess(config: config)
    _ = await agent.adminPort()
    func shipped() -> String { (try? String(contentsOfFile: out, encoding: .utf8)) ?? "" }
    func waitFor(_ text: String) async throws -> Bool {
      try await eventually(timeout: .seconds(30), interval: .milliseconds(10)) { shipped().contains(text) }
    }
    #expect(try await waitFor("first"))
    try dir.append("second\n", to: "logs/a.log")
    #expect(
      try await waitFor("second"),
      "growth was not noticed before the poll interval; agent log: \(agent.logLines.suffix(20))")
    try dir.append("third\n", to: "logs/b.log")
    #expect(try await waitFor("third"), "a new file was not noticed before the poll interval")
    #expect(await agent.terminate() == 0)
  }
}
