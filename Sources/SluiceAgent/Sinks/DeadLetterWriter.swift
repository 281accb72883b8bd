import Foundation
import SluiceCore

/// Writes batches a sink refused for good to `data_dir/dead-letter/<sink>.ndjson`: one line
/// per event, `{"sink","status","reason","response","event"}`, so nothing is lost silently.
struct DeadLetterWriter {
  let url: URL
  let sink: String

  init(dataDir: URL, sink: String) {
    self.url = dataDir.appendingPathComponent("dead-letter").appendingPathComponent("\(sink).ndjson")
    self.sink = sink
  }

  func write(_ batch: Batch, status: Int, reason: String, response: String) throws {
    var out: [UInt8] = []
    var start = 0
    let payload = batch.payload
    while start < payload.count {
      let end = payload[start...].firstIndex(of: 0x0A) ?? payload.count
      out.append(contentsOf: Array("{\"sink\":".utf8))
      JSONWriter.appendString(sink, to: &out)
      out.append(contentsOf: Array(",\"status\":".utf8))
      JSONWriter.appendInt(Int64(status), to: &out)
      out.append(contentsOf: Array(",\"reason\":".utf8))
      JSONWriter.appendString(reason, to: &out)
      out.append(contentsOf: Array(",\"response\":".utf8))
      JSONWriter.appendString(response, to: &out)
      out.append(contentsOf: Array(",\"event\":".utf8))
      out.append(contentsOf: payload[start..<end])
      out.append(contentsOf: Array("}\n".utf8))
      start = end + 1
    }
    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    let fd = open(url.path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
    guard fd >= 0 else { throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path]) }
    defer { close(fd) }
    let ok = out.withUnsafeBytes { buf -> Bool in
      FileDescriptorIO.writeAll(fd, buf) == buf.count && fsync(fd) == 0
    }
    if !ok { throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path]) }
  }
}
