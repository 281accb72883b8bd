import Foundation
import Testing

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

    var rounds: [(resumedAt: Int?, firstSeq: Int?)] = []
    for round in 0..<4 {
      let startSize = outputSize()
      let checkpoint = try checkpointOffset(dir.path + "/data")
      let agent = try AgentProcess(config: config)
      // Kill (rounds 0–2) once it has shipped 1,000 more lines and saved a checkpoint past
      // the one it started from; stop (round 3) once everything has arrived.
      let deadline = ContinuousClock.now + .seconds(60)
      while ContinuousClock.now < deadline {
        if round < 3, read().seqs(from: startSize).count >= 1000,
          let now = try checkpointOffset(dir.path + "/data"), now > (checkpoint ?? 0)
        {
          break
        }
        if round == 3 && Set(read().seqs()).count == total { break }
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
      let expected = r.resumedAt.map { at in offsets.firstIndex { $0 >= at } ?? total }
      #expect(
        r.firstSeq == expected,
        "round \(k): resumed at seq \(String(describing: r.firstSeq)), checkpoint says \(String(describing: expected))")
    }
  }
}
