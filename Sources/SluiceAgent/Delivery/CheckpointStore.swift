import Foundation
import SluiceCore
import Synchronization

/// Read positions per source (a ``SourcePosition``: an offset per file, or a cursor),
/// persisted under `data_dir` so a restart resumes where the last acknowledged event ended.
///
/// The file, `checkpoints.json`, is `{"version": 2, "files": [...], "cursors": [...]}`:
/// one entry per followed file (``Entry``: path, device, inode, offset, fingerprint) and one
/// per cursor-based source (``CursorEntry``). Version 1 (files only, written by agents before
/// cursors) loads as it is; a newer version than this agent knows is an error, not a reset.
///
/// Saved atomically: written to a temporary file, fsynced, renamed over the old one, and
/// the directory fsynced. A missing file starts empty. Nothing is written while no position
/// moved.
public final class CheckpointStore: Sendable {
  /// A file's position.
  public struct Entry: Codable, Sendable, Equatable {
    public var source: String
    public var path: String
    public var device: UInt64
    public var inode: UInt64
    public var offset: UInt64
    /// Seconds since the epoch of the last change.
    public var updated: Double
    /// The file's first bytes, hashed (absent in files written before fingerprints).
    public var fingerprint: Fingerprint?

    public var identity: FileIdentity { FileIdentity(device: device, inode: inode) }
  }

  /// A cursor-based source's position.
  public struct CursorEntry: Codable, Sendable, Equatable {
    public var source: String
    public var cursor: String
    /// Seconds since the epoch of the last change.
    public var updated: Double
  }

  /// The newest format this agent writes and reads.
  static let version = 2

  struct FileFormat: Codable {
    var version: Int
    var files: [Entry]
    var cursors: [CursorEntry]?
  }

  struct Stored {
    var files: [String: Entry] = [:]
    var cursors: [String: CursorEntry] = [:]
    var dirty = false
  }

  public let url: URL
  private let state: Mutex<Stored>

  /// File entries not updated for this long whose file is gone are dropped at save time.
  /// (Cursor entries are kept: a quiet journal is not a gone one.)
  public static let staleAfter: TimeInterval = 7 * 24 * 3600

  /// Loads the store at `directory/checkpoints.json`.
  /// - Throws: if the file exists but cannot be decoded, or is of a newer version (never
  ///   silently discarded).
  public init(directory: URL) throws {
    url = directory.appendingPathComponent("checkpoints.json")
    var stored = Stored()
    if let data = try? Data(contentsOf: url) {
      let decoded: FileFormat
      do {
        decoded = try JSONDecoder().decode(FileFormat.self, from: data)
      } catch {
        throw CheckpointError(
          message: "cannot read checkpoints file \(url.path) (\(error)); the agent will not guess read "
            + "positions: repair the file, or move it aside to start over (sources then start per read_from)")
      }
      guard decoded.version <= Self.version else {
        throw CheckpointError(
          message: "checkpoints file \(url.path) is version \(decoded.version), newer than this agent reads "
            + "(\(Self.version)): run the agent that wrote it, or move the file aside to start over")
      }
      for e in decoded.files { stored.files[Self.key(e.source, e.identity)] = e }
      for c in decoded.cursors ?? [] { stored.cursors[c.source] = c }
    }
    state = Mutex(stored)
  }

  static func key(_ source: String, _ identity: FileIdentity) -> String { "\(source)|\(identity)" }

  /// Every saved position of one source (a file source has one per file).
  public func positions(source: String) -> [SourcePosition] {
    state.withLock { s in
      var out: [SourcePosition] = s.files.values.filter { $0.source == source }.map {
        .file(FilePosition(path: $0.path, identity: $0.identity, offset: $0.offset, fingerprint: $0.fingerprint))
      }
      if let c = s.cursors[source] { out.append(.cursor(c.cursor)) }
      return out
    }
  }

  /// Resume offsets for one file source.
  public func offsets(source: String) -> [FileIdentity: UInt64] {
    state.withLock { s in
      var out: [FileIdentity: UInt64] = [:]
      for e in s.files.values where e.source == source { out[e.identity] = e.offset }
      return out
    }
  }

  /// Fingerprints of the files of one source, where known.
  public func fingerprints(source: String) -> [FileIdentity: Fingerprint] {
    state.withLock { s in
      var out: [FileIdentity: Fingerprint] = [:]
      for e in s.files.values where e.source == source { out[e.identity] = e.fingerprint }
      return out
    }
  }

  /// The saved cursor of a cursor-based source, if any.
  public func cursor(source: String) -> String? { state.withLock { $0.cursors[source]?.cursor } }

  /// All file entries (for tests and `sluice` diagnostics).
  public var entries: [Entry] { state.withLock { Array($0.files.values) } }

  /// Records that everything of `source` up to `position` is acknowledged. A position equal
  /// to the saved one changes nothing (and causes no write).
  public func advance(source: String, to position: SourcePosition) {
    switch position {
    case .file(let f):
      advance(source: source, path: f.path, identity: f.identity, to: f.offset, fingerprint: f.fingerprint)
    case .cursor(let cursor):
      // Empty: the source has no position yet (nothing before its first entry to resume at).
      if cursor.isEmpty { return }
      state.withLock { s in
        if s.cursors[source]?.cursor == cursor { return }
        s.cursors[source] = CursorEntry(source: source, cursor: cursor, updated: Date().timeIntervalSince1970)
        s.dirty = true
      }
    }
  }

  /// Records that everything in `path` before `offset` is acknowledged.
  public func advance(
    source: String, path: String, identity: FileIdentity, to offset: UInt64, fingerprint: Fingerprint? = nil
  ) {
    state.withLock { s in
      let k = Self.key(source, identity)
      let old = s.files[k]
      let print = fingerprint ?? old?.fingerprint
      if let old, old.offset == offset, old.path == path, old.fingerprint == print { return }
      s.files[k] = Entry(
        source: source, path: path, device: identity.device, inode: identity.inode, offset: offset,
        updated: Date().timeIntervalSince1970, fingerprint: print)
      s.dirty = true
    }
  }

  /// Writes the store if anything changed since the last save.
  public func save() throws {
    let snapshot: FileFormat? = state.withLock { s in
      guard s.dirty else { return nil }
      s.dirty = false
      let now = Date().timeIntervalSince1970
      s.files = s.files.filter { _, e in
        now - e.updated < Self.staleAfter || FileManager.default.fileExists(atPath: e.path)
      }
      return FileFormat(
        version: Self.version,
        files: s.files.values.sorted { ($0.source, $0.path, $0.inode) < ($1.source, $1.path, $1.inode) },
        cursors: s.cursors.values.sorted { $0.source < $1.source })
    }
    guard let snapshot else { return }
    do {
      try Self.writeAtomically(snapshot, to: url)
    } catch {
      state.withLock { $0.dirty = true }
      throw error
    }
  }

  static func writeAtomically(_ value: FileFormat, to url: URL) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    let data = try encoder.encode(value)
    let dir = url.deletingLastPathComponent().path
    let tmp = url.path + ".tmp"
    let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    guard fd >= 0 else { throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: tmp]) }
    let ok = data.withUnsafeBytes { buf -> Bool in
      FileDescriptorIO.writeAll(fd, buf) == buf.count && fsync(fd) == 0
    }
    close(fd)
    guard ok, rename(tmp, url.path) == 0 else {
      unlink(tmp)
      throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path])
    }
    let dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    if dfd >= 0 {
      fsync(dfd)
      close(dfd)
    }
  }
}

/// The checkpoint file exists but cannot be used.
public struct CheckpointError: Error, CustomStringConvertible {
  public var message: String
  public var description: String { message }
}
