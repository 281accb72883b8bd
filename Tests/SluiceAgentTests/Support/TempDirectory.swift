import Foundation

/// A fresh directory under the system temp dir, removed when the test is done with it.
final class TempDirectory: Sendable {
  let url: URL
  var path: String { url.path }

  init(_ name: String = #function) throws {
    let safe = name.filter { $0.isLetter || $0.isNumber }
    url = FileManager.default.temporaryDirectory
      .appendingPathComponent("sluice-test-\(safe)-\(UUID().uuidString.prefix(8))")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
  }

  func file(_ relative: String) -> URL { url.appendingPathComponent(relative) }

  /// Appends text to a file, creating it (and its directory) if needed.
  func append(_ text: String, to relative: String) throws {
    let u = file(relative)
    try FileManager.default.createDirectory(at: u.deletingLastPathComponent(), withIntermediateDirectories: true)
    if !FileManager.default.fileExists(atPath: u.path) {
      FileManager.default.createFile(atPath: u.path, contents: nil)
    }
    let h = try FileHandle(forWritingTo: u)
    defer { try? h.close() }
    try h.seekToEnd()
    try h.write(contentsOf: Data(text.utf8))
  }

  deinit {
    if ProcessInfo.processInfo.environment["SLUICE_KEEP_TEST_DIRS"] == nil {
      try? FileManager.default.removeItem(at: url)
    }
  }
}
