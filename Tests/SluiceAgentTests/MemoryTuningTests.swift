import Foundation
import Testing

/// The agent's process-memory settings (`MemoryTuning`), seen from outside: what it logs it
/// set, that the environment overrides each part, and that the agent still runs and ships
/// after its code pages were dropped (a dropped RELRO page would crash it at once).
@Suite struct MemoryTuningTests {
  /// An agent configuration: `logs/*.log` in `dir` → parse → redact → a file sink at `output`.
  private static func writeConfig(in dir: TempDirectory, output out: URL) throws -> URL {
    let config = dir.file("agent.yaml")
    try """
    data_dir: \(dir.path)/data
    sources:
      - {name: app, type: file, include: ["\(dir.path)/logs/*.log"], read_from: beginning, poll_interval: 50ms}
    pipeline: [{type: parse}, {type: redact}]
    sinks:
      - {name: out, type: file, path: \(out.path), batch: {max_events: 500, max_age: 50ms}}
    admin: {enabled: false}
    """.write(to: config, atomically: true, encoding: .utf8)
    return config
  }

  /// Runs the agent at debug level on 2,000 lines into a file sink; returns its settings
  /// line and the lines shipped.
  private func run(environment: [String: String]) async throws -> (settings: String, shipped: Int) {
    let dir = try TempDirectory()
    let lines = (0..<2000).map { #"{"level":"info","seq":\#($0),"message":"user bob@example.com logged in"}"# }
    try dir.append(lines.joined(separator: "\n") + "\n", to: "logs/app.log")
    let out = dir.file("out.ndjson")
    let config = try Self.writeConfig(in: dir, output: out)
    let agent = try AgentProcess(config: config, extraArguments: ["--log-level", "debug"], environment: environment)
    func shipped() -> Int {
      ((try? String(contentsOf: out, encoding: .utf8)) ?? "").split(separator: "\n").count
    }
    let done = try await eventually(timeout: .seconds(60)) { shipped() >= lines.count }
    let status = await agent.terminate()
    #expect(done)
    #expect(status == 0)
    let settings = agent.logLines.first { $0.contains("memory tuned") } ?? ""
    let text = (try? String(contentsOf: out, encoding: .utf8)) ?? ""
    #expect(!text.contains("bob@example.com"))
    return (settings, shipped())
  }

  @Test func theAgentTunesMallocAndItsCodePagesAndStillShipsEverything() async throws {
    let (settings, shipped) = try await run(environment: [:])
    #expect(shipped == 2000)
    for part in ["mmap_threshold=262144", "trim_threshold=4194304", "arena_max=2", "code_pages_on_demand="] {
      #expect(settings.contains(part), "\(part) missing from: \(settings)")
    }
  }

  @Test func theAgentDropsStartUpCodePagesAndKeepsShipping() async throws {
    // Lines written after the start-up code pages were dropped still arrive: the code the
    // pipeline runs comes back at its next use.
    let dir = try TempDirectory()
    try dir.append(#"{"level":"info","seq":0,"message":"before"}"# + "\n", to: "logs/app.log")
    let out = dir.file("out.ndjson")
    let config = try Self.writeConfig(in: dir, output: out)
    let agent = try AgentProcess(config: config, extraArguments: ["--log-level", "debug"])
    let dropped = try await eventually(timeout: .seconds(30)) {
      agent.logLines.contains { $0.contains("start-up code pages dropped") }
    }
    #expect(dropped, "no 'start-up code pages dropped' line in: \(agent.logLines)")
    let lines = (1...1000).map { #"{"level":"info","seq":\#($0),"message":"mail carol@example.com"}"# }
    try dir.append(lines.joined(separator: "\n") + "\n", to: "logs/app.log")
    func shipped() -> String { (try? String(contentsOf: out, encoding: .utf8)) ?? "" }
    let done = try await eventually(timeout: .seconds(60)) { shipped().split(separator: "\n").count >= 1001 }
    let status = await agent.terminate()
    #expect(done)
    #expect(status == 0)
    #expect(!shipped().contains("carol@example.com"))
  }

  @Test func theEnvironmentOverridesEachPart() async throws {
    // An operator's MALLOC_ARENA_MAX wins; SLUICE_MEMORY_TUNING=malloc leaves the code pages.
    let (settings, shipped) = try await run(environment: [
      "MALLOC_ARENA_MAX": "4", "SLUICE_MEMORY_TUNING": "malloc",
    ])
    #expect(shipped == 2000)
    #expect(settings.contains("mmap_threshold=262144"))
    #expect(!settings.contains("arena_max"))
    #expect(!settings.contains("code_pages_on_demand"))

    let (none, shippedUntuned) = try await run(environment: ["SLUICE_MEMORY_TUNING": "off"])
    #expect(shippedUntuned == 2000)
    #expect(none.isEmpty, "nothing is tuned, so nothing is logged: \(none)")
  }
}
