import Foundation
import SluiceCore
import Synchronization

@testable import SluiceGrep

/// Runs the grep engine in-process and keeps what it wrote and reported.
struct GrepRun {
  var status: Int32
  var output: String
  var reports: [String]

  var lines: [String] { output.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init) }

  static func run(
    _ query: String?, _ paths: [String], _ configure: (inout GrepOptions) -> Void = { _ in }
  ) throws
    -> GrepRun
  {
    var options = GrepOptions()
    options.query = try query.map { try Query($0) }
    configure(&options)
    let out = Mutex<[UInt8]>([])
    let reports = Mutex<[String]>([])
    let engine = GrepEngine(
      options: options,
      write: { bytes in
        out.withLock { $0.append(contentsOf: bytes) }
        return true
      },
      report: { line in reports.withLock { $0.append(line) } })
    let status = engine.run(paths: paths)
    return GrepRun(
      status: status, output: String(decoding: out.withLock { $0 }, as: UTF8.self), reports: reports.withLock { $0 })
  }
}

/// A temporary directory, removed when the value is dropped.
final class ScratchDirectory {
  let url: URL
  var path: String { url.path }

  init() throws {
    url = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-grep-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
  }

  deinit { try? FileManager.default.removeItem(at: url) }

  /// Writes `text` to `name` and returns its path.
  @discardableResult
  func write(_ name: String, _ text: String) throws -> String {
    let file = url.appendingPathComponent(name).path
    try text.write(toFile: file, atomically: true, encoding: .utf8)
    return file
  }

  func file(_ name: String) -> String { url.appendingPathComponent(name).path }

  /// Runs a shell command in the directory; returns its standard output.
  @discardableResult
  func sh(_ command: String) throws -> String {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/bin/sh")
    p.arguments = ["-c", command]
    p.currentDirectoryURL = url
    let pipe = Pipe()
    p.standardOutput = pipe
    try p.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    guard p.terminationStatus == 0 else { throw ShellFailed(command: command, status: p.terminationStatus) }
    return String(decoding: data, as: UTF8.self)
  }

  struct ShellFailed: Error {
    var command: String
    var status: Int32
  }
}
