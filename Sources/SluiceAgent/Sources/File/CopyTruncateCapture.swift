import Foundation
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// Closes most of `copytruncate`'s window: lines written after logrotate copied a file and
/// before it truncated it are in no file once it has (logrotate fsyncs the copy in between,
/// a few milliseconds on a real disk). When a sibling named `<name>.<suffix>` or
/// `<name>-<suffix>` is created next to a file (a copy starting), the ``FileWatcher``'s
/// thread — not the source's task, which may be waiting for the pipeline — reads what `<name>`
/// gains from then on as soon as inotify reports each write, until the file shrinks (the
/// truncation) or ``hotFor`` passes. The tailer, finding the truncation, takes the bytes past
/// the end of the copy from here (``take(_:)``).
///
/// While a copy is being written and for ``spinAfterCopy`` after its last write (logrotate's
/// fsync of the copy, then its truncation), the watcher's thread does not wait for inotify: it
/// looks at the file in a loop (``isSpinning``, ``pollHot()``), so that being woken late on a
/// busy machine does not cost lines. What remains lost is what is written in the last
/// microseconds before the truncation, between a write and this thread's `pread` of it.
/// Bounded: at most ``maxBytes`` per file, and ``maxFiles`` files at once.
final class CopyTruncateCapture: Sendable {
  /// Bytes of one file captured since `start` (its size when its copy appeared).
  struct Captured: Sendable {
    /// The file's first bytes when the capture began: which content the bytes continue.
    var head: [UInt8]
    var start: UInt64
    var bytes: [UInt8] = []
    /// The file was found smaller than what was captured: truncated; no more is added.
    var truncated = false
  }

  private struct Hot {
    var fd: Int32
    var identity: FileIdentity
    var captured: Captured
    var until: ContinuousClock.Instant
    /// The copy, and when it was last written to.
    var copy: String
    var copyActive: ContinuousClock.Instant
    var spinUntil: ContinuousClock.Instant
  }

  static let hotFor: Duration = .seconds(10)
  static let spinAfterCopy: Duration = .milliseconds(25)
  /// Spinning stops this long after the copy appeared, whatever happens to it.
  static let spinAtMost: Duration = .seconds(2)
  static let compressed = [".gz", ".bz2", ".xz", ".zst", ".lz4", ".zip"]
  static let maxBytes = 8 << 20
  static let maxFiles = 64
  static let headBytes = 64
  /// A look reads at most this much between two checks that the file was not truncated.
  static let readPiece = 64 << 10
  /// A capture starts this far before the file's end when its copy appeared: this thread may
  /// see the copy's creation after the copy has already read past what was then the end.
  static let lookBack: UInt64 = 1 << 20

  /// Files being captured, by path.
  private let hot = Mutex<[String: Hot]>([:])
  /// Finished captures waiting for the tailer, by identity; dropped after `hotFor`.
  private let done = Mutex<[FileIdentity: (Captured, ContinuousClock.Instant)]>([:])

  /// A file `name` appeared in `directory`: if a file it is a copy of exists there, start
  /// capturing that file. Called on the watcher's thread.
  func created(_ name: String, in directory: String) {
    // A compressed rotation (kubelet's `0.log.20261205-101500.gz`) is no copytruncate copy.
    if Self.compressed.contains(where: { name.hasSuffix($0) }) { return }
    for base in Self.bases(of: name) {
      let path = directory + "/" + base
      if hot.withLock({ $0[path] != nil }) { return }
      let fd = open(path, O_RDONLY | O_CLOEXEC)
      guard fd >= 0 else { continue }
      var st = stat()
      // A file shorter than a head (just truncated: this thread saw the copy late) has no
      // first bytes to tell its next content from, and nothing worth capturing.
      guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, st.st_size >= Self.headBytes else {
        close(fd)
        continue
      }
      let head = FileTailer.readHead(fd, size: UInt64(min(Int(st.st_size), Self.headBytes)))
      let entry = Hot(
        fd: fd, identity: FileIdentity(device: UInt64(st.st_dev), inode: UInt64(st.st_ino)),
        captured: Captured(head: head, start: UInt64(st.st_size) - min(UInt64(st.st_size), Self.lookBack)),
        until: .now + Self.hotFor, copy: directory + "/" + name,
        copyActive: .now, spinUntil: .now + Self.spinAtMost)
      let added = hot.withLock { files -> Bool in
        guard files.count < Self.maxFiles else { return false }
        files[path] = entry
        return true
      }
      if added {
        // A capture of an earlier truncation nobody took is not this one's.
        _ = done.withLock { $0.removeValue(forKey: entry.identity) }
        hot.withLock { look(at: path, in: &$0) }
      } else {
        close(fd)
      }
      return
    }
  }

  /// `name` in `directory` was written to: if it is being captured, read what it gained.
  /// (The first look reads the ``lookBack`` bytes too.)
  /// Called on the watcher's thread.
  func modified(_ name: String, in directory: String) {
    let path = directory + "/" + name
    hot.withLock { files in
      guard files[path] != nil else {
        for (base, h) in files where h.copy == path { files[base]?.copyActive = .now }
        return
      }
      look(at: path, in: &files)
    }
  }

  /// Whether a copy is being made or was just finished: the watcher's thread then calls
  /// ``pollHot()`` in a loop instead of waiting.
  var isSpinning: Bool {
    let now = ContinuousClock.now
    return hot.withLock { files in
      files.values.contains { now - $0.copyActive < Self.spinAfterCopy && now < $0.spinUntil }
    }
  }

  /// Reads what every file being captured gained.
  func pollHot() {
    hot.withLock { files in
      for path in Array(files.keys) { look(at: path, in: &files) }
    }
  }

  private func look(at path: String, in files: inout [String: Hot]) {
    // Taken out of the dictionary while it grows: a copy left in it would make every append
    // copy the whole capture (up to ``maxBytes``) on every write to the file.
    guard var h = files.removeValue(forKey: path) else { return }
    Self.capture(&h)
    if h.captured.truncated || h.captured.bytes.count >= Self.maxBytes || ContinuousClock.now >= h.until {
      close(h.fd)
      files[path] = nil
      if h.captured.truncated {
        done.withLock { $0[h.identity] = (h.captured, .now + Self.hotFor) }
      }
    } else {
      files[path] = h
    }
  }

  /// Ends captures past their time (the watcher calls this when it wakes).
  func expire() {
    let now = ContinuousClock.now
    hot.withLock { files in
      for (path, h) in files where now >= h.until {
        close(h.fd)
        files[path] = nil
      }
    }
    done.withLock { $0 = $0.filter { $0.value.1 > now } }
  }

  /// The bytes captured from the file `identity` before it was truncated, once.
  func take(_ identity: FileIdentity) -> Captured? {
    if let captured = done.withLock({ $0.removeValue(forKey: identity)?.0 }) { return captured }
    // The tailer found the truncation before the watcher's thread did: look now.
    return hot.withLock { files -> Captured? in
      guard let path = files.first(where: { $0.value.identity == identity })?.key,
        var h = files.removeValue(forKey: path)
      else { return nil }
      Self.capture(&h)
      guard h.captured.truncated else {
        files[path] = h
        return nil
      }
      close(h.fd)
      files[path] = nil
      return h.captured
    }
  }

  /// Bytes captured so far from the file at `path`, or nil if it is not being captured
  /// (for tests, to wait for the watcher's thread).
  func capturedBytes(of path: String) -> Int? {
    hot.withLock { $0[path]?.captured.bytes.count }
  }

  /// Closes every open descriptor.
  func shutdown() {
    hot.withLock { files in
      for h in files.values { close(h.fd) }
      files.removeAll()
    }
  }

  /// Reads what the file gained since the last look, in pieces of ``readPiece`` bytes. A read
  /// that a truncation overtook may hold bytes of the file's next content: each piece is kept
  /// only if the file still starts with the captured head after it was read.
  private static func capture(_ h: inout Hot) {
    var st = stat()
    guard fstat(h.fd, &st) == 0 else { return }
    let size = UInt64(st.st_size)
    while !h.captured.truncated && h.captured.bytes.count < maxBytes {
      let end = h.captured.start + UInt64(h.captured.bytes.count)
      // Smaller than what was captured, or rewritten from the start: the truncation happened.
      if size < end || !stillHas(h) {
        h.captured.truncated = true
        return
      }
      guard size > end else { return }
      let want = Int(min(size - end, UInt64(min(readPiece, maxBytes - h.captured.bytes.count))))
      let old = h.captured.bytes.count
      let got = appendRead(&h.captured.bytes, fd: h.fd, count: want, at: end)
      guard stillHas(h) else {
        // Truncated while (or before) this piece was read: it may be the new content's.
        h.captured.bytes.removeSubrange(old...)
        h.captured.truncated = true
        return
      }
      if got < want { return }
    }
  }

  /// Whether the file still starts with the bytes it started with when its capture began.
  private static func stillHas(_ h: Hot) -> Bool {
    FileTailer.readHead(h.fd, size: UInt64(h.captured.head.count)) == h.captured.head
  }

  /// Appends up to `count` bytes read at `offset`; returns how many.
  private static func appendRead(_ bytes: inout [UInt8], fd: Int32, count: Int, at offset: UInt64) -> Int {
    let old = bytes.count
    bytes.reserveCapacity(old + count)
    var got = 0
    withUnsafeTemporaryAllocation(byteCount: count, alignment: 1) { buffer in
      got = max(pread(fd, buffer.baseAddress, count, off_t(offset)), 0)
      bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[..<got]))
    }
    return got
  }

  /// The names `name` may be a copy of: `app.log` for `app.log.1`, `app.log-20261205`,
  /// `app.log.1.tmp`.
  static func bases(of name: String) -> [String] {
    var out: [String] = []
    var bytes = Array(name.utf8)
    while let k = bytes.lastIndex(where: { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") }), k > 0 {
      bytes.removeSubrange(k...)
      out.append(String(decoding: bytes, as: UTF8.self))
    }
    return out
  }
}
