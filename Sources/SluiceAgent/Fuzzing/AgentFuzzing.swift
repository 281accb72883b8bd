import Foundation
import SluiceCore

/// Fuzz entry points of the agent (see ``CoreFuzzing``): each returns the property it found
/// broken, or nil.
public enum AgentFuzzing {
  /// The Docker json-file line parser: any line is a record or not, without trapping, and a
  /// record's text is valid UTF-8 (it came out of a JSON string).
  public static func docker(_ data: UnsafeRawBufferPointer) -> String? {
    var parser = DockerJSONLine()
    var content: [UInt8] = []
    var time: [UInt8] = []
    guard parser.parse(data, content: &content, time: &time) != nil else { return nil }
    if String(validating: content, as: UTF8.self) == nil { return "the decoded log text is not UTF-8" }
    return nil
  }

  /// The configuration reader: any text gives a configuration or a list of problems, each
  /// with a position inside the text.
  public static func config(_ data: UnsafeRawBufferPointer) -> String? {
    let text = String(decoding: data, as: UTF8.self)
    let result = ConfigLoader.read(yaml: text, environment: ["HOME": "/nonexistent"])
    // Lines as YAML counts them: a line break is LF, CRLF or a lone CR.
    var lines = 1
    var previous: UInt8 = 0
    for byte in text.utf8 {
      if byte == 0x0A && previous != 0x0D || byte == 0x0D { lines += 1 }
      previous = byte
    }
    for error in result.errors where (error.line ?? 1) > lines + 1 {
      return "problem at line \(error.line ?? 0) of a \(lines)-line text: \(error)"
    }
    if result.config == nil && result.errors.isEmpty { return "no configuration and no problem" }
    return nil
  }

  /// The disk buffer's recovery: any bytes as a segment file are scanned at start-up into
  /// whole records, with the rest cut off and counted, never trapping; and the framing
  /// decodes or refuses any header and acknowledgement file.
  public static func diskBuffer(_ data: UnsafeRawBufferPointer) -> String? {
    if let header = BufferFraming.decodeHeader(data), data.count - BufferFraming.headerSize >= header.payloadLength {
      let payload = data[BufferFraming.headerSize..<(BufferFraming.headerSize + header.payloadLength)]
      _ = BufferFraming.verify(header, payload: UnsafeRawBufferPointer(rebasing: payload))
    }
    _ = BufferFraming.decodeAck(data)

    let dir = bufferDirectory
    for name in (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? [] {
      unlink(dir.path + "/" + name)
    }
    guard FileManager.default.createFile(atPath: SegmentFile.path(dir.path, 1), contents: Data(data)) else {
      return nil
    }
    do {
      let buffer = try DiskBuffer(directory: dir, maxBytes: 64 << 20, segmentBytes: 1 << 20, policy: .block)
      defer { buffer.close(drain: false) }
      if buffer.bytesUsed > data.count { return "recovered \(buffer.bytesUsed) bytes from \(data.count)" }
      if buffer.pendingRecords > data.count / BufferFraming.headerSize {
        return "recovered \(buffer.pendingRecords) records from \(data.count) bytes"
      }
    } catch {
      return nil  // refusing the directory with an error is an answer too
    }
    return nil
  }

  /// A directory of its own for the buffer target, made once per process.
  nonisolated(unsafe) private static let bufferDirectory: URL = {
    let url = URL(fileURLWithPath: NSTemporaryDirectory())
      .appendingPathComponent("sluice-fuzz-buffer-\(getpid())")
    try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
  }()
}
