import Foundation
import Logging
import SluiceCore
import Testing

@testable import SluiceLog

struct SluiceLogHandlerTests {
  struct Declined: Error, CustomStringConvertible {
    var description: String { "card \"declined\"\nretry later" }
  }

  /// Logs through a handler writing to a temporary file and returns the lines written.
  func capture(_ body: (inout Logger) -> Void) throws -> [String] {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("sluicelog-\(UUID().uuidString).log").path
    defer { try? FileManager.default.removeItem(atPath: path) }
    let output = try LogOutput.file(path)
    var logger = Logger(label: "test.logger") { label in
      SluiceLogHandler(label: label, service: "svc", output: output, metadataProvider: nil)
    }
    logger.logLevel = .trace
    body(&logger)
    let text = try String(contentsOfFile: path, encoding: .utf8)
    return text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
  }

  @Test func oneJSONObjectPerLineWithStableKeyOrderAndTypedValues() throws {
    let lines = try capture { logger in
      logger[metadataKey: "region"] = "eu-west-1"
      logger.info(
        "line one\nline \"two\"\u{0001}",
        metadata: [
          "count": .stringConvertible(42), "ratio": .stringConvertible(0.25), "ok": .stringConvertible(true),
          "nested": ["a": .stringConvertible(1), "b": ["x", "y"]], "text": "plain",
          "nan": .stringConvertible(Double.nan),
        ])
      logger.error("failed", error: Declined())
    }
    #expect(lines.count == 2)
    let first = try JSONValue.parse(lines[0])
    guard case .object(let members) = first else {
      Issue.record("not an object")
      return
    }
    #expect(
      members.map(\.key) == [
        "timestamp", "level", "message", "logger", "service", "region", "count", "nan", "nested", "ok", "ratio", "text",
      ])
    #expect(first["level"] == "info")
    #expect(first["message"] == "line one\nline \"two\"\u{0001}")
    #expect(first["count"] == .int(42))
    #expect(first["ratio"] == .double(0.25))
    #expect(first["ok"] == .bool(true))
    #expect(first["nan"] == "NaN")
    #expect(first["nested"] == ["a": 1, "b": ["x", "y"]])
    #expect(first["region"] == "eu-west-1")
    let ts = try #require(first["timestamp"]?.stringValue)
    #expect(ts.count == "2026-11-23T10:00:00.123456Z".count && ts.hasSuffix("Z"))

    let second = try JSONValue.parse(lines[1])
    #expect(second["level"] == "error")
    #expect(second["error.message"] == "card \"declined\"\nretry later")
    #expect(second["error.type"]?.stringValue?.hasSuffix("Declined") == true)
  }

  @Test func concurrentWritersNeverInterleaveLines() async throws {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("sluicelog-\(UUID().uuidString).log").path
    defer { try? FileManager.default.removeItem(atPath: path) }
    let output = try LogOutput.file(path)
    let logger = Logger(label: "c") { SluiceLogHandler(label: $0, output: output, metadataProvider: nil) }
    await withTaskGroup(of: Void.self) { group in
      for t in 0..<8 {
        group.addTask {
          for i in 0..<500 {
            logger.info("task \(t) line \(i) \(String(repeating: "x", count: 300))")
          }
        }
      }
    }
    let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
    #expect(lines.count == 4000)
    for line in lines { #expect((try? JSONValue.parse(String(line))) != nil) }
  }
}
