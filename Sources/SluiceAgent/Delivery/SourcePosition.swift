/// Where a file source has read to in one file: everything before ``offset`` is covered.
public struct FilePosition: Sendable, Hashable {
  public var path: String
  public var identity: FileIdentity
  /// Offset just past the last line covered.
  public var offset: UInt64
  /// The file's first bytes, hashed, as far as they have been read (nil while it is empty).
  public var fingerprint: Fingerprint?

  public init(path: String, identity: FileIdentity, offset: UInt64, fingerprint: Fingerprint? = nil) {
    self.path = path
    self.identity = identity
    self.offset = offset
    self.fingerprint = fingerprint
  }
}

/// A read position, in the terms of the source that produced it. Acknowledgement
/// (``AckTracker``) and persistence (``CheckpointStore``) carry positions without looking
/// inside them; only the source that made one interprets it when it resumes.
public enum SourcePosition: Sendable, Hashable {
  /// A file source's position in one file (a source follows many files, each its own stream).
  case file(FilePosition)
  /// An opaque resume token of a source that reads one stream: a journal cursor
  /// (`sd_journal_get_cursor`). The source resumes right after it.
  case cursor(String)

  /// What a later position replaces within one source: the same file (by identity), or the
  /// source's single stream.
  public var streamKey: String {
    switch self {
    case .file(let f): "file:\(f.identity)"
    case .cursor: "cursor"
    }
  }
}
