import Foundation
import SluiceCore
import Testing

/// Transient failures are retried until delivered; a batch refused for good is written to the
/// dead-letter file with its status and reason, counted, and acknowledged so the source moves on.
@Suite(.timeLimit(.minutes(3)))
struct RetryAndDeadLetterTests {
  @Test func retriesTransientFailuresAndDeadLettersRejections() async throws {
    let dir = try TempDirectory()
    let receiver = try await TestReceiver.start { attempt, lines in
      switch attempt {
      case 0: return (503, [])
      case 1: return (429, [("Retry-After", "0")])
      case 2: return (500, [])
      default: return lines.contains { $0.contains("poison") } ? (400, []) : (200, [])
      }
    }
    defer { receiver.stop() }
    let yaml = """
      data_dir: \(dir.path)/data
      sources:
        - {name: app, type: file, include: ["\(dir.path)/logs/*.log"], read_from: beginning, poll_interval: 20ms}
      pipeline: [{type: parse}]
      sinks:
        - name: backend
          type: http
          url: "\(receiver.url)"
          batch: {max_events: 10, max_age: 100ms}
          retry: {initial_backoff: 20ms, max_backoff: 200ms}
      admin: {address: "127.0.0.1:0"}
      """
    try yaml.write(to: dir.file("agent.yaml"), atomically: true, encoding: .utf8)
    var text = ""
    for n in 0..<30 { text += #"{"seq":\#(n),"msg":"\#(n == 17 ? "poison" : "fine")"}"# + "\n" }
    try dir.append(text, to: "logs/app.log")

    let agent = try AgentProcess(config: dir.file("agent.yaml"))
    let port = try #require(await agent.adminPort())
    #expect(await receiver.waitForEvents(20, timeout: .seconds(60)))
    // The dead-letter write happens before the acknowledgement; wait for the counter.
    var deadLettered = 0.0
    for _ in 0..<200 {
      deadLettered = try await EndToEndTests.metric("sluice_events_dead_lettered_total", port: port) ?? 0
      if deadLettered > 0 { break }
      try await Task.sleep(for: .milliseconds(50))
    }
    #expect(await agent.terminate() == 0)

    let delivered = receiver.lines.map { try! JSONValue.parse($0)["seq"]! }
    let dlLines = try String(contentsOf: dir.file("data/dead-letter/backend.ndjson"), encoding: .utf8)
      .split(separator: "\n").map { try JSONValue.parse(String($0)) }
    for entry in dlLines {
      #expect(entry["status"] == 400)
      #expect(entry["sink"] == "backend")
      #expect(entry["reason"] == "HTTP 400")
      #expect(entry["response"]?.stringValue?.hasPrefix("status 400") == true)
    }
    let rejected = dlLines.compactMap { $0["event"]?["seq"] }
    #expect(rejected.contains(17))
    #expect(Double(rejected.count) == deadLettered)
    // Every event exactly once: delivered or dead-lettered.
    #expect(
      (delivered + rejected).compactMap { if case .int(let v) = $0 { v } else { nil } }.sorted() == Array(Int64(0)..<30)
    )
    #expect(receiver.attempts >= 3 + 3)
    let size = try FileManager.default.attributesOfItem(atPath: dir.file("logs/app.log").path)[.size] as! Int
    let checkpoints = try JSONValue.parse(Array(Data(contentsOf: dir.file("data/checkpoints.json"))))
    #expect(checkpoints["files"] == .array([checkpoints["files"]!.arrayFirst!]))
    #expect(
      checkpoints["files"]?.arrayFirst?["offset"] == .int(Int64(size)), "the source moved past the rejected batch")
  }
}

extension JSONValue {
  var arrayFirst: JSONValue? {
    if case .array(let items) = self { return items.first }
    return nil
  }
}
