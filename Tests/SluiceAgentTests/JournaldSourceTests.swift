import Foundation
import SluiceCore
import Testing

@testable import SluiceAgent

/// The journald source on real journal files (export format → `systemd-journal-remote`),
/// checked against `journalctl` on the same files.
@Suite("journald source", .timeLimit(.minutes(3)))
struct JournaldSourceTests {
  static let t0: UInt64 = 1_764_000_000_000_000

  /// `count` entries, a mix of units, identifiers and priorities, one second apart.
  static func entries(_ range: Range<Int>) -> [JournalEntry] {
    range.map { i in
      var e = JournalEntry(
        seq: i, time: t0 + UInt64(i) * 1_000_000, message: i % 10 == 3 ? "line one\nline two \u{00e9}" : nil,
        priority: i % 8, unit: i % 3 == 0 ? "db.service" : "app.service", identifier: i % 3 == 0 ? "db" : "app")
      if i % 50 == 7 { e.set("_TRANSPORT", Array("kernel".utf8)) }
      return e
    }
  }

  @Test func readsTheSameEntriesInTheSameOrderWithTheSameValuesAsJournalctl() async throws {
    let dir = try TempDirectory()
    try JournalFiles.write(Self.entries(0..<300), to: dir.path + "/a.journal")
    let expected = try JournalFiles.journalctl(dir.path)
    #expect(expected.count == 300)
    let run = try await JournaldRun.run(
      "path: \(dir.path), read_from: beginning, fields: [_SYSTEMD_UNIT, SYSLOG_IDENTIFIER, _HOSTNAME, _PID, _COMM, _BOOT_ID, _TRANSPORT, SEQ]"
    ) { $0.records.count >= 300 }
    let records = run.records
    try #require(records.count == 300)
    let keys = [
      ("_SYSTEMD_UNIT", "journald.unit"), ("SYSLOG_IDENTIFIER", "journald.identifier"),
      ("_HOSTNAME", "journald.hostname"), ("_PID", "journald.pid"), ("_COMM", "journald.comm"),
      ("_BOOT_ID", "journald.boot_id"), ("_TRANSPORT", "journald.transport"), ("SEQ", "journald.seq"),
    ]
    for (got, want) in zip(records, expected) {
      #expect(got["message"] as? String == want["MESSAGE"] as? String)
      for (field, key) in keys { #expect(got[key] as? String == want[field] as? String, "\(key)") }
      let usec = try #require((want["__REALTIME_TIMESTAMP"] as? String).flatMap { Int64($0) })
      #expect(got["timestamp"] as? String == RFC3339.string(nanoseconds: usec * 1000))
      let priority = try #require((want["PRIORITY"] as? String).flatMap { Int($0) })
      #expect(got["level"] as? String == JournalPriority.names[priority])
    }
    #expect(run.metric("sluice_journald_entries_read_total") == 300)
    #expect(run.metric("sluice_source_bytes_total") > 0)
    // The last chunk's cursor is the last entry's.
    #expect(run.lastCursor == expected.last?["__CURSOR"] as? String)
  }

  @Test(arguments: [
    ("priority: warning", ["-p", "warning"]),
    ("priority: 2", ["-p", "2"]),
    ("units: [db]", ["_SYSTEMD_UNIT=db.service"]),
    ("identifiers: [app]", ["SYSLOG_IDENTIFIER=app"]),
    ("matches: [_TRANSPORT=kernel]", ["_TRANSPORT=kernel"]),
    ("matches: [_TRANSPORT=kernel, PRIORITY=7]", ["_TRANSPORT=kernel", "PRIORITY=7"]),
    ("{units: [db], priority: err}", ["_SYSTEMD_UNIT=db.service", "-p", "err"]),
  ])
  func filtersMatchJournalctlAndTheCursorStillReachesTheEnd(setting: String, journalctl: [String]) async throws {
    let dir = try TempDirectory()
    try JournalFiles.write(Self.entries(0..<400), to: dir.path + "/a.journal")
    let all = try JournalFiles.journalctl(dir.path)
    let expected = try JournalFiles.journalctl(dir.path, journalctl).compactMap {
      ($0["SEQ"] as? String).flatMap(Int.init)
    }
    #expect(!expected.isEmpty && expected.count < 400)
    let flat = setting.hasPrefix("{") ? String(setting.dropFirst().dropLast()) : setting
    let run = try await JournaldRun.run("path: \(dir.path), read_from: beginning, fields: [SEQ], \(flat)") {
      $0.lastCursor == all.last?["__CURSOR"] as? String
    }
    #expect(run.seqs == expected)
    // Entries the filter drops still move the position: it ends at the journal's last entry,
    // so a restart does not look at them again.
    #expect(run.lastCursor == all.last?["__CURSOR"] as? String)
    #expect(run.metric("sluice_journald_entries_skipped_total") == Double(400 - expected.count))
  }

  @Test func aJSONMessageBecomesTheRecordAndKeepsItsOwnTimeAndLevel() async throws {
    let dir = try TempDirectory()
    var entries = [
      JournalEntry(
        seq: 0, time: Self.t0, message: #"{"timestamp":"2025-01-01T00:00:00Z","level":"error","msg":"boom","n":3}"#,
        priority: 6),
      JournalEntry(seq: 1, time: Self.t0 + 1, message: #"  {"user":{"id":7}}  "#, priority: 4),
      JournalEntry(seq: 2, time: Self.t0 + 2, message: #"{"broken":"#, priority: 6),
      JournalEntry(seq: 3, time: Self.t0 + 3, message: "{}", priority: 6),
    ]
    entries[0].fields.removeAll { $0.0 == "_PID" }
    try JournalFiles.write(entries, to: dir.path + "/a.journal")
    let run = try await JournaldRun.run("path: \(dir.path), read_from: beginning") { $0.records.count >= 4 }
    let r = run.records
    try #require(r.count == 4)
    #expect(r[0]["timestamp"] as? String == "2025-01-01T00:00:00Z")
    #expect(r[0]["level"] as? String == "error")
    #expect(r[0]["msg"] as? String == "boom")
    #expect(r[0]["n"] as? Int == 3)
    #expect(r[0]["message"] == nil)
    #expect(r[0]["journald.unit"] as? String == "app.service")
    #expect(r[0]["journald.pid"] == nil)
    #expect((r[1]["user"] as? [String: Any])?["id"] as? Int == 7)
    #expect(r[1]["level"] as? String == "warning")
    #expect(r[1]["timestamp"] as? String == RFC3339.string(nanoseconds: Int64(Self.t0 + 1) * 1000))
    // Not an object: kept as the message text.
    #expect(r[2]["message"] as? String == #"{"broken":"#)
    #expect(r[3]["level"] as? String == "info")
    #expect(r[3]["journald.identifier"] as? String == "app")
  }

  @Test func oversizedAndBinaryFieldsAreCutMarkedAndCounted() async throws {
    let dir = try TempDirectory()
    var big = JournalEntry(seq: 0, time: Self.t0, message: String(repeating: "é", count: 600_000))  // 1.2 MB
    big.set("CODE_FILE", Array("main.swift".utf8))
    var binary = JournalEntry(seq: 1, time: Self.t0 + 1, message: "has a binary field")
    binary.set("BLOB", [0x00, 0xFF, 0xFE, 0x41, 0x0A, 0xC3])
    let small = JournalEntry(seq: 2, time: Self.t0 + 2, message: String(repeating: "m", count: 1 << 20))
    try JournalFiles.write([big, binary, small], to: dir.path + "/a.journal")
    let run = try await JournaldRun.run(
      "path: \(dir.path), read_from: beginning, fields: [BLOB, CODE_FILE, SEQ]"
    ) { $0.records.count >= 3 }
    let r = run.records
    try #require(r.count == 3)
    // Cut at 1 MiB on a character boundary: 524,288 two-byte characters.
    let message = try #require(r[0]["message"] as? String)
    #expect(message.utf8.count == 1 << 20)
    #expect(message.allSatisfy { $0 == "é" })
    #expect(r[0]["journald.code_file"] as? String == "main.swift")
    // Binary bytes become U+FFFD (valid JSON, valid UTF-8); the newline is escaped.
    #expect(r[1]["journald.blob"] as? String == "\u{0}\u{FFFD}\u{FFFD}A\n\u{FFFD}")
    // Exactly 1 MiB is not over the limit.
    #expect((r[2]["message"] as? String)?.utf8.count == 1 << 20)
    let marked = run.chunks.flatMap { c in c.truncatedLines.map { k in k } }
    #expect(marked == [0, 1] || run.chunks.count > 1)
    #expect(run.metric("sluice_journald_fields_truncated_total", #"reason="too_long""#) == 1)
    #expect(run.metric("sluice_journald_fields_truncated_total", #"reason="binary""#) == 1)
  }

  @Test func resumesRightAfterTheSavedCursor() async throws {
    let dir = try TempDirectory()
    try JournalFiles.write(Self.entries(0..<100), to: dir.path + "/a.journal")
    let all = try JournalFiles.journalctl(dir.path)
    let cursor = try #require(all[41]["__CURSOR"] as? String)
    let run = try await JournaldRun.run("path: \(dir.path), read_from: beginning, fields: [SEQ]", resume: cursor) {
      $0.seqs.last == 99
    }
    #expect(run.seqs == Array(42..<100))
    #expect(run.metric("sluice_source_cursor_invalid_total") == 0)
  }

  @Test func aGarbageCursorFallsBackToReadFromWithAWarningAndACount() async throws {
    let dir = try TempDirectory()
    try JournalFiles.write(Self.entries(0..<20), to: dir.path + "/a.journal")
    let run = try await JournaldRun.run(
      "path: \(dir.path), read_from: beginning, fields: [SEQ]", resume: "not a cursor at all"
    ) { $0.seqs.last == 19 }
    #expect(run.seqs == Array(0..<20))
    #expect(run.metric("sluice_source_cursor_invalid_total") == 1)
  }

  @Test func aCursorWhoseEntryIsGoneResumesAtTheNextEntryAfterItsTime() async throws {
    let dir = try TempDirectory()
    // Another machine's journal (its own sequence-number id and boot), entry at 10.5 s.
    let other = try TempDirectory()
    var foreign = JournalEntry(seq: 999, time: Self.t0 + 10_500_000)
    foreign.set("_BOOT_ID", Array("0123456789abcdef0123456789abcdef".utf8))
    try JournalFiles.write([foreign], to: other.path + "/other.journal")
    let cursor = try #require(try JournalFiles.journalctl(other.path).first?["__CURSOR"] as? String)
    try JournalFiles.write(Self.entries(0..<20), to: dir.path + "/a.journal")
    let run = try await JournaldRun.run(
      "path: \(dir.path), read_from: beginning, fields: [SEQ]", resume: cursor
    ) { $0.seqs.last == 19 }
    // Not a silent full re-read, not nothing: from the first entry after the cursor's time.
    #expect(run.seqs == Array(11..<20))
    #expect(run.metric("sluice_source_cursor_invalid_total") == 1)
  }

  @Test func readFromEndSkipsWhatIsThereButSavesAPositionAtOnce() async throws {
    let dir = try TempDirectory()
    try JournalFiles.write(Self.entries(0..<50), to: dir.path + "/a.journal")
    let last = try JournalFiles.journalctl(dir.path).last?["__CURSOR"] as? String
    let run = try await JournaldRun.run("path: \(dir.path), fields: [SEQ]") { $0.lastCursor != nil }
    #expect(run.seqs.isEmpty)
    #expect(run.lastCursor == last)
  }

  @Test func followsEntriesAppendedInANewJournalFileAndAVacuumedOldOne() async throws {
    let dir = try TempDirectory()
    try JournalFiles.write(Self.entries(0..<100), to: dir.path + "/a.journal")
    let path = dir.path
    let run = try await JournaldRun.run(
      "path: \(dir.path), read_from: beginning, fields: [SEQ]",
      whileRunning: {
        // Once the first file is read (the run below waits for it), rotate: a new file
        // appears and the old one is deleted, as journald's rotation and vacuum do.
        while !FileManager.default.fileExists(atPath: path + "/first-read") {
          try await Task.sleep(for: .milliseconds(5))
        }
        try JournalFiles.write(Self.entries(100..<200), to: path + "/b.journal")
        try FileManager.default.removeItem(atPath: path + "/a.journal")
        try JournalFiles.write(Self.entries(200..<300), to: path + "/c.journal")
      }
    ) { run in
      if run.seqs.last == 99 { FileManager.default.createFile(atPath: path + "/first-read", contents: nil) }
      return run.seqs.last == 299
    }
    #expect(run.seqs == Array(0..<300))
  }

  @Test func aBlockedPipelinePausesTheReader() async throws {
    let dir = try TempDirectory()
    try JournalFiles.write(Self.entries(0..<60_000), to: dir.path + "/a.journal")
    // Take one chunk, then hold the pipeline still for a while. In memory then: the chunk
    // taken, one waiting in the channel's send, two in the handoff and one the reader holds
    // while it waits for room — five chunks of 60, and the reader must stop there.
    var readWhileBlocked = 0.0
    let run = try await JournaldRun.run("path: \(dir.path), read_from: beginning, fields: [SEQ]") { run in
      guard run.chunks.count == 1 else { return false }
      usleep(500_000)
      readWhileBlocked = run.metric("sluice_journald_entries_read_total")
      return true
    }
    #expect(readWhileBlocked > 0)
    #expect(
      readWhileBlocked <= Double(5 * JournalReader.chunkRecords), "read \(readWhileBlocked) entries while blocked")
    #expect(run.seqs.first == 0)
  }
}

/// Multiline over journal MESSAGEs: a stack trace a unit logged entry by entry is joined,
/// per unit, and the cursor never passes an event still being joined.
@Suite("journald multiline", .timeLimit(.minutes(2)))
struct JournaldMultilineTests {
  static func journal(_ dir: TempDirectory) throws -> [[String: Any]] {
    let t0 = JournaldSourceTests.t0
    var entries: [JournalEntry] = []
    func add(_ unit: String, _ message: String) {
      let seq = entries.count
      entries.append(
        JournalEntry(
          seq: seq, time: t0 + UInt64(seq) * 1000, message: message, priority: 3, unit: "\(unit).service",
          identifier: unit))
    }
    add("app", "request failed")
    add("app", "Exception in thread \"main\" java.lang.IllegalStateException: boom")
    add("db", "checkpoint complete")
    add("app", "\tat com.example.Service.run(Service.java:42)")
    add("db", "vacuum done")
    add("app", "\tat com.example.Main.main(Main.java:7)")
    add("app", "next request ok")
    // The last event of app is a trace that nothing follows.
    add("app", "java.io.IOException: disk")
    add("app", "\tat com.example.Disk.write(Disk.java:9)")
    try JournalFiles.write(entries, to: dir.path + "/a.journal")
    return try JournalFiles.journalctl(dir.path)
  }

  @Test func tracesAreJoinedPerUnitAndTheCursorWaitsForThem() async throws {
    let dir = try TempDirectory()
    let all = try Self.journal(dir)
    var positionWhilePending: String?
    let run = try await JournaldRun.run(
      "path: \(dir.path), read_from: beginning, fields: [SEQ, _SYSTEMD_UNIT], multiline: {preset: java, timeout: 30s}"
    ) { run in
      // Everything is read; db's "vacuum done" and app's last trace are still open (nothing
      // of their unit followed, and the timeout is long).
      if run.records.count == 4, positionWhilePending == nil {
        positionWhilePending = run.lastCursor
        return true
      }
      return false
    }
    let records = run.records
    #expect(
      records.map { $0["message"] as? String ?? "" } == [
        "request failed", "checkpoint complete",
        "Exception in thread \"main\" java.lang.IllegalStateException: boom\n\tat com.example.Service.run(Service.java:42)\n\tat com.example.Main.main(Main.java:7)",
        "next request ok",
        // Completed at stop, oldest first.
        "vacuum done", "java.io.IOException: disk\n\tat com.example.Disk.write(Disk.java:9)",
      ])
    let trace = try #require(records.first { ($0["message"] as? String)?.hasPrefix("Exception") == true })
    // The joined event is the first entry's: its SEQ and time.
    #expect(trace["journald.seq"] as? String == "1")
    #expect(trace["journald.unit"] as? String == "app.service")
    // While they were open the position stayed on the entry before the earliest (SEQ 3,
    // before db's "vacuum done")...
    #expect(positionWhilePending == all[3]["__CURSOR"] as? String)
    // ...and the stop completed it and moved the position to the end.
    #expect(run.lastCursor == all.last?["__CURSOR"] as? String)
  }

  @Test func anIdleUnitsEventCompletesAfterTheTimeout() async throws {
    let dir = try TempDirectory()
    let all = try Self.journal(dir)
    let run = try await JournaldRun.run(
      "path: \(dir.path), read_from: beginning, fields: [SEQ], multiline: {preset: java, timeout: 100ms}"
    ) { $0.records.count == 6 }
    #expect(
      run.records.last?["message"] as? String == "java.io.IOException: disk\n\tat com.example.Disk.write(Disk.java:9)")
    #expect(run.lastCursor == all.last?["__CURSOR"] as? String)
  }
}
