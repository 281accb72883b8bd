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

/// The first bytes of a file (up to 256), hashed: tells a file apart from another that got
/// the same inode after it was deleted.
public struct Fingerprint: Sendable, Codable, Equatable, Hashable {
  /// How many first bytes were hashed.
  public var length: Int
  /// FNV-1a (64-bit) of those bytes.
  public var hash: UInt64

  public init(length: Int, hash: UInt64) {
    self.length = length
    self.hash = hash
  }

  public static func of(_ bytes: [UInt8]) -> Fingerprint {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
    return Fingerprint(length: bytes.count, hash: h)
  }
}

/// A run of complete records (lines of a file, entries of a journal) read by one source,
/// stored back to back in one buffer.
///
/// Chunks are the unit that moves from a source to the pipeline, and the unit of
/// acknowledgement: once every event of a chunk is delivered by every sink, the source's
/// checkpoint may advance to ``position``.
public struct SourceChunk: Sendable {
  public var sourceIndex: Int
  /// Where the source will have read to once this chunk is acknowledged.
  public var position: SourcePosition
  /// Lines without their terminators (`\n` or `\r\n`), concatenated.
  public var data: [UInt8] = []
  /// End index in ``data`` of each line.
  public var lineEnds: [Int] = []
  /// Indices (into ``lineEnds``) of lines cut at the source's `max_line_bytes`.
  public var truncatedLines: [Int] = []
  /// Container runtime logs only (empty otherwise): per line, the stream
  /// (``ContainerStream`` raw value; 0 for a line that was not in the runtime's format) and
  /// the runtime's timestamp text (line k's is `times[timeEnds[k-1]..<timeEnds[k]]`).
  public var streams: [UInt8] = []
  public var times: [UInt8] = []
  public var timeEnds: [Int] = []
  /// Fields every event of the file gets (pre-encoded `"k":v,…`, no leading comma): the
  /// `k8s.*` metadata of kubelet log paths. Empty if none.
  public var fileFields: [UInt8] = []

  /// A chunk of a file source.
  public init(sourceIndex: Int, path: String, identity: FileIdentity, endOffset: UInt64) {
    self.sourceIndex = sourceIndex
    self.position = .file(FilePosition(path: path, identity: identity, offset: endOffset))
  }

  /// A chunk of a source with another kind of position.
  public init(sourceIndex: Int, position: SourcePosition) {
    self.sourceIndex = sourceIndex
    self.position = position
  }

  // The file source's view of ``position`` (empty or zero for other sources).

  /// The file the lines come from.
  public var path: String {
    if case .file(let f) = position { f.path } else { "" }
  }

  public var identity: FileIdentity {
    if case .file(let f) = position { f.identity } else { FileIdentity(device: 0, inode: 0) }
  }

  /// File offset just past the last line's terminator.
  public var endOffset: UInt64 {
    get { if case .file(let f) = position { f.offset } else { 0 } }
    set { if case .file(var f) = position { f.offset = newValue; position = .file(f) } }
  }

  /// The file's fingerprint as far as it has been read (nil while it is empty).
  public var fingerprint: Fingerprint? {
    get { if case .file(let f) = position { f.fingerprint } else { nil } }
    set { if case .file(var f) = position { f.fingerprint = newValue; position = .file(f) } }
  }

  public var lineCount: Int { lineEnds.count }

  /// The container stream and runtime timestamp of line `k`, if the file is a container log.
  public func containerInfo(line k: Int) -> (stream: ContainerStream, time: ArraySlice<UInt8>)? {
    guard k < streams.count, let stream = ContainerStream(rawValue: streams[k]), stream != .none else { return nil }
    let start = k == 0 ? 0 : timeEnds[k - 1]
    return (stream, times[start..<timeEnds[k]])
  }

  /// Calls `body` with each line's bytes and whether it was truncated.
  public func forEachLine(_ body: (UnsafeRawBufferPointer, Bool) throws -> Void) rethrows {
    try forEachLine { line, truncated, _ in try body(line, truncated) }
  }

  /// Calls `body` with each line's bytes, whether it was truncated, and its index.
  public func forEachLine(_ body: (UnsafeRawBufferPointer, Bool, Int) throws -> Void) rethrows {
    try data.withUnsafeBytes { raw in
      var start = 0
      var nextTruncated = 0
      for (k, end) in lineEnds.enumerated() {
        var truncated = false
        if nextTruncated < truncatedLines.count && truncatedLines[nextTruncated] == k {
          truncated = true
          nextTruncated += 1
        }
        try body(UnsafeRawBufferPointer(rebasing: raw[start..<end]), truncated, k)
        start = end
      }
    }
  }
}
