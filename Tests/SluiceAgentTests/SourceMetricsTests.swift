import Foundation
import Testing

@testable import SluiceAgent

/// The source-neutral count: every record a source hands over is counted once in
/// `sluice_source_events_total`, for a file source the same as its line count.
@Suite(.timeLimit(.minutes(2)))
struct SourceMetricsTests {
  @Test func sourceEventsCountEveryRecordOnce() async throws {
    let dir = try TempDirectory()
    let total = 250
    try dir.append((0..<total).map { #"{"seq":\#($0),"level":"info"}"# + "\n" }.joined(), to: "logs/app.log")
    // Blank lines are dropped by the file source before they become records.
    try dir.append("\n\n", to: "logs/app.log")
    let out = dir.file("out.ndjson").path
    let config = dir.file("agent.yaml")
    try """
    data_dir: \(dir.path)/data
    sources: [{name: app, type: file, include: ["\(dir.path)/logs/*.log"], read_from: beginning, poll_interval: 20ms}]
    pipeline: [{type: parse}]
    sinks:
      - {name: out, type: file, path: \(out), compression: none, batch: {max_events: 100, max_age: 20ms}}
    admin: {address: "127.0.0.1:0"}
    """.write(to: config, atomically: true, encoding: .utf8)
    let agent = try AgentProcess(config: config)
    let admin = try #require(await agent.adminPort())
    let events = try await DeliveryGuaranteeTests.waitForMetric("sluice_source_events_total", port: admin) {
      $0 >= Double(total)
    }
    let lines = try await EndToEndTests.metric("sluice_source_lines_total", port: admin)
    #expect(await agent.terminate() == 0)
    #expect(events == Double(total))
    #expect(lines == Double(total))
  }
}
