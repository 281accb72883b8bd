/// Identifies a file independently of its name: device and inode.
public struct FileIdentity: Sendable, Hashable, Codable, CustomStringConvertible {
  public var device: UInt64
  public var inode: UInt64

  public init(device: UInt64, inode: UInt64) {
    self.device = device
    self.inode = inode
  }

  public var description: String { "\(device):\(inode)" }
}

/// A run of complete lines read from one file, stored back to back in one buffer.
///
/// Chunks are the unit that moves from a source to the pipeline, and the unit of
/// acknowledgement: once every event of a chunk is delivered by every sink, the file's
/// checkpoint may advance to ``endOffset``.
public struct SourceChunk: Sendable {
  public var sourceIndex: Int
  public var path: String
  public var identity: FileIdentity
  /// Lines without their terminators (`\n` or `\r\n`), concatenated.
  public var data: [UInt8] = []
  /// End index in ``data`` of each line.
  public var lineEnds: [Int] = []
  /// Indices (into ``lineEnds``) of lines cut at the source's `max_line_bytes`.
  public var truncatedLines: [Int] = []
  /// File offset just past the last line's terminator.
  public var endOffset: UInt64

  public init(sourceIndex: Int, path: String, identity: FileIdentity, endOffset: UInt64) {
    self.sourceIndex = sourceIndex
    self.path = path
    self.identity = identity
    self.endOffset = endOffset
  }

  public var lineCount: Int { lineEnds.count }

  /// Calls `body` with each line's bytes and whether it was truncated.
  public func forEachLine(_ body: (UnsafeRawBufferPointer, Bool) throws -> Void) rethrows {
    try data.withUnsafeBytes { raw in
      var start = 0
      var nextTruncated = 0
      for (k, end) in lineEnds.enumerated() {
        var truncated = false
        if nextTruncated < truncatedLines.count && truncatedLines[nextTruncated] == k {
          truncated = true
          nextTruncated += 1
        }
        try body(UnsafeRawBufferPointer(rebasing: raw[start..<end]), truncated)
        start = end
      }
    }
  }
}
