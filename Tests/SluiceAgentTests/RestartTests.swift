import Foundation
import Logging
import Synchronization
import Testing

@testable import SluiceAgent

/// The agent killed mid-file — SIGKILL three times, then SIGTERM — and restarted each time:
/// no line is lost, and each restart resumes exactly at the saved checkpoint, so what is sent
/// twice is only what had not been acknowledged (checkpointed) when the agent died.
@Suite("Restart")
struct RestartTests {
  struct Output {
    let text: String
    /// `seq` values in order, from byte `from` on.
    func seqs(from: Int = 0) -> [Int] {
      let bytes = Array(text.utf8)
      guard from < bytes.count else { return [] }
      let tail = String(decoding: bytes[from...], as: UTF8.self)
      var out: [Int] = []
      var rest = tail[...]
      while let r = rest.range(of: "\"seq\":") {
        let digits = rest[r.upperBound...].prefix { $0.isNumber }
        if let n = Int(digits) { out.append(n) }
        rest = rest[r.upperBound...]
      }
      return out
    }
  }

  func checkpointOffset(_ dataDir: String) throws -> Int? {
    guard let data = FileManager.default.contents(atPath: dataDir + "/checkpoints.json") else { return nil }
    let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
    let files = object?["files"] as? [[String: Any]]
    return (files?.first?["offset"] as? NSNumber)?.intValue
  }

  @Test func killedAndRestartedAgentLosesNothingAndResumesAtTheCheckpoint() async throws {
    let dir = try TempDirectory()
    let total = 30_000
    let log = dir.file("app.log").path
    FileManager.default.createFile(atPath: log, contents: nil)
    // A writer appends 5,000 lines a second through all the rounds.
    let writerDone = Mutex(false)
    let writer = Thread {
      let fd = open(log, O_WRONLY | O_APPEND)
      let pad = String(repeating: "x", count: 40)
      let start = ContinuousClock.now
      var n = 0
      while n < total {
        let due = min(
          total,
          Int(
            Double((ContinuousClock.now - start).components.attoseconds) / 1e18 * 5000
              + Double((ContinuousClock.now - start).components.seconds) * 5000))
        if n >= due {
          usleep(1000)
          continue
        }
        var chunk = ""
        while n < due {
          chunk += "{\"seq\":\(n),\"level\":\"info\",\"pad\":\"\(pad)\"}\n"
          n += 1
        }
        _ = chunk.withCString { write(fd, $0, strlen($0)) }
      }
      close(fd)
      writerDone.withLock { $0 = true }
    }
    writer.start()
    let out = dir.file("out.ndjson").path
    let config = dir.file("agent.yaml")
    try """
    data_dir: \(dir.path)/data
    checkpoint_interval: 50ms
    sources:
      - {name: app, type: file, include: ["\(log)"], read_from: beginning, poll_interval: 10ms}
    pipeline: [{type: parse}]
    sinks:
      - {name: out, type: file, path: \(out), compression: none, batch: {max_events: 500, max_age: 20ms}}
    admin: {address: "127.0.0.1:0"}
    """.write(to: config, atomically: true, encoding: .utf8)

    func outputSize() -> Int { (try? FileManager.default.attributesOfItem(atPath: out)[.size] as? Int) ?? 0 }
    func read() -> Output { Output(text: (try? String(contentsOfFile: out, encoding: .utf8)) ?? "") }
    /// Lines written to the output since byte `from` (cheap: counts newlines).
    func linesSince(_ from: Int) -> Int {
      guard let h = FileHandle(forReadingAtPath: out) else { return 0 }
      defer { try? h.close() }
      try? h.seek(toOffset: UInt64(from))
      return (try? h.readToEnd())?.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) } ?? 0
    }
    func logSize() -> Int { (try? FileManager.default.attributesOfItem(atPath: log)[.size] as? Int) ?? 0 }

    var rounds: [(resumedAt: Int?, firstSeq: Int?)] = []
    for round in 0..<4 {
      let startSize = outputSize()
      let checkpoint = try checkpointOffset(dir.path + "/data")
      let agent = try AgentProcess(config: config)
      _ = await agent.adminPort()  // up and handling signals
      // Kill (rounds 0–2) once it has shipped 1,000 more lines and saved a checkpoint past
      // the one it started from; stop (round 3) once everything is acknowledged.
      let deadline = ContinuousClock.now + .seconds(60)
      while ContinuousClock.now < deadline {
        let saved = try checkpointOffset(dir.path + "/data") ?? 0
        let everything = writerDone.withLock { $0 } && saved == logSize()
        if everything { break }
        if round < 3 && saved > (checkpoint ?? 0) && linesSince(startSize) >= 1000 { break }
        try await Task.sleep(for: .milliseconds(10))
      }
      if round < 3 {
        _ = await agent.kill9()
      } else {
        #expect(await agent.terminate() == 0)
      }
      rounds.append((checkpoint, read().seqs(from: startSize).first))
    }

    // Byte offset of each line of the file, to map checkpoints to lines.
    var offsets: [Int] = []
    var at = 0
    for line in try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n") {
      offsets.append(at)
      at += line.utf8.count + 1
    }
    let all = read().seqs()
    let unique = Set(all)
    let missing = total - unique.count
    let duplicates = all.count - unique.count
    print("restart: \(total) lines, 3 SIGKILLs and a SIGTERM: \(missing) missing, \(duplicates) sent twice")
    #expect(missing == 0)
    for (k, r) in rounds.enumerated() where k > 0 {
      // Each restart resumes at the line the saved checkpoint points to.
      // (A checkpoint at the very end means nothing was left to send.)
      var expected = r.resumedAt.map { at in offsets.firstIndex { $0 >= at } ?? total }
      if expected == total { expected = nil }
      #expect(
        r.firstSeq == expected,
        "round \(k): resumed at seq \(String(describing: r.firstSeq)), checkpoint says \(String(describing: expected))")
    }
  }
}

/// Checkpoints remember each file's first bytes: a new file that got a checkpointed file's
/// inode after it was deleted is read from its start, not from the old file's offset.
@Suite("Fingerprints")
struct FingerprintTests {
  func tailer(
    _ dir: TempDirectory, _ offsets: [FileIdentity: UInt64], _ prints: [FileIdentity: Fingerprint]
  )
    throws -> FileTailer
  {
    try makeTailer(
      dir, #"include: ["\#(dir.path)/*.log"], read_from: beginning"#, resumeOffsets: offsets, fingerprints: prints)
  }

  @Test func aReusedInodeDoesNotInheritTheOldOffset() throws {
    let dir = try TempDirectory()
    try dir.append("new file one\nnew file two\n", to: "app.log")
    let id = try #require(FileTailer.identity(ofPath: dir.file("app.log").path))
    let old = Fingerprint.of(Array("old file, other content\n".utf8))
    let t = try tailer(dir, [id: 13], [id: old])
    t.discover()
    #expect(lines(t.poll()) == ["new file one", "new file two"])
  }

  @Test func theSameFileResumesAndItsShortFingerprintGrows() throws {
    let dir = try TempDirectory()
    try dir.append("one\n", to: "app.log")
    let id = try #require(FileTailer.identity(ofPath: dir.file("app.log").path))
    // Saved when the file held only "one\n"; it has grown since.
    let short = Fingerprint.of(Array("one\n".utf8))
    try dir.append("two\nthree\n", to: "app.log")
    let t = try tailer(dir, [id: 4], [id: short])
    t.discover()
    let chunks = t.poll()
    #expect(lines(chunks) == ["two", "three"])
    #expect(chunks.last?.fingerprint == Fingerprint.of(Array("one\ntwo\nthree\n".utf8)))
  }

  @Test func fingerprintsAreStoredAndOldCheckpointFilesStillLoad() throws {
    let dir = try TempDirectory()
    let id = FileIdentity(device: 1, inode: 2)
    let store = try CheckpointStore(directory: dir.url)
    let print = Fingerprint.of(Array("head".utf8))
    store.advance(source: "app", path: "/x.log", identity: id, to: 10, fingerprint: print)
    try store.save()
    #expect(try CheckpointStore(directory: dir.url).fingerprints(source: "app") == [id: print])
    // A file from before fingerprints: offsets load, no fingerprint.
    try #"{"version":1,"files":[{"source":"app","path":"/x.log","device":1,"inode":2,"offset":7,"updated":0}]}"#
      .write(to: dir.file("checkpoints.json"), atomically: true, encoding: .utf8)
    let old = try CheckpointStore(directory: dir.url)
    #expect(old.offsets(source: "app") == [id: 7])
    #expect(old.fingerprints(source: "app").isEmpty)
  }
}

/// A thousand files followed at once, some growing while the agent runs, some appearing.
@Suite("Many files")
struct ManyFilesTests {
  @Test func aThousandFilesAreAllShipped() async throws {
    let dir = try TempDirectory()
    let files = 1000
    let before = 10
    for f in 0..<files {
      var text = ""
      for n in 0..<before { text += "{\"file\":\(f),\"seq\":\(n)}\n" }
      try dir.append(text, to: "logs/f\(f).log")
    }
    let out = dir.file("out.ndjson").path
    let config = dir.file("agent.yaml")
    try """
    data_dir: \(dir.path)/data
    sources:
      - {name: app, type: file, include: ["\(dir.path)/logs/**/*.log"], read_from: beginning, poll_interval: 20ms}
    pipeline: [{type: parse}]
    sinks:
      - {name: out, type: file, path: \(out), compression: none, batch: {max_events: 2000, max_age: 50ms}}
    admin: {address: "127.0.0.1:0"}
    """.write(to: config, atomically: true, encoding: .utf8)
    let agent = try AgentProcess(config: config)
    // While it runs: every file grows by 5 lines, and 50 files appear in a subdirectory.
    for f in 0..<files { try dir.append("{\"file\":\(f),\"seq\":\(before)}\n", to: "logs/f\(f).log") }
    for f in files..<(files + 50) { try dir.append("{\"file\":\(f),\"seq\":0}\n", to: "logs/more/f\(f).log") }
    let expected = files * (before + 1) + 50
    var pairs: [String] = []
    _ = try await eventually(timeout: .seconds(120), interval: .milliseconds(50)) {
      let text = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
      pairs = text.split(separator: "\n").map { line in
        let v = line.split(separator: ",").prefix(2).joined(separator: ",")
        return String(v)
      }
      return pairs.count >= expected
    }
    #expect(await agent.terminate() == 0)
    #expect(pairs.count == expected)
    #expect(Set(pairs).count == expected, "some lines were shipped twice")
  }
}

@Suite("Latch")
struct LatchTests {
  @Test func doorbellRemembersOneRingAndWakesWaiters() async throws {
    let bell = Doorbell()
    bell.ring()
    await bell.wait()  // remembered: returns at once
    let woke = Mutex(false)
    let waiter = Task {
      await bell.wait()
      woke.withLock { $0 = true }
    }
    try await Task.sleep(for: .milliseconds(50))
    #expect(!woke.withLock { $0 })  // the ring was used up: this wait blocks
    bell.ring()
    await waiter.value
    #expect(woke.withLock { $0 })
  }

  @Test func stopSignalStaysSetAndCancellationWakes() async {
    let stop = StopSignal()
    let blocked = Task { await stop.wait() }
    blocked.cancel()
    await blocked.value  // cancellation ends the wait
    stop.stop()
    await stop.wait()
    await stop.wait()  // still set
    #expect(stop.isStopped)
  }
}
