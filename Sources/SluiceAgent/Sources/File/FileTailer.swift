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
/// - A file that shrinks below the read position, or whose first bytes change (copytruncate,
///   even when the file regrew between two polls), is read again from 0 — after what had not
///   been read yet is taken from the rotated copy (`app.log.1`, `app.log-20261123`: the
///   sibling whose first bytes match), so copytruncate loses only what is written between
///   logrotate's copy and its truncation.
/// - A line is emitted only once its newline has arrived, or once the file has not grown for
///   `partial_line_timeout`; until then the partial tail is held in memory and, not being
///   acknowledged, is read again after a restart.
/// - Container runtime logs (CRI, Docker json-file) are unwrapped: partial records are joined
///   into one event, and a checkpoint never falls inside a record, so a record cut by a
///   restart is read again whole.
/// - A file reached under two paths (a `/var/log/containers` symlink and its target) is
///   followed once.
final class FileTailer {
  struct Tracked {
    var path: String
    var fd: Int32
    var identity: FileIdentity
    /// File offset up to which bytes have been read.
    var readOffset: UInt64
    /// File offset just past the last complete line or record: what a checkpoint may reach.
    var committed: UInt64
    /// Bytes of the current, not yet terminated line.
    var partial: [UInt8] = []
    /// The current line passed `maxLineBytes`; the rest of it is being skipped.
    var overlong = false
    /// For rotated-away files: when they last grew.
    var idleSince: ContinuousClock.Instant?
    /// When the file last grew (for the partial-line timeout).
    var lastGrowth: ContinuousClock.Instant = .now
    /// How lines are framed; `.auto` until the first line decides.
    var format: LineFormat
    /// Pre-encoded `k8s.*` fields for every event of the file.
    var fileFields: [UInt8] = []
    /// A container record being joined from partial lines.
    var record = ContainerRecord()
    /// The file's first bytes (up to ``headBytes``) as last read: to recognise a rewrite
    /// and the rotated copy.
    var head: [UInt8] = []
    /// The size at the last poll.
    var lastSize: UInt64 = 0
    /// The modification time at the last poll (nanoseconds).
    var lastModified: Int64 = 0
    /// Renamed since it was opened (a rotated file still matched by the globs): its lines
    /// are older than those of the file now under its old name, so it is read first.
    var renamed = false
    /// Where the line or record being read began (just past the last complete one).
    var recordStart: UInt64 = 0
    /// A multiline event not known to be complete yet, and where in the file it began.
    var joiner = MultilineJoiner<UInt64>()
  }

  static let headBytes = 256

  let sourceIndex: Int
  let config: FileSourceConfig
  let logger: Logger
  let counters: FileSourceCounters
  let rotateWait: Duration
  /// Offsets to resume from, by identity (from the checkpoint store), and the fingerprints of
  /// the files they were saved for.
  var resumeOffsets: [FileIdentity: UInt64]
  var resumeFingerprints: [FileIdentity: Fingerprint]
  private(set) var active: [String: Tracked] = [:]
  private(set) var draining: [Tracked] = []
  private var readBuffer = [UInt8](repeating: 0, count: 64 * 1024)
  /// A chunk is handed on once it holds this many bytes: small enough that the chunks in
  /// flight (read, queued for the pipeline, being processed) stay about a megabyte, and
  /// that a chunk (this plus one read) stays under malloc's mmap threshold (`MemoryTuning`)
  /// and is served from freed heap rather than fresh pages; large enough that per-chunk
  /// work (a checkpoint, a hand-off) is rare.
  static let chunkBytes = 160 * 1024
  /// What one ``poll(budget:)`` reads at most by default, over all files.
  static let pollBudget = 1 << 20
  private var warnedPaths = Set<String>()
  /// Directories the globs could not read, logged once until they can be read again.
  private var warnedDirectories = Set<String>()
  private var firstDiscovery = true
  private var docker = DockerJSONLine()
  private var dockerTime: [UInt8] = []
  private var warnedMalformed = Set<String>()
  private let multiline: MultilineMatcher?
  /// Heads of content consumed before a truncation, by the path truncated, newest last.
  private var consumed: [String: [(head: [UInt8], offset: UInt64)]] = [:]
  static let consumedPerFile = 16
  /// Paths opened since ``takeNewlyOpened()`` was last called (for the inotify watcher).
  private var newlyOpened: [String] = []
  /// Matched files the last ``discover()`` could not open, with the error (for readiness).
  private(set) var unopenable: [(path: String, error: String)] = []
  /// After a ``poll(budget:)``: bytes between the read offset and the end of every open file
  /// (as of each file's last `fstat`), summed.
  private(set) var lagBytes: UInt64 = 0
  /// Bytes written between a copytruncate's copy and its truncation, caught by the watcher's
  /// thread (nil without inotify).
  var capture: CopyTruncateCapture?

  init(
    sourceIndex: Int, config: FileSourceConfig, resumeOffsets: [FileIdentity: UInt64],
    resumeFingerprints: [FileIdentity: Fingerprint] = [:],
    counters: FileSourceCounters,
    logger: Logger, rotateWait: Duration = .seconds(5)
  ) {
    self.sourceIndex = sourceIndex
    self.config = config
    self.resumeOffsets = resumeOffsets
    self.resumeFingerprints = resumeFingerprints
    self.counters = counters
    self.logger = logger
    self.rotateWait = rotateWait
    do {
      multiline = try config.multiline.map { try MultilineMatcher($0) }
    } catch {
      // Validated when the configuration was loaded; reaching this is a bug, not bad input.
      logger.error("multiline disabled", metadata: ["error": "\(error)"])
      multiline = nil
    }
  }

  deinit {
    for t in active.values { close(t.fd) }
    for t in draining { close(t.fd) }
  }

  /// Finds new files and notices rotated, truncated and removed ones.
  ///
  /// A file is followed by identity, not by name: renamed to another name the globs match
  /// (`app.log` → `app.log.1` under `include: [app.log*]`), it is followed on under the new
  /// name from where it was; renamed out of the globs or deleted, it is drained for
  /// `rotate_wait` and closed. A rotated copy (`copytruncate`) of a followed file is not read
  /// a second time (see ``isCopyOfFollowedFile(_:path:)``).
  func discover() {
    unopenable.removeAll(keepingCapacity: true)
    // This pass's view: every matched path with the file it names, in glob order.
    var matched: [(path: String, identity: FileIdentity)] = []
    var current: [String: FileIdentity] = [:]
    var unreadable: [Glob.Unreadable] = []
    for pattern in config.include {
      for path in Glob.expand(pattern, unreadable: &unreadable) where current[path] == nil {
        if config.exclude.contains(where: { Glob.matches(path, $0) }) { continue }
        guard let identity = Self.identity(ofPath: path) else { continue }
        current[path] = identity
        matched.append((path, identity))
      }
    }
    // A directory the globs cannot read hides its files: reported like a file that cannot
    // be opened (counted, logged once, the source degraded), and looked at again next poll.
    for (dir, error) in unreadable {
      let firstTime = warnedDirectories.insert(dir).inserted
      cannotRead(dir, error, log: firstTime ? "cannot read directory; files below it are not seen; will retry" : nil)
    }
    warnedDirectories.formIntersection(unreadable.map(\.path))
    // Followed files whose name now names something else (or nothing).
    for path in active.keys.sorted() {
      guard let identity = active[path]?.identity, current[path] != identity else { continue }
      if let renamed = matched.first(where: { $0.identity == identity && active[$0.path]?.identity != identity }) {
        // Renamed within the globs: the same file, followed on under its new name.
        if let displaced = active[renamed.path] { draining.append(displaced) }
        var t = active.removeValue(forKey: path)!
        t.path = renamed.path
        t.renamed = true
        active[renamed.path] = t
      } else {
        retire(path)  // deleted, moved out of the globs, or the name points to a new file
      }
    }
    var followed = Set(active.values.map(\.identity))
    for (path, identity) in matched where active[path] == nil {
      if let k = draining.firstIndex(where: { $0.identity == identity }) {
        // A retired file matched again (renamed into the globs while draining): follow it on.
        var t = draining.remove(at: k)
        t.path = path
        t.idleSince = nil
        t.renamed = true
        active[path] = t
        followed.insert(identity)
        continue
      }
      // The same file under another name (a symlink and its target): follow it once.
      if followed.contains(identity) { continue }
      var startAt: UInt64?
      if resumeOffsets[identity] == nil {
        switch copyStatus(of: path) {
        case .inProgress: continue
        case .consumed(let offset): startAt = offset
        case nil: break
        }
      }
      open(path, identity: identity, startAt: startAt)
      if active[path] != nil { followed.insert(identity) }
    }
    firstDiscovery = false
    counters.filesWatched.record(active.count + draining.count)
  }

  /// A matched file or a directory of the globs that could not be opened: counted, listed
  /// for readiness, and logged with `log` as the message (once per path: the caller says when).
  private func cannotRead(_ path: String, _ error: Int32, log message: Logger.Message?) {
    let reason = String(cString: strerror(error))
    counters.readErrors.increment()
    unopenable.append((path, reason))
    if let message { logger.warning(message, metadata: ["path": "\(path)", "error": "\(reason)"]) }
  }

  private func retire(_ path: String) {
    guard var t = active.removeValue(forKey: path) else { return }
    t.idleSince = .now
    draining.append(t)
  }

  /// - Parameter startAt: where to start instead of what the checkpoint or `read_from` says
  ///   (a rotated copy of content already read).
  private func open(_ path: String, identity: FileIdentity, startAt: UInt64? = nil) {
    let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
    guard fd >= 0 else {
      let err = errno
      cannotRead(path, err, log: warnedPaths.insert(path).inserted ? "cannot open file; will retry" : nil)
      return
    }
    warnedPaths.remove(path)
    var st = stat()
    fstat(fd, &st)
    let size = UInt64(st.st_size)
    var offset: UInt64
    let fingerprint = resumeFingerprints.removeValue(forKey: identity)
    if let resume = resumeOffsets.removeValue(forKey: identity) {
      if let fingerprint, fingerprint.length > 0,
        Fingerprint.of(Self.readHead(fd, size: UInt64(fingerprint.length))) != fingerprint
      {
        // Same device and inode, different first bytes: the checkpointed file was deleted and
        // its inode reused. This is a new file; it must not inherit the old offset.
        logger.info(
          "checkpointed inode now holds a different file; reading it from the start",
          metadata: ["path": "\(path)", "identity": "\(identity)", "old_offset": "\(resume)"])
        counters.inodeReused.increment()
        offset = 0
      } else {
        offset = resume <= size ? resume : 0
      }
    } else if let startAt {
      offset = min(startAt, size)
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
    let kubernetes = KubernetesMetadata.parse(path: path)
    var format = config.format
    if format == .auto && kubernetes == nil { format = .plain }
    var t = Tracked(path: path, fd: fd, identity: identity, readOffset: offset, committed: offset, format: format)
    t.recordStart = offset
    t.lastModified = Int64(st.st_mtim.tv_sec) &* 1_000_000_000 &+ Int64(st.st_mtim.tv_nsec)
    if config.kubernetesMetadata, let kubernetes { t.fileFields = kubernetes.encodedFields(node: config.nodeName) }
    logger.info(
      "following file",
      metadata: ["path": "\(path)", "offset": "\(offset)", "identity": "\(identity)", "format": "\(format.rawValue)"])
    active[path] = t
    newlyOpened.append(path)
  }

  /// Directories whose changes should wake this source: those of files opened since the last
  /// call (where the name is, and where the file really is, for symlinks), and the fixed
  /// leading part of every include pattern (where new files appear).
  func directoriesToWatch() -> [String] {
    var dirs: [String] = []
    if firstWatch {
      firstWatch = false
      for pattern in config.include {
        var fixed: [Substring] = []
        for part in pattern.split(separator: "/", omittingEmptySubsequences: false) {
          if part.contains(where: { "*?[".contains($0) }) { break }
          fixed.append(part)
        }
        if fixed.count < pattern.split(separator: "/", omittingEmptySubsequences: false).count {
          let dir = fixed.joined(separator: "/")
          dirs.append(dir.isEmpty ? "/" : dir)
        } else if let slash = pattern.lastIndex(of: "/") {
          dirs.append(String(pattern[..<slash]))
        }
      }
    }
    for path in newlyOpened {
      if let slash = path.lastIndex(of: "/") { dirs.append(String(path[..<slash])) }
      if let real = realpath(path, nil) {
        let resolved = String(cString: real)
        free(real)
        if let slash = resolved.lastIndex(of: "/") { dirs.append(String(resolved[..<slash])) }
      }
    }
    newlyOpened.removeAll()
    return dirs
  }
  private var firstWatch = true

  /// Reads what every followed file has gained, as chunks of complete lines.
  /// - Parameter budget: stop after about this many bytes (to bound one poll's work).
  func poll(budget: Int = FileTailer.pollBudget) -> [SourceChunk] {
    var chunks: [SourceChunk] = []
    var used = 0
    // The least recently modified first: files found together (at start-up, or behind a slow
    // discovery) as `app.log.2`, `app.log.1` and `app.log` are read in the order they were
    // written.
    let paths = active.keys.sorted { a, b in
      let (ma, mb) = (active[a]!.lastModified, active[b]!.lastModified)
      return ma != mb ? ma < mb : Self.rotatedNameFirst(a, b)
    }
    let rotated = paths.filter { active[$0]!.renamed }
    let current = paths.filter { !active[$0]!.renamed }
    // Rotated files first: their lines are older than those of the file now under the name.
    // Of the current files, only what they held before the rotated ones were read is taken
    // now: a writer that finished a rotated file and moved on to the new one in between
    // would otherwise have its new lines shipped before its last old ones.
    var sizeBefore: [String: UInt64] = [:]
    if !draining.isEmpty || !rotated.isEmpty {
      for path in current {
        var st = stat()
        if fstat(active[path]!.fd, &st) == 0 { sizeBefore[path] = UInt64(st.st_size) }
      }
    }
    // Retired files (being drained) and rotated ones together, the least recently modified
    // first: a file retired in a discovery that missed its new name (a directory read racing
    // logrotate's renames) is no older for that than a rotated file still being caught up on.
    var older: [(modified: Int64, draining: Int?, path: String?)] =
      draining.indices.map { (draining[$0].lastModified, $0, nil) }
      + rotated.map { (active[$0]!.lastModified, nil, $0) }
    older.sort { $0.modified < $1.modified }
    var closed: [Int] = []
    for entry in older {
      if let k = entry.draining {
        var t = draining[k]
        let n = read(&t, into: &chunks, budget: max(budget - used, 0))
        used += n
        if n > 0 { t.idleSince = .now }
        if n == 0, let since = t.idleSince, ContinuousClock.now - since >= rotateWait {
          logger.info("closing rotated or removed file", metadata: ["path": "\(t.path)", "identity": "\(t.identity)"])
          close(t.fd)
          closed.append(k)
        }
        draining[k] = t
      } else if let path = entry.path, used < budget, var t = active[path] {
        used += read(&t, into: &chunks, budget: budget - used)
        active[path] = t
      }
    }
    for k in closed.sorted(by: >) { draining.remove(at: k) }
    for path in current {
      guard used < budget, var t = active[path] else { continue }
      var allowed = budget - used
      if let size = sizeBefore[path], size >= t.readOffset { allowed = min(allowed, Int(size - t.readOffset)) }
      used += read(&t, into: &chunks, budget: allowed)
      active[path] = t
    }
    var lag: UInt64 = 0
    for t in draining { lag += t.lastSize > t.readOffset ? t.lastSize - t.readOffset : 0 }
    for t in active.values { lag += t.lastSize > t.readOffset ? t.lastSize - t.readOffset : 0 }
    lagBytes = lag
    return chunks
  }

  /// The open files and their read offsets, to measure the lag while the source waits for
  /// the pipeline (the tailer does not run then, so the descriptors stay open).
  func lagProbe() -> LagProbe {
    LagProbe(files: (draining + Array(active.values)).map { ($0.fd, $0.readOffset) })
  }

  /// The order of two files modified at the same instant as the kernel's coarse clock tells it
  /// (a few milliseconds apart at most): by name, except that a name comes after its own
  /// extensions, so `app.log.1` — the file logrotate just renamed — is read before the
  /// `app.log` created after it. (Name order with the end of a name sorting last.)
  static func rotatedNameFirst(_ a: String, _ b: String) -> Bool {
    var i = a.utf8.makeIterator()
    var j = b.utf8.makeIterator()
    while true {
      switch (i.next(), j.next()) {
      case (let x?, let y?): if x != y { return x < y }
      case (nil, _?): return false
      case (_?, nil): return true
      case (nil, nil): return false
      }
    }
  }

  /// Reads `t` to its end, or `budget` bytes; returns the bytes read.
  private func read(_ t: inout Tracked, into chunks: inout [SourceChunk], budget: Int) -> Int {
    var st = stat()
    guard fstat(t.fd, &st) == 0 else { return 0 }
    let size = UInt64(st.st_size)
    let mtime = Int64(st.st_mtim.tv_sec) &* 1_000_000_000 &+ Int64(st.st_mtim.tv_nsec)
    // Checked when the file changed: in size, or (truncated and rewritten to the same size) in time.
    if (size != t.lastSize || mtime != t.lastModified) && isTruncated(t, size: size) {
      let recovered = recoverFromCopy(t, into: &chunks)
      // The old content is done with, up to here: a copy of it found later starts there.
      remember(head: t.head, of: t.path, consumedTo: recovered?.end ?? t.committed)
      counters.truncations.increment()
      if recovered == nil && t.lastSize > t.committed {
        // Bytes seen in the file but not read are gone with the truncation (a lower bound).
        counters.truncationLostBytes.increment(by: Int(t.lastSize - t.committed))
      }
      logger.warning(
        "file truncated; reading from the start",
        metadata: [
          "path": "\(t.path)", "was": "\(t.readOffset)", "now": "\(size)",
          "unread_taken_from": "\(recovered?.path ?? "nowhere: no rotated copy found")",
          "written_after_copy_bytes": "\(recovered?.captured ?? 0)",
        ])
      t.head.removeAll()
      lseek(t.fd, 0, SEEK_SET)
      t.readOffset = 0
      t.committed = 0
      t.partial.removeAll()
      t.overlong = false
      t.record = ContainerRecord()
      t.recordStart = 0
      t.joiner.clear()
    }
    t.lastSize = size
    t.lastModified = mtime
    if t.head.count < Self.headBytes && size > UInt64(t.head.count) { t.head = Self.readHead(t.fd, size: size) }
    var total = 0
    let startOffset = t.committed
    var chunk = newChunk(t)
    // About what this read will add to the chunk, so it is not regrown on the way.
    let expected = Int(clamping: min(size &- min(size, t.readOffset), UInt64(Self.chunkBytes + readBuffer.count)))
    chunk.data.reserveCapacity(expected)
    let maxLine = config.maxLineBytes.bytes
    while total < budget {
      let n = readBuffer.withUnsafeMutableBytes { Glibc.read(t.fd, $0.baseAddress, min($0.count, budget - total)) }
      if n < 0 {
        if errno == EINTR { continue }
        if errno != EAGAIN { counters.readErrors.increment() }
        break
      }
      if n == 0 { break }
      total += n
      readBuffer.withUnsafeBytes {
        consume(&t, UnsafeRawBufferPointer(rebasing: $0[0..<n]), into: &chunk, maxLine: maxLine)
      }
      if chunk.data.count >= Self.chunkBytes {
        chunks.append(chunk)
        chunk = newChunk(t)
        chunk.data.reserveCapacity(min(expected, Self.chunkBytes + readBuffer.count))
      }
    }
    let now = ContinuousClock.now
    // Idle timeouts apply only to a file read to its end (not one cut short by the budget).
    let idle = total == 0 && t.readOffset >= size
    if total > 0 {
      t.lastGrowth = now
    } else if idle, !t.partial.isEmpty, config.partialLineTimeout.nanoseconds > 0,
      now - t.lastGrowth >= config.partialLineTimeout.duration
    {
      // The writer left a line without its newline: ship it rather than hold it for ever.
      if emitLine(&t, into: &chunk, maxLine: maxLine) {
        t.recordStart = t.readOffset
        t.committed = t.joiner.start ?? t.recordStart
        chunk.endOffset = t.committed
      }
    }
    if idle, t.joiner.start != nil, let m = config.multiline, now - t.lastGrowth >= m.timeout.duration {
      // No next line came to end the multiline event: it is complete.
      flushPending(&t, into: &chunk)
      t.committed = t.recordStart
      chunk.endOffset = t.committed
    }
    // A chunk of only blank lines still moves the checkpoint.
    if !chunk.lineEnds.isEmpty || chunk.endOffset != startOffset { chunks.append(chunk) }
    if total > 0 { counters.bytesRead.increment(by: total) }
    return total
  }

  /// Cuts `bytes`, the next ones of `t` (at its read offset), into lines.
  private func consume(
    _ t: inout Tracked, _ bytes: UnsafeRawBufferPointer, into chunk: inout SourceChunk, maxLine: Int
  ) {
    let n = bytes.count
    let base = t.readOffset
    t.readOffset += UInt64(n)
    var start = 0
    while start < n {
      guard let nl = memchr(bytes.baseAddress! + start, 0x0A, n - start) else {
        appendPartial(&t, UnsafeRawBufferPointer(rebasing: bytes[start..<n]), maxLine)
        break
      }
      let end = UnsafeRawPointer(nl) - bytes.baseAddress!
      appendPartial(&t, UnsafeRawBufferPointer(rebasing: bytes[start..<end]), maxLine)
      if emitLine(&t, into: &chunk, maxLine: maxLine) {
        t.recordStart = base + UInt64(end) + 1
        t.committed = t.joiner.start ?? t.recordStart
        chunk.endOffset = t.committed
      }
      start = end + 1
    }
  }

  @inline(__always)
  /// Holds up to `maxLine` + 1 bytes of the current line: the extra byte may be the `\r` of
  /// a CRLF ending, which does not count against the limit (``emitLine`` decides).
  private func appendPartial(_ t: inout Tracked, _ bytes: UnsafeRawBufferPointer, _ maxLine: Int) {
    if t.overlong { return }
    let room = maxLine + 1 - t.partial.count
    if bytes.count <= room {
      t.partial.append(contentsOf: bytes)
    } else {
      t.partial.append(contentsOf: bytes[0..<room])
      t.overlong = true
    }
  }

  private func newChunk(_ t: Tracked) -> SourceChunk {
    var chunk = SourceChunk(sourceIndex: sourceIndex, path: t.path, identity: t.identity, endOffset: t.committed)
    chunk.fileFields = t.fileFields
    chunk.fingerprint = t.head.isEmpty ? nil : Fingerprint.of(t.head)
    return chunk
  }

  /// Ends the current physical line: emits it (or, for container logs, adds it to the record
  /// being joined). Returns whether a line or record is complete, i.e. whether the checkpoint
  /// may move past this line.
  private func emitLine(_ t: inout Tracked, into chunk: inout SourceChunk, maxLine: Int) -> Bool {
    defer {
      t.partial.removeAll(keepingCapacity: t.partial.capacity <= 64 * 1024)
      t.overlong = false
    }
    if !t.overlong, t.partial.last == 0x0D { t.partial.removeLast() }
    if t.partial.count > maxLine {
      // The byte of slack was content, not a CR: the line is longer than the limit.
      t.partial.removeLast(t.partial.count - maxLine)
      t.overlong = true
    }
    if t.format == .auto { t.format = detectFormat(t.partial) }
    switch t.format {
    case .plain, .auto:
      emit(&t, t.partial[...], truncated: t.overlong, stream: .none, time: [], into: &chunk)
      return true
    case .cri, .docker:
      let parsed: ContainerLine? = t.partial.withUnsafeBytes { raw in
        if t.format == .cri {
          guard let c = CRILine.parse(raw) else { return nil }
          t.record.append(UnsafeRawBufferPointer(rebasing: raw[c.content]), maxLine: maxLine)
          t.record.noteTime(UnsafeRawBufferPointer(rebasing: raw[c.time]))
          return c
        }
        dockerTime.removeAll(keepingCapacity: true)
        let c = t.record.appendInPlace(maxLine: maxLine) { content in
          docker.parse(raw, content: &content, time: &dockerTime)
        }
        if c != nil { t.record.noteTime(dockerTime) }
        return c
      }
      guard let c = parsed else {
        // Not in the runtime's format: shipped as it is (after any record being joined).
        counters.malformedLines.increment()
        if warnedMalformed.insert(t.path).inserted {
          logger.warning(
            "line not in the file's container log format; shipped as it is (counted in sluice_source_malformed_lines_total)",
            metadata: ["path": "\(t.path)", "format": "\(t.format.rawValue)"])
        }
        flushRecord(&t, into: &chunk, stream: t.record.stream)
        emit(&t, t.partial[...], truncated: t.overlong, stream: .none, time: [], into: &chunk)
        return true
      }
      if t.overlong { t.record.markOverlong() }
      t.record.stream = c.stream
      if c.isPartial { return false }
      flushRecord(&t, into: &chunk, stream: c.stream)
      return true
    }
  }

  /// The first line tells a container runtime's format.
  private func detectFormat(_ line: [UInt8]) -> LineFormat {
    line.withUnsafeBytes { raw in
      if CRILine.parse(raw) != nil { return .cri }
      var content: [UInt8] = []
      var time: [UInt8] = []
      if raw.first == UInt8(ascii: "{"), docker.parse(raw, content: &content, time: &time) != nil { return .docker }
      return .plain
    }
  }

  private func flushRecord(_ t: inout Tracked, into chunk: inout SourceChunk, stream: ContainerStream) {
    guard !t.record.isEmpty else { return }
    emit(&t, t.record.bytes[...], truncated: t.record.overlong, stream: stream, time: t.record.time, into: &chunk)
    t.record.reset()
  }

  /// One logical line: straight into the chunk, or through multiline joining.
  private func emit(
    _ t: inout Tracked, _ line: ArraySlice<UInt8>, truncated: Bool, stream: ContainerStream, time: [UInt8],
    into chunk: inout SourceChunk
  ) {
    if line.isEmpty || line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) {
      counters.droppedEmpty.increment()
      return
    }
    guard let multiline, let m = config.multiline else {
      append(line, truncated: truncated, stream: stream, time: time, into: &chunk)
      return
    }
    t.joiner.add(
      line, truncated: truncated, stream: stream, time: time, startingAt: t.recordStart, matcher: multiline,
      maxLines: m.maxLines, maxBytes: m.maxBytes?.bytes ?? config.maxLineBytes.bytes
    ) { event, truncated, stream, time in
      append(event, truncated: truncated, stream: stream, time: time, into: &chunk)
    }
  }

  private func flushPending(_ t: inout Tracked, into chunk: inout SourceChunk) {
    t.joiner.flush { event, truncated, stream, time in
      append(event, truncated: truncated, stream: stream, time: time, into: &chunk)
    }
  }

  private func append(
    _ line: ArraySlice<UInt8>, truncated: Bool, stream: ContainerStream, time: [UInt8], into chunk: inout SourceChunk
  ) {
    if truncated {
      chunk.truncatedLines.append(chunk.lineEnds.count)
      counters.truncated.increment()
    }
    chunk.data.append(contentsOf: line)
    chunk.lineEnds.append(chunk.data.count)
    if stream != .none || !chunk.streams.isEmpty {
      // Keep the per-line arrays aligned with the lines once a chunk has any.
      while chunk.streams.count < chunk.lineEnds.count - 1 {
        chunk.streams.append(0)
        chunk.timeEnds.append(chunk.times.count)
      }
      chunk.streams.append(stream.rawValue)
      chunk.times.append(contentsOf: time)
      chunk.timeEnds.append(chunk.times.count)
    }
  }

  /// Whether the file behind `t` was truncated (or truncated and rewritten) since it was read.
  private func isTruncated(_ t: Tracked, size: UInt64) -> Bool {
    if size < t.readOffset { return true }
    guard !t.head.isEmpty, size >= UInt64(t.head.count) else { return false }
    return Self.readHead(t.fd, size: UInt64(t.head.count)) != t.head
  }

  static func readHead(_ fd: Int32, size: UInt64) -> [UInt8] {
    let n = Int(min(size, UInt64(headBytes)))
    var head = [UInt8](repeating: 0, count: n)
    let got = head.withUnsafeMutableBytes { pread(fd, $0.baseAddress, n, 0) }
    if got < n { head.removeLast(n - max(got, 0)) }
    return head
  }

  /// After a copytruncate: reads what `t` had not yet read from the rotated copy — a sibling
  /// named `<name>.<suffix>` or `<name>-<suffix>`, not compressed, at least as long as what
  /// was committed, and starting with the same bytes — then what the ``CopyTruncateCapture``
  /// caught past that point (written after the copy, before the truncation). Returns where the
  /// unread bytes came from, the old content's offset read to, and the captured bytes shipped;
  /// nil if neither had anything.
  private func recoverFromCopy(
    _ t: Tracked, into chunks: inout [SourceChunk]
  ) -> (path: String, end: UInt64, captured: Int)? {
    guard !t.head.isEmpty else { return nil }
    let before = chunks.count
    var copy = t
    copy.readOffset = t.committed
    copy.partial.removeAll()
    copy.overlong = false
    copy.record = ContainerRecord()
    copy.recordStart = t.committed
    copy.joiner.clear()
    var from: String?
    if let (path, fd, identity, size) = openCopy(of: t) {
      copy.path = path
      copy.fd = fd
      copy.identity = identity
      copy.lastSize = size
      lseek(fd, off_t(t.committed), SEEK_SET)
      _ = read(&copy, into: &chunks, budget: .max)
      close(fd)
      from = path
    }
    let end = copy.readOffset
    var tail = newChunk(copy)
    var capturedBytes = 0
    // What was written after the copy (or after this tailer's last read, when that was past
    // the copy's end) and before the truncation, if the watcher's thread caught it: it
    // continues the old content.
    if let captured = capture?.take(t.identity), captured.start <= end,
      end < captured.start + UInt64(captured.bytes.count),
      captured.head.elementsEqual(t.head.prefix(captured.head.count))
    {
      let skip = Int(end - captured.start)
      captured.bytes.withUnsafeBytes {
        consume(&copy, UnsafeRawBufferPointer(rebasing: $0[skip...]), into: &tail, maxLine: config.maxLineBytes.bytes)
      }
      capturedBytes = captured.bytes.count - skip
      counters.truncationCapturedBytes.increment(by: capturedBytes)
    }
    guard from != nil || capturedBytes > 0 else { return nil }
    if !copy.partial.isEmpty {
      // The old content ends inside a line whose rest went to the truncated file: ship the part.
      _ = emitLine(&copy, into: &tail, maxLine: config.maxLineBytes.bytes)
    }
    flushPending(&copy, into: &tail)  // the old content is complete: so is its last event
    if !tail.lineEnds.isEmpty {
      tail.endOffset = end  // the copy's (or the old content's) own offsets end there
      chunks.append(tail)
    }
    var lines = 0
    for c in chunks[before...] { lines += c.lineCount }
    counters.truncationRecoveredLines.increment(by: lines)
    return (from ?? "the bytes caught before the truncation", end, capturedBytes)
  }

  /// The rotated copy of `t`'s content, open: a sibling named `<name>.<suffix>` or
  /// `<name>-<suffix>`, not compressed, at least as long as what was committed, starting with
  /// the same bytes.
  private func openCopy(of t: Tracked) -> (path: String, fd: Int32, identity: FileIdentity, size: UInt64)? {
    guard let slash = t.path.lastIndex(of: "/") else { return nil }
    let dir = String(t.path[..<slash])
    let name = String(t.path[t.path.index(after: slash)...])
    for entry in Glob.entries(dir.isEmpty ? "/" : dir).sorted()
    where entry != name && (entry.hasPrefix(name + ".") || entry.hasPrefix(name + "-"))
      && !CopyTruncateCapture.compressed.contains(where: { entry.hasSuffix($0) })
    {
      let path = dir + "/" + entry
      let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
      guard fd >= 0 else { continue }
      var st = stat()
      guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, UInt64(st.st_size) >= t.committed,
        Self.readHead(fd, size: UInt64(t.head.count)) == t.head
      else {
        close(fd)
        continue
      }
      return (path, fd, FileIdentity(device: UInt64(st.st_dev), inode: UInt64(st.st_ino)), UInt64(st.st_size))
    }
    return nil
  }

  // MARK: - Rotated copies

  /// Whether `candidate` is named like a rotated copy of `original`: in the same directory,
  /// `<name>.<suffix>` or `<name>-<suffix>` (logrotate's numbered and `dateext` names).
  static func isRotatedName(_ candidate: String, of original: String) -> Bool {
    guard let slash = original.lastIndex(of: "/") else { return false }
    let dir = original[...slash]
    guard candidate.hasPrefix(dir) else { return false }
    let name = candidate[candidate.index(candidate.startIndex, offsetBy: dir.count)...]
    let base = original[original.index(after: slash)...]
    return !name.contains("/") && (name.hasPrefix(base + ".") || name.hasPrefix(base + "-"))
  }

  /// Remembers that the content of `path` that began with `head` was consumed up to `offset`
  /// (it was truncated: `copytruncate`), so that its rotated copy is not read again.
  private func remember(head: [UInt8], of path: String, consumedTo offset: UInt64) {
    guard !head.isEmpty else { return }
    var list = consumed[path, default: []]
    list.append((head, offset))
    if list.count > Self.consumedPerFile { list.removeFirst(list.count - Self.consumedPerFile) }
    consumed[path] = list
  }

  /// What to do with a file seen for the first time that may be a rotated copy of a followed
  /// one (`copytruncate` with globs that also match the copies, e.g. `app.log*`):
  /// - `.inProgress`: it starts with the same bytes as a followed file it is named after, or
  ///   with a part of them (it may still be empty) — logrotate is copying it. It is left alone; after the truncation its unread tail is
  ///   taken from it (``recoverFromCopy(_:into:)``) and it is followed from there.
  /// - `.consumed(offset)`: it starts with the bytes of content already read up to `offset`
  ///   before a truncation: it is followed from there.
  /// - nil: an unrelated file.
  /// Files are compared on their first bytes (up to ``headBytes``); see docs/sources.md for
  /// the limit this implies.
  func copyStatus(of path: String) -> CopyStatus? {
    let originals =
      active.keys.filter { Self.isRotatedName(path, of: $0) }
      + consumed.keys.filter { Self.isRotatedName(path, of: $0) && active[$0] == nil }
    guard !originals.isEmpty else { return nil }
    let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var heads: [Int: [UInt8]] = [:]
    func head(_ n: Int) -> [UInt8] {
      if let h = heads[n] { return h }
      let h = Self.readHead(fd, size: UInt64(n))
      heads[n] = h
      return h
    }
    for original in originals {
      if let t = active[original], !t.head.isEmpty {
        // The same first bytes, or fewer of them (an empty or half-written copy).
        let h = head(t.head.count)
        if h.elementsEqual(t.head.prefix(h.count)) { return .inProgress }
      }
      for (h, offset) in consumed[original, default: []].reversed() where head(h.count) == h {
        return .consumed(offset)
      }
    }
    return nil
  }

  enum CopyStatus: Equatable {
    case inProgress
    case consumed(UInt64)
  }

  static func identity(ofPath path: String) -> FileIdentity? {
    var st = stat()
    guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { return nil }
    return FileIdentity(device: UInt64(st.st_dev), inode: UInt64(st.st_ino))
  }
}

/// Bytes between each file's read offset and its current end, measured with `fstat` — valid
/// only while the tailer that made it is not polling (it may close the descriptors).
struct LagProbe: Sendable {
  let files: [(fd: Int32, offset: UInt64)]

  func measure() -> UInt64 {
    var lag: UInt64 = 0
    for f in files {
      var st = stat()
      if fstat(f.fd, &st) == 0, UInt64(st.st_size) > f.offset { lag += UInt64(st.st_size) - f.offset }
    }
    return lag
  }
}
