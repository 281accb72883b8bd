import Foundation
import Logging
import SluiceCore
import Testing

@testable import SluiceLog

/// A private temporary directory with one log file, a `LogOutput` writing to it and loggers
/// built on it. Everything is removed when the value goes away.
final class TestLog: @unchecked Sendable {
  let directory: String
  let path: String
  let output: LogOutput

  init(
    rotateAtBytes: Int = 0, keep: Int = 5, mode: LogOutput.Mode = .synchronous, fileName: String = "app.log"
  ) throws {
    directory =
      FileManager.default.temporaryDirectory
      .appendingPathComponent("sluicelog-tests-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    path = directory + "/" + fileName
    output = try LogOutput.file(path, rotateAtBytes: rotateAtBytes, keep: keep, mode: mode)
  }

  deinit { try? FileManager.default.removeItem(atPath: directory) }

  /// A configuration writing to this file (service `svc`), adjusted by `configure`.
  func configuration(
    _ configure: (inout SluiceLogHandler.Configuration) -> Void = { _ in }
  ) -> SluiceLogHandler.Configuration {
    var c = SluiceLogHandler.Configuration(service: "svc", output: output)
    configure(&c)
    return c
  }

  /// A logger at level `.trace` writing to this file.
  func logger(
    label: String = "test.logger", metadataProvider: Logger.MetadataProvider? = nil,
    _ configure: (inout SluiceLogHandler.Configuration) -> Void = { _ in }
  ) -> Logger {
    let config = configuration(configure)
    var logger = Logger(label: label) { label in
      SluiceLogHandler(label: label, configuration: config, metadataProvider: metadataProvider)
    }
    logger.logLevel = .trace
    return logger
  }

  /// The raw bytes of a file (the log file unless `path` is given).
  func bytes(_ path: String? = nil) throws -> [UInt8] {
    [UInt8](try Data(contentsOf: URL(fileURLWithPath: path ?? self.path)))
  }

  /// The lines of a file, checked to be valid UTF-8 and newline-terminated.
  func lines(_ path: String? = nil) throws -> [String] {
    try Self.splitLines(bytes(path))
  }

  /// Every line parsed with `JSONValue.parse`.
  func values(_ path: String? = nil) throws -> [JSONValue] {
    try lines(path).map { try JSONValue.parse($0) }
  }

  /// The only line written so far, parsed.
  func single() throws -> JSONValue {
    let all = try values()
    try #require(all.count == 1, "expected one line, found \(all.count)")
    return all[0]
  }

  static func splitLines(_ bytes: [UInt8]) throws -> [String] {
    if bytes.isEmpty { return [] }
    try #require(bytes.last == 0x0A, "file does not end with a newline")
    return try bytes.dropLast().split(separator: 0x0A, omittingEmptySubsequences: false).map { line in
      try #require(String(validating: line, as: UTF8.self), "line is not valid UTF-8")
    }
  }
}

/// The keys of an object, in document order.
func keys(_ value: JSONValue) -> [String] {
  guard case .object(let members) = value else { return [] }
  return members.map(\.key)
}

/// How many members of an object are named `key` (a JSON object may repeat a name).
func count(_ key: String, in value: JSONValue) -> Int {
  guard case .object(let members) = value else { return 0 }
  return members.filter { $0.key == key }.count
}

/// Non-overlapping occurrences of `needle` in `text`.
func occurrences(of needle: String, in text: String) -> Int {
  text.components(separatedBy: needle).count - 1
}

/// SplitMix64: a small, seeded, deterministic generator.
struct SplitMix64: RandomNumberGenerator {
  var state: UInt64
  init(seed: UInt64) { state = seed }
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}

/// Runs a Python 3 script (`python3 -c script args…`) and returns its exit status and its
/// standard output and standard error, merged.
func runPython(_ script: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
  let process = Process()
  process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
  process.arguments = ["python3", "-c", script] + arguments
  let pipe = Pipe()
  process.standardOutput = pipe
  process.standardError = pipe
  try process.run()
  // Read to the end before waiting, so the child can never block on a full pipe.
  let data = pipe.fileHandleForReading.readDataToEndOfFile()
  process.waitUntilExit()
  return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// A value behind a lock.
final class ThreadSafeBox<T>: @unchecked Sendable {
  private let lock = NSLock()
  private var _value: T
  init(_ value: T) { _value = value }
  var value: T { lock.withLock { _value } }
  func mutate<R>(_ body: (inout T) -> R) -> R { lock.withLock { body(&_value) } }
}
