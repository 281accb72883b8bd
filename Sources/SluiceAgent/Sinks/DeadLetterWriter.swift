import Foundation
import SluiceCore

/// Writes events a sink refused for good to `data_dir/dead-letter/<sink>.ndjson`: one line
/// per event, `{"sink","status","reason","response","event"}`, so nothing is lost silently.
/// `response` holds at most the first KiB of the sink's answer.
struct DeadLetterWriter: Sendable {
  let url: URL
  let sink: String

  init(dataDir: URL, sink: String) {
    self.url = dataDir.appendingPathComponent("dead-letter").appendingPathComponent("\(sink).ndjson")
    self.sink = sink
  }

  /// Entries gathered before one write.
  struct Entries {
    fileprivate var bytes: [UInt8] = []
    private(set) var count = 0
    var isEmpty: Bool { count == 0 }

    /// Adds one event (its JSON line, without the newline).
    mutating func add(sink: String, event: ArraySlice<UInt8>, status: Int, reason: String, response: String) {
      bytes.append(contentsOf: Array("{\"sink\":".utf8))
      JSONWriter.appendString(sink, to: &bytes)
      bytes.append(contentsOf: Array(",\"status\":".utf8))
      JSONWriter.appendInt(Int64(status), to: &bytes)
      bytes.append(contentsOf: Array(",\"reason\":".utf8))
      JSONWriter.appendString(reason, to: &bytes)
      bytes.append(contentsOf: Array(",\"response\":".utf8))
      JSONWriter.appendString(String(decoding: response.utf8.prefix(1024), as: UTF8.self), to: &bytes)
      bytes.append(contentsOf: Array(",\"event\":".utf8))
      bytes.append(contentsOf: event)
      bytes.append(contentsOf: Array("}\n".utf8))
      count += 1
    }
  }

  /// Entries for every event of an NDJSON payload, all with the same status and reason.
  func entries(payload: [UInt8], status: Int, reason: String, response: String) -> Entries {
    var e = Entries()
    for line in NDJSONLines.ranges(in: payload) {
      e.add(sink: sink, event: payload[line], status: status, reason: reason, response: response)
    }
    return e
  }

  /// Appends and fsyncs the entries.
  func write(_ entries: Entries) throws {
    guard !entries.isEmpty else { return }
    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    let fd = open(url.path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
    guard fd >= 0 else { throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path]) }
    defer { close(fd) }
    let ok = entries.bytes.withUnsafeBytes { buf -> Bool in
      FileDescriptorIO.writeAll(fd, buf) == buf.count && fsync(fd) == 0
    }
    if !ok { throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path]) }
  }
}
