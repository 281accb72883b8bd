import Foundation
import Synchronization
import Testing

@testable import SluiceAgent

/// Read lag: `sluice_source_lag_bytes` from the file tailer's own bookkeeping, and
/// `sluice_source_lag_seconds` from the journal entries a journald source reads while behind.
@Suite(.timeLimit(.minutes(2)))
struct SourceLagTests {
  @Test func aFileSourceLagsByTheBytesItHasNotRead() throws {
    let dir = try TempDirectory()
    try dir.append(String(repeating: "0123456789abcde\n", count: 1000), to: "logs/a.log")  // 16,000 bytes
    try dir.append(String(repeating: "x\n", count: 500), to: "logs/b.log")  // 1,000 bytes
    let t = try makeTailer(dir, #"include: ["\#(dir.path)/logs/*.log"], read_from: beginning"#)
    t.discover()
    #expect(t.lagBytes == 0, "nothing polled yet")
    _ = t.poll(budget: 4096)  // a.log first: 4,096 bytes of it; b.log not reached
    #expect(t.lagBytes == 16_000 - 4096, "b.log has not been looked at yet, so it adds nothing")
    _ = t.poll()
    #expect(t.lagBytes == 0)
    try dir.append("late line\n", to: "logs/b.log")  // 10 bytes
    _ = t.poll(budget: 4)
    #expect(t.lagBytes == 6)
    _ = t.poll()
    #expect(t.lagBytes == 0)
  }

  @Test func aJournaldSourceLagsByTheAgeOfWhatItReadsWhileBehind() async throws {
    let dir = try TempDirectory()
    let t0: UInt64 = 1_764_000_000_000_000  // 2025-11-24, in microseconds
    // About twelve chunks: the reader can be at most a few chunks (its handoff's) ahead of
    // the pipeline, so the first chunks arrive while it is still behind.
    let count = 12_000
    try JournalFiles.write(
      (0..<count).map { JournalEntry(seq: $0, time: t0 + UInt64($0) * 1000) }, to: dir.path + "/a.journal")
    let lags = Mutex<[Double]>([])
    let before = Date().timeIntervalSince1970
    let run = try await JournaldRun.run("path: \(dir.path), read_from: beginning") { run in
      lags.withLock { $0.append(run.metric("sluice_source_lag_seconds")) }
      return run.chunks.reduce(0) { $0 + $1.lineCount } >= count
    }
    let after = Date().timeIntervalSince1970
    #expect(run.records.count == count)
    let seen = lags.withLock { $0 }
    // While behind: the age of the last entry of each full chunk, read between `before` and
    // `after` (the entries span 12 s).
    let oldest = Double(t0) / 1e6
    let plausible = (before - oldest - 13)...(after - oldest + 1)
    #expect(seen.contains { plausible.contains($0) }, "lags seen: \(seen), expected within \(plausible)")
    // Caught up: 0.
    #expect(seen.last == 0)
    #expect(run.metric("sluice_source_lag_seconds") == 0)
  }
}
