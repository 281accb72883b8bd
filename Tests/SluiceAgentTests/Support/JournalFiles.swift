import AsyncAlgorithms
import Foundation
import Logging
import Prometheus
import Testing

@testable import SluiceAgent

/// One journal entry to write, its fields in order (values are bytes: they may be binary).
struct JournalEntry {
  var fields: [(String, [UInt8])]

  /// A typical entry: `SEQ` numbers it; `time` is microseconds (also the monotonic time).
  init(
    seq: Int, time: UInt64, message: String? = nil, priority: Int? = 6, unit: String? = "app.service",
    identifier: String? = "app", extra: [(String, String)] = []
  ) {
    fields = [
      ("__REALTIME_TIMESTAMP", Array("\(time)".utf8)), ("__MONOTONIC_TIMESTAMP", Array("\(time)".utf8)),
      ("_BOOT_ID", Array(JournalFiles.bootID.utf8)), ("_HOSTNAME", Array("node-1".utf8)),
      ("_TRANSPORT", Array("stdout".utf8)), ("_PID", Array("\(4000 + seq % 7)".utf8)),
      ("_COMM", Array("app".utf8)), ("SEQ", Array("\(seq)".utf8)),
    ]
    if let unit { fields.append(("_SYSTEMD_UNIT", Array(unit.utf8))) }
    if let identifier { fields.append(("SYSLOG_IDENTIFIER", Array(identifier.utf8))) }
    if let priority { fields.append(("PRIORITY", Array("\(priority)".utf8))) }
    fields.append(("MESSAGE", Array((message ?? "entry \(seq)").utf8)))
    for (k, v) in extra { fields.append((k, Array(v.utf8))) }
  }

  mutating func set(_ name: String, _ value: [UInt8]) {
    fields.removeAll { $0.0 == name }
    fields.append((name, value))
  }
}

/// Real journal files, made the way the issue asks: journal export format turned into a
/// `.journal` file by `systemd-journal-remote`, read back with `journalctl`.
enum JournalFiles {
  static let remote = "/lib/systemd/systemd-journal-remote"
  static let bootID = "5f3c1f0e8a2b4c6d9e7f1a2b3c4d5e6f"

  /// Writes `entries` as the journal file `path` (its name must end in `.journal`).
  static func write(_ entries: [JournalEntry], to path: String) throws {
    try #require(
      FileManager.default.isExecutableFile(atPath: remote),
      "systemd-journal-remote is missing (scripts/test installs it)")
    var export: [UInt8] = []
    for e in entries {
      for (name, value) in e.fields {
        let text = !value.contains(0x0A) && String(validating: value, as: UTF8.self) != nil
        export.append(contentsOf: Array(name.utf8))
        if text {
          export.append(UInt8(ascii: "="))
          export.append(contentsOf: value)
        } else {
          // The binary form: name, newline, little-endian 64-bit length, the bytes.
          export.append(0x0A)
          withUnsafeBytes(of: UInt64(value.count).littleEndian) { export.append(contentsOf: $0) }
          export.append(contentsOf: value)
        }
        export.append(0x0A)
      }
      export.append(0x0A)
    }
    let exportPath = path + ".export"
    try Data(export).write(to: URL(fileURLWithPath: exportPath))
    defer { try? FileManager.default.removeItem(atPath: exportPath) }
    let (status, _, err) = try run(remote, ["-o", path, exportPath])
    try #require(status == 0, "systemd-journal-remote failed: \(err)")
  }

  /// `journalctl --directory dir -o json` (plus `arguments`), one object per entry.
  static func journalctl(_ dir: String, _ arguments: [String] = []) throws -> [[String: Any]] {
    let (status, out, err) = try run(
      "/usr/bin/journalctl", ["--directory", dir, "-o", "json", "--no-pager"] + arguments)
    try #require(status == 0 || out.isEmpty, "journalctl failed: \(err)")
    return try out.split(separator: "\n").map {
      try #require(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
    }
  }

  static func run(_ tool: String, _ arguments: [String]) throws -> (Int32, String, String) {
    try AgentProcess.run(tool: URL(fileURLWithPath: tool), arguments)
  }
}

/// A journald source run in-process, its chunks collected, until `done` says so (then it is
/// stopped and makes its last pass) or a deadline passes.
struct JournaldRun {
  var chunks: [SourceChunk] = []
  var registry = PrometheusCollectorRegistry()
  /// Where the source reported its readiness and liveness.
  var health = AgentHealth()

  /// The records, parsed.
  var records: [[String: Any]] {
    var out: [[String: Any]] = []
    for c in chunks {
      c.forEachLine { line, _ in
        if let o = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] { out.append(o) }
      }
    }
    return out
  }

  /// `SEQ` of each record, in order.
  var seqs: [Int] { records.compactMap { ($0["journald.seq"] as? String).flatMap { Int($0) } } }

  /// The cursor of the last chunk.
  var lastCursor: String? {
    for c in chunks.reversed() { if case .cursor(let s) = c.position, !s.isEmpty { return s } }
    return nil
  }

  /// The sum of a metric's series.
  func metric(_ name: String, _ labelFilter: String = "") -> Double {
    var buffer: [UInt8] = []
    registry.emit(into: &buffer)
    var sum = 0.0
    for line in String(decoding: buffer, as: UTF8.self).split(separator: "\n")
    where (line.hasPrefix(name + " ") || line.hasPrefix(name + "{"))
      && (labelFilter.isEmpty || line.contains(labelFilter))
    {
      sum += line.split(separator: " ").last.flatMap { Double($0) } ?? 0
    }
    return sum
  }

  /// Runs `type: journald` with `settings` (flow-mapping entries after its name and type).
  static func run(
    _ settings: String, resume: String? = nil, timeout: Duration = .seconds(30),
    whileRunning: (@Sendable () async throws -> Void)? = nil,
    until done: @escaping (JournaldRun) -> Bool
  ) async throws -> JournaldRun {
    let config = try ConfigLoader.parse(
      yaml: """
        sources: [{name: journal, type: journald, \(settings)}]
        sinks: [{name: out, type: console}]
        """)
    let settings = try #require(config.sources[0].settings(as: JournaldSourceConfig.self))
    var result = JournaldRun()
    let metrics = AgentMetrics(registry: result.registry)
    let source = settings.makeSource(index: 0, metrics: metrics, health: result.health, logger: Logger(label: "test"))
    let channel = AsyncChannel<PipelineInput>()
    let stop = StopSignal()
    let resumeAt: [SourcePosition] = resume.map { [.cursor($0)] } ?? []
    let runner = Task {
      await source.run(resume: resumeAt, output: channel, stop: stop)
      channel.finish()
    }
    let deadline = Task {
      try await Task.sleep(for: timeout)
      stop.stop()
    }
    let side = Task { try await whileRunning?() }
    for await item in channel {
      guard case .chunk(let c) = item else { continue }
      result.chunks.append(c)
      if done(result) { stop.stop() }
    }
    deadline.cancel()
    try await side.value
    await runner.value
    return result
  }
}
