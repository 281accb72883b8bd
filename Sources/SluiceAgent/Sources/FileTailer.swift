import Logging

#if canImport(Glibc)
  import Glibc
#endif

/// Follows the files matched by one file source and cuts what they gain into lines.
///
/// The tailer is driven by one task (see ``FileSource``); it is not thread-safe.
/// - Discovery expands the include globs on every poll, so new files are found while
///   running; files matching an exclude glob are skipped.
/// - A file is followed through its descriptor. When its path comes to name another file
///   (rename + create rotation), the old descriptor is read to its end and kept for
///   ``rotateWait`` while it may still be written to, then closed.
/// - A file that shrinks below the read position (copytruncate) is read again from 0.
/// - A line is emitted only once its newline has arrived; the partial tail is held in
///   memory and, not being acknowledged, is read again after a restart.
final class FileTailer {
  struct Tracked {
    var path: String
    var fd: Int32
    var identity: FileIdentity
    /// File offset up to which bytes have been read.
    var readOffset: UInt64
    /// Bytes of the current, not yet terminated line.
    var partial: [UInt8] = []
    /// The current line passed `maxLineBytes`; the rest of it is being skipped.
    var overlong = false
    /// For rotated-away files: when they last grew.
    var idleSince: ContinuousClock.Instant?
  }

  let sourceIndex: Int
  let config: SourceConfig
  let logger: Logger
  let counters: AgentMetrics.SourceCounters
  let rotateWait: Duration
  /// Offsets to resume from, by identity (from the checkpoint store).
  var resumeOffsets: [FileIdentity: UInt64]
  private(set) var active: [String: Tracked] = [:]
  private(set) var draining: [Tracked] = []
  private var readBuffer = [UInt8](repeating: 0, count: 256 * 1024)
  private var warnedPaths = Set<String>()
  private var firstDiscovery = true

  init(
    sourceIndex: Int, config: SourceConfig, resumeOffsets: [FileIdentity: UInt64],
    counters: AgentMetrics.SourceCounters,
    logger: Logger, rotateWait: Duration = .seconds(5)
  ) {
    self.sourceIndex = sourceIndex
    self.config = config
    self.resumeOffsets = resumeOffsets
    self.counters = counters
    self.logger = logger
    self.rotateWait = rotateWait
  }

  deinit {
    for t in active.values { close(t.fd) }
    for t in draining { close(t.fd) }
  }

  /// Finds new files and notices rotated, truncated and removed ones.
  func discover() {
    var seen = Set<String>()
    for pattern in config.include {
      for path in Glob.expand(pattern) where !seen.contains(path) {
        if config.exclude.contains(where: { Glob.matches(path, $0) }) { continue }
        seen.insert(path)
        guard let identity = Self.identity(ofPath: path) else { continue }
        if let existing = active[path] {
          if existing.identity == identity { continue }
          // The name now points to a new file: finish the old one in the background.
          retire(path)
        }
        open(path, identity: identity)
      }
    }
    for path in active.keys where !seen.contains(path) {
      retire(path)  // deleted, or moved out of the globs
    }
    firstDiscovery = false
    counters.filesWatched.record(active.count + draining.count)
  }

  private func retire(_ path: String) {
    guard var t = active.removeValue(forKey: path) else { return }
    t.idleSince = .now
    draining.append(t)
  }

  private func open(_ path: String, identity: FileIdentity) {
    let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
    guard fd >= 0 else {
      let err = errno
      counters.readErrors.increment()
      if warnedPaths.insert(path).inserted {
        logger.warning(
          "cannot open file; will retry",
          metadata: ["path": "\(path)", "error": "\(String(cString: strerror(err)))"])
      }
      return
    }
    warnedPaths.remove(path)
    var st = stat()
    fstat(fd, &st)
    let size = UInt64(st.st_size)
    var offset: UInt64
    if let resume = resumeOffsets.removeValue(forKey: identity) {
      offset = resume <= size ? resume : 0
    } else if config.readFrom == .end && firstDiscovery {
      // Files present at start-up with no checkpoint: only what is new from now on.
      offset = size
    } else {
      // Files that appear while running are read whole.
      offset = 0
    }
    if offset > 0 && offset <= size {
      lseek(fd, off_t(offset), SEEK_SET)
    }
    logger.info("following file", metadata: ["path": "\(path)", "offset": "\(offset)", "identity": "\(identity)"])
    active[path] = Tracked(path: path, fd: fd, identity: identity, readOffset: offset)
  }

  /// Reads what every followed file has gained, as chunks of complete lines.
  /// - Parameter budget: stop after about this many bytes (to bound one poll's work).
  func poll(budget: Int = 4 << 20) -> [SourceChunk] {
    var chunks: [SourceChunk] = []
    var used = 0
    for path in active.keys.sorted() {
      guard used < budget, var t = active[path] else { continue }
      used += read(&t, into: &chunks, budget: budget - used)
      active[path] = t
    }
    var k = 0
    while k < draining.count {
      var t = draining[k]
      let n = read(&t, into: &chunks, budget: max(budget - used, 0))
      used += n
      if n > 0 { t.idleSince = .now }
      if n == 0, let since = t.idleSince, ContinuousClock.now - since >= rotateWait {
        logger.info("closing rotated or removed file", metadata: ["path": "\(t.path)", "identity": "\(t.identity)"])
        close(t.fd)
        draining.remove(at: k)
        continue
      }
      draining[k] = t
      k += 1
    }
    return chunks
  }

  /// Reads `t` to its end (or the budget); returns the bytes read.
  private func read(_ t: inout Tracked, into chunks: inout [SourceChunk], budget: Int) -> Int {
    var st = stat()
    if fstat(t.fd, &st) == 0 && UInt64(st.st_size) < t.readOffset {
      logger.warning(
        "file truncated; reading from the start",
        metadata: ["path": "\(t.path)", "was": "\(t.readOffset)", "now": "\(st.st_size)"])
      lseek(t.fd, 0, SEEK_SET)
      t.readOffset = 0
      t.partial.removeAll()
      t.overlong = false
    }
    var total = 0
    let startOffset = t.readOffset - UInt64(t.partial.count)
    var chunk = SourceChunk(sourceIndex: sourceIndex, path: t.path, identity: t.identity, endOffset: startOffset)
    let maxLine = config.maxLineBytes.bytes
    while total < budget {
      let n = readBuffer.withUnsafeMutableBytes { Glibc.read(t.fd, $0.baseAddress, $0.count) }
      if n < 0 {
        if errno == EINTR { continue }
        if errno != EAGAIN { counters.readErrors.increment() }
        break
      }
      if n == 0 { break }
      total += n
      let base = t.readOffset
      t.readOffset += UInt64(n)
      readBuffer.withUnsafeBytes { buf in
        var start = 0
        while start < n {
          guard let nl = memchr(buf.baseAddress! + start, 0x0A, n - start) else {
            appendPartial(&t, UnsafeRawBufferPointer(rebasing: buf[start..<n]), maxLine)
            break
          }
          let end = UnsafeRawPointer(nl) - buf.baseAddress!
          appendPartial(&t, UnsafeRawBufferPointer(rebasing: buf[start..<end]), maxLine)
          emitLine(&t, into: &chunk)
          chunk.endOffset = base + UInt64(end) + 1
          start = end + 1
        }
      }
      if chunk.data.count >= 1 << 20 {
        chunks.append(chunk)
        chunk = SourceChunk(sourceIndex: sourceIndex, path: t.path, identity: t.identity, endOffset: chunk.endOffset)
      }
    }
    // A chunk of only blank lines still moves the checkpoint.
    if !chunk.lineEnds.isEmpty || chunk.endOffset != startOffset { chunks.append(chunk) }
    if total > 0 { counters.bytesRead.increment(by: total) }
    return total
  }

  @inline(__always)
  private func appendPartial(_ t: inout Tracked, _ bytes: UnsafeRawBufferPointer, _ maxLine: Int) {
    if t.overlong { return }
    let room = maxLine - t.partial.count
    if bytes.count <= room {
      t.partial.append(contentsOf: bytes)
    } else {
      t.partial.append(contentsOf: bytes[0..<room])
      t.overlong = true
    }
  }

  private func emitLine(_ t: inout Tracked, into chunk: inout SourceChunk) {
    defer {
      t.partial.removeAll(keepingCapacity: t.partial.capacity <= 64 * 1024)
      t.overlong = false
    }
    var line = t.partial[...]
    if !t.overlong, line.last == 0x0D { line = line.dropLast() }
    if line.isEmpty || line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) {
      counters.droppedEmpty.increment()
      return
    }
    if t.overlong {
      chunk.truncatedLines.append(chunk.lineEnds.count)
      counters.truncated.increment()
    }
    chunk.data.append(contentsOf: line)
    chunk.lineEnds.append(chunk.data.count)
  }

  static func identity(ofPath path: String) -> FileIdentity? {
    var st = stat()
    guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { return nil }
    return FileIdentity(device: UInt64(st.st_dev), inode: UInt64(st.st_ino))
  }
}
