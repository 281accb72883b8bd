import Foundation
import Logging
import SluiceCore
import Testing

@testable import SluiceLog

/// File outputs: rotation, the asynchronous queue, drops and flushing.
struct OutputTests {
  func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }

  func size(_ path: String) throws -> Int {
    try #require(FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
  }

  /// The `seq` metadata of every line of a file, each line checked to parse.
  static func sequence(_ log: TestLog, _ path: String) throws -> [Int64] {
    try log.values(path).map { v in
      guard case .int(let n) = try #require(v["seq"]) else { throw Failure("no seq in \(v.jsonText)") }
      return n
    }
  }

  struct Failure: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
  }

  @Test func rotationKeepsWholeLinesAndAtMostKeepFiles() throws {
    let log = try TestLog(rotateAtBytes: 2000, keep: 3)
    let logger = log.logger()
    let total = 300
    for i in 0..<total {
      logger.info("line \(i) \(String(repeating: "r", count: i % 40))", metadata: ["seq": .stringConvertible(i)])
    }
    let files = [log.path + ".3", log.path + ".2", log.path + ".1", log.path]
    for f in files { #expect(exists(f), "\(f) missing") }
    #expect(!exists(log.path + ".4"))
    #expect(!exists(log.path + ".0"))

    var all: [Int64] = []
    var firstLineLengths: [Int] = []
    for f in files {
      let bytes = try log.bytes(f)
      #expect(bytes.count <= 2000, "\(f) has \(bytes.count) bytes")
      let lines = try TestLog.splitLines(bytes)
      try #require(!lines.isEmpty)
      firstLineLengths.append(lines[0].utf8.count + 1)
      all += try Self.sequence(log, f)
    }
    // Oldest to newest, the kept lines are the last ones written, contiguous and in order.
    let last = Int64(total - 1)
    #expect(all == Array((last - Int64(all.count) + 1)...last))
    // Each rotated file was full: the next line would not have fitted.
    for k in 0..<3 {
      #expect(try size(files[k]) + firstLineLengths[k + 1] > 2000, "\(files[k]) rotated early")
    }
  }

  @Test func aLineLongerThanTheLimitIsWrittenWholeInItsOwnFile() throws {
    let log = try TestLog(rotateAtBytes: 1000, keep: 5)
    let logger = log.logger()
    logger.info("small 1", metadata: ["seq": .stringConvertible(0)])
    logger.info("\(String(repeating: "L", count: 3000))", metadata: ["seq": .stringConvertible(1)])
    logger.info("small 2", metadata: ["seq": .stringConvertible(2)])
    #expect(try Self.sequence(log, log.path + ".2") == [0])
    #expect(try Self.sequence(log, log.path + ".1") == [1])
    #expect(try Self.sequence(log, log.path) == [2])
    #expect(try size(log.path + ".1") > 3000)
  }

  @Test func appendsToAnExistingFileAndCountsItsSize() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sluicelog-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let path = directory.appendingPathComponent("app.log").path
    let existing = String(repeating: "{\"old\":true}\n", count: 140)  // 1820 bytes
    try existing.write(toFile: path, atomically: false, encoding: .utf8)
    let output = try LogOutput.file(path, rotateAtBytes: 2000, keep: 2)
    let logger = Logger(label: "x") { SluiceLogHandler(label: $0, output: output, metadataProvider: nil) }
    logger.info("\(String(repeating: "n", count: 200))")
    #expect(try String(contentsOfFile: path + ".1", encoding: .utf8) == existing)
    let lines = try TestLog.splitLines([UInt8](try Data(contentsOf: URL(fileURLWithPath: path))))
    #expect(lines.count == 1)
    #expect(try JSONValue.parse(lines[0])["message"] == .string(String(repeating: "n", count: 200)))
  }

  @Test func openingAnImpossiblePathThrows() {
    #expect(throws: LogOutputError.self) {
      try LogOutput.file("/nonexistent-dir-\(UUID().uuidString)/app.log")
    }
  }

  @Test func asynchronousModeWritesEverythingByFlush() async throws {
    let log = try TestLog(mode: .asynchronous(capacityBytes: 1 << 20))
    let logger = log.logger()
    let tasks = 8
    let perTask = 500
    await withTaskGroup(of: Void.self) { group in
      for t in 0..<tasks {
        group.addTask {
          for i in 0..<perTask {
            logger.info("t\(t) i\(i)", metadata: ["seq": .stringConvertible(t * perTask + i)])
          }
        }
      }
    }
    log.output.flush()
    #expect(log.output.droppedLines == 0)
    let seqs = try Self.sequence(log, log.path)
    #expect(seqs.count == tasks * perTask)
    #expect(Set(seqs) == Set((0..<Int64(tasks * perTask))))
  }

  @Test func asynchronousModeDropsAndCountsWhenFull() async throws {
    let capacity = 300
    let log = try TestLog(mode: .asynchronous(capacityBytes: capacity))
    let logger = log.logger()
    let tasks = 4
    let perTask = 750
    await withTaskGroup(of: Void.self) { group in
      for t in 0..<tasks {
        group.addTask {
          for i in 0..<perTask {
            // Every tenth line is longer than the whole queue: it can never be queued.
            let padding = i % 10 == 0 ? String(repeating: "p", count: 400) : ""
            logger.info("t\(t) i\(i) \(padding)", metadata: ["seq": .stringConvertible(t * perTask + i)])
          }
        }
      }
    }
    log.output.flush()
    let attempted = tasks * perTask
    let dropped = log.output.droppedLines
    let seqs = try Self.sequence(log, log.path)
    #expect(dropped >= attempted / 10)
    #expect(seqs.count + dropped == attempted)
    #expect(Set(seqs).count == seqs.count, "a line was written twice")
    #expect(seqs.allSatisfy { ($0 % Int64(perTask)) % 10 != 0 }, "an oversized line was written")
  }

  @Test func asynchronousRotationNeverSplitsLines() throws {
    let log = try TestLog(rotateAtBytes: 4000, keep: 50, mode: .asynchronous(capacityBytes: 1 << 20))
    let logger = log.logger()
    let total = 2000
    for i in 0..<total {
      logger.info("rotating \(i)", metadata: ["seq": .stringConvertible(i)])
      if i % 100 == 99 { log.output.flush() }  // forces batch boundaries, so rotations happen
    }
    log.output.flush()
    var files = [log.path]
    var k = 1
    while exists("\(log.path).\(k)") {
      files.insert("\(log.path).\(k)", at: 0)
      k += 1
    }
    #expect(files.count > 1)
    var all: [Int64] = []
    for f in files { all += try Self.sequence(log, f) }
    let last = Int64(total - 1)
    #expect(all == Array((last - Int64(all.count) + 1)...last))
  }

  /// `SluiceLog.flush()` briefly holds every live output, so a test that checks what releasing
  /// an output does must not run at the same time as one that calls it.
  @Suite(.serialized) struct Registry {
    @Test func sluiceLogFlushFlushesAsynchronousOutputs() throws {
      let log = try TestLog(mode: .asynchronous(capacityBytes: 1 << 20))
      let logger = log.logger()
      for i in 0..<1000 { logger.info("line", metadata: ["seq": .stringConvertible(i)]) }
      SluiceLog.flush()
      #expect(try OutputTests.sequence(log, log.path) == Array(0..<1000))
    }

    @Test func releasingAnAsynchronousOutputFlushesIt() throws {
      let log = try TestLog()  // only for its directory
      let path = log.directory + "/released.log"
      weak var released: LogOutput?
      do {
        let output = try LogOutput.file(path, mode: .asynchronous(capacityBytes: 1 << 20))
        released = output
        let logger = Logger(label: "x") { SluiceLogHandler(label: $0, output: output, metadataProvider: nil) }
        for i in 0..<500 { logger.info("line", metadata: ["seq": .stringConvertible(i)]) }
      }
      #expect(released == nil, "the output (and its writer thread) is still alive")
      let seqs = try OutputTests.sequence(log, path)
      #expect(seqs == Array(0..<500), "\(seqs.count) lines")
    }
  }
}

/// The asynchronous writer wakes by itself: a line is written within the flush interval
/// without anyone calling `flush()`.
@Suite("Asynchronous flush interval")
struct AsynchronousFlushIntervalTests {
  @Test func aLineIsWrittenWithoutFlush() async throws {
    let log = try TestLog(mode: .asynchronous(capacityBytes: 1 << 20, flushIntervalMilliseconds: 20))
    let logger = log.logger()
    for round in 0..<3 {
      logger.info("round \(round)")
      // Wait for the file to show the line (bounded; the interval is 20 ms).
      let deadline = ContinuousClock.now + .seconds(10)
      while try log.lines().count < round + 1 && ContinuousClock.now < deadline {
        try await Task.sleep(for: .milliseconds(5))
      }
      #expect(try log.lines().count == round + 1, "line \(round) not written without flush")
    }
  }

  /// Many small lines from several threads, then one `flush()`: nothing is lost or split, and
  /// the writer was woken by batch size as well as by the interval.
  @Test func burstsAreWrittenWhole() async throws {
    let log = try TestLog(mode: .asynchronous(capacityBytes: 64 << 10, flushIntervalMilliseconds: 1000))
    let logger = log.logger()
    await withTaskGroup(of: Void.self) { group in
      for t in 0..<4 {
        group.addTask {
          for i in 0..<2000 {
            logger.info("x", metadata: ["seq": .stringConvertible(t * 2000 + i)])
            if i % 200 == 0 { await Task.yield() }
          }
        }
      }
    }
    log.output.flush()
    let seqs = try log.values().compactMap { v -> Int64? in
      if case .int(let n)? = v["seq"] { return n }
      return nil
    }
    #expect(seqs.count + log.output.droppedLines == 8000)
    #expect(Set(seqs).count == seqs.count)
  }
}
