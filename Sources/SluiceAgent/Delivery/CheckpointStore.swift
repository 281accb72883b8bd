import Foundation
import SluiceCore
import Synchronization

/// Read positions per file, persisted under `data_dir` so a restart resumes where the
/// last acknowledged event ended.
///
/// Saved atomically: written to a temporary file, fsynced, renamed over the old one, and
/// the directory fsynced. A missing or unreadable file starts empty (and says so).
public final class CheckpointStore: Sendable {
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

  struct FileFormat: Codable {
    var version: Int
    var files: [Entry]
  }

  public let url: URL
  private let state: Mutex<(entries: [String: Entry], dirty: Bool)>

  /// Entries not updated for this long whose file is gone are dropped at save time.
  public static let staleAfter: TimeInterval = 7 * 24 * 3600

  /// Loads the store at `directory/checkpoints.json`.
  /// - Throws: if the file exists but cannot be decoded (never silently discarded).
  public init(directory: URL) throws {
    url = directory.appendingPathComponent("checkpoints.json")
    var entries: [String: Entry] = [:]
    if let data = try? Data(contentsOf: url) {
      do {
        let decoded = try JSONDecoder().decode(FileFormat.self, from: data)
        for e in decoded.files { entries[Self.key(e.source, e.identity)] = e }
      } catch {
        throw CheckpointError(
          message: "cannot read checkpoints file \(url.path) (\(error)); the agent will not guess read "
            + "positions: repair the file, or move it aside to start over (files are then read per read_from)")
      }
    }
    state = Mutex((entries, false))
  }

  static func key(_ source: String, _ identity: FileIdentity) -> String { "\(source)|\(identity)" }

  /// Resume offsets for one source.
  public func offsets(source: String) -> [FileIdentity: UInt64] {
    state.withLock { s in
      var out: [FileIdentity: UInt64] = [:]
      for e in s.entries.values where e.source == source { out[e.identity] = e.offset }
      return out
    }
  }

  /// Fingerprints of the files of one source, where known.
  public func fingerprints(source: String) -> [FileIdentity: Fingerprint] {
    state.withLock { s in
      var out: [FileIdentity: Fingerprint] = [:]
      for e in s.entries.values where e.source == source { out[e.identity] = e.fingerprint }
      return out
    }
  }

  /// All entries (for tests and `sluice` diagnostics).
  public var entries: [Entry] { state.withLock { Array($0.entries.values) } }

  /// Records that everything in `path` before `offset` is acknowledged.
  public func advance(
    source: String, path: String, identity: FileIdentity, to offset: UInt64, fingerprint: Fingerprint? = nil
  ) {
    state.withLock { s in
      let k = Self.key(source, identity)
      let old = s.entries[k]
      let print = fingerprint ?? old?.fingerprint
      if let old, old.offset == offset, old.path == path, old.fingerprint == print { return }
      s.entries[k] = Entry(
        source: source, path: path, device: identity.device, inode: identity.inode, offset: offset,
        updated: Date().timeIntervalSince1970, fingerprint: print)
      s.dirty = true
    }
  }

  /// Writes the store if anything changed since the last save.
  public func save() throws {
    let snapshot: [Entry]? = state.withLock { s in
      guard s.dirty else { return nil }
      s.dirty = false
      let now = Date().timeIntervalSince1970
      s.entries = s.entries.filter { _, e in
        now - e.updated < Self.staleAfter || FileManager.default.fileExists(atPath: e.path)
      }
      return s.entries.values.sorted { ($0.source, $0.path, $0.inode) < ($1.source, $1.path, $1.inode) }
    }
    guard let snapshot else { return }
    do {
      try Self.writeAtomically(FileFormat(version: 1, files: snapshot), to: url)
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
