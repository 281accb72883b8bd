import Foundation
import Synchronization

/// What ``DiskBuffer/append(payload:eventCount:)`` does when the buffer is full.
public enum OverflowPolicy: String, Sendable, Codable, CaseIterable {
  /// Wait until acknowledgements free space (or the buffer closes).
  case block
  /// Discard the oldest records that no sender holds, whole, until the new one fits.
  case dropOldest = "drop_oldest"
  /// Refuse the new record.
  case dropNewest = "drop_newest"
}

/// A sink's write-ahead buffer on disk, for at-least-once delivery across restarts.
///
/// Batches are appended to segment files in `directory`; once ``append(payload:eventCount:)``
/// returns `.stored` the buffer owns the batch (after ``sync()`` even across a power cut),
/// so the source checkpoint may move past its events. Sender tasks take records with
/// ``next()``, deliver them and ``acknowledge(_:)`` them, in any order. Acknowledged
/// records are never handed out again, not even after a restart; every other record is,
/// in order, when the buffer is next opened.
///
/// On disk (formats in ``BufferFraming``): segment files `NNNNNNNNNNNNNNNNNNNN.seg`,
/// rolled once the next record would take one past `segmentBytes`, and `ack.pos`, which
/// records what is acknowledged: every record before a position, plus the ranges
/// acknowledged out of order past it. It is replaced (write, rename) whenever that
/// changes, without fsync: after a power cut it can be older than it was, or unreadable,
/// and then records are delivered twice, never lost. Segments whose records are all
/// acknowledged (or dropped) are deleted once `ack.pos` says so.
///
/// Opening checks every record past the acknowledged position (see ``Recovery``). Appends
/// then go to a new segment: files from before are only read, cut short, or have a bad
/// record stepped over (and marked acknowledged in `ack.pos`).
///
/// Memory: records are read back from the files with `pread` when a sender takes them;
/// the buffer keeps a few counters per segment and one entry per record taken and not yet
/// part of the acknowledged prefix, never the payloads of stored records.
///
/// Capacity: ``bytesUsed`` (the framed size of the records not yet acknowledged) stays
/// within `maxBytes`, with two exceptions that keep the buffer from deadlocking:
/// - a record larger than `maxBytes` is stored when the buffer is empty (`block` waits
///   for that; `dropNewest` refuses it otherwise; `dropOldest` drops what it may first);
/// - with `dropOldest`, when even after dropping every record no sender holds the new one
///   does not fit, it is stored anyway: the excess is what the senders hold.
/// The files themselves can take up to about one segment more, as acknowledged records
/// stay on disk until their whole segment is done.
///
/// Thread safety: any number of tasks may append, take, acknowledge and release at once
/// (the agent has one appender and one or more senders). Waiting appends and takes
/// suspend on continuations, served first come, first served.
public final class DiskBuffer: Sendable {
  /// Where a record starts: its segment and byte offset. Ids order as records do on disk.
  public struct RecordID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var segment: UInt64
    public var offset: UInt64

    public init(segment: UInt64, offset: UInt64) {
      self.segment = segment
      self.offset = offset
    }

    public static func < (a: RecordID, b: RecordID) -> Bool { (a.segment, a.offset) < (b.segment, b.offset) }

    public var description: String { "\(segment):\(offset)" }
  }

  /// A stored batch, as a sender gets it.
  public struct Record: Sendable {
    public let id: RecordID
    public let payload: [UInt8]
    public let eventCount: Int
  }

  /// What became of an appended batch.
  public enum AppendResult: Equatable, Sendable {
    /// The buffer owns the batch. With `dropOldest`, older records were discarded to make
    /// room (both counts are 0 otherwise).
    case stored(droppedOldestRecords: Int, droppedOldestEvents: Int)
    /// `dropNewest` and no room: the batch was not stored; its events are lost.
    case droppedNewest
    /// The buffer is closed (or the appending task was cancelled while waiting for
    /// room): the batch was not stored.
    case closed
  }

  /// What opening the buffer found and repaired. Damage is never fatal: the bad bytes are
  /// cut off (or stepped over) and counted, and everything that checks out is replayed.
  public struct Recovery: Sendable, Equatable, CustomStringConvertible {
    /// Segments that ended in an incomplete record (a write cut short by a crash), or in
    /// zero fill; each is truncated at its last complete record.
    public var tornTails = 0
    /// Records whose header or checksum did not verify. A corrupt record is stepped over
    /// when the record after it checks out; otherwise its segment is truncated there.
    public var corruptRecords = 0
    /// Bytes given up: torn tails, corrupt records, and what followed a corrupt record
    /// that could not be stepped over.
    public var bytesDiscarded = 0
    /// `ack.pos` was missing (with segments present) or unreadable: every record on disk
    /// is replayed, including some that were already delivered.
    public var ackPositionLost = false
    /// Unacknowledged records (and their events) found on disk, to be replayed.
    public var records = 0
    public var events = 0

    public var isClean: Bool { tornTails == 0 && corruptRecords == 0 && bytesDiscarded == 0 && !ackPositionLost }

    public var description: String {
      "\(records) records (\(events) events) to replay; \(tornTails) torn tails, \(corruptRecords) corrupt records, "
        + "\(bytesDiscarded) bytes discarded\(ackPositionLost ? ", acknowledgement position lost" : "")"
    }
  }

  /// The acknowledgement file's name inside the buffer directory.
  public static let ackFileName = "ack.pos"

  public let directory: URL
  public let maxBytes: Int
  public let segmentBytes: Int
  public let policy: OverflowPolicy
  /// What opening the buffer found.
  public let recovery: Recovery

  private let path: String
  private let state: Mutex<State>
  private let writer: Mutex<Writer>
  private let ackWriter: Mutex<AckWriter>
  private let waiterIDs = Atomic<UInt64>(0)

  /// `<dataDirectory>/buffer/<sink>`, with the sink name made safe as one path component
  /// (bytes other than letters, digits, `-`, `_` and non-leading `.` are written `%XX`).
  public static func directory(dataDirectory: URL, sink: String) -> URL {
    var name = ""
    for (k, byte) in sink.utf8.enumerated() {
      let c = Character(Unicode.Scalar(byte))
      if (c.isASCII && (c.isLetter || c.isNumber)) || c == "-" || c == "_" || (c == "." && k > 0) {
        name.append(c)
      } else {
        name += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
      }
    }
    return dataDirectory.appendingPathComponent("buffer").appendingPathComponent(name.isEmpty ? "%" : name)
  }

  /// Opens (or creates) the buffer in `directory`, checking and repairing what is there.
  /// - Throws: ``DiskBufferError`` when the directory or a segment cannot be created,
  ///   listed, opened or read (damaged contents are repaired and reported in ``recovery``).
  public init(directory: URL, maxBytes: Int, segmentBytes: Int = 8 << 20, policy: OverflowPolicy) throws {
    precondition(maxBytes > 0 && segmentBytes > 0, "buffer sizes must be positive")
    self.directory = directory
    self.maxBytes = maxBytes
    self.segmentBytes = segmentBytes
    self.policy = policy
    let path = directory.path
    self.path = path
    do {
      try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    } catch {
      throw DiskBufferError("cannot create the buffer directory \(path): \(error)")
    }

    var recovery = Recovery()
    let ackPath = path + "/" + Self.ackFileName
    let ackExists = FileManager.default.fileExists(atPath: ackPath)
    let ack = ackExists ? Self.readAckFile(ackPath) : nil
    let ids = try SegmentFile.list(directory: path)
    if ack == nil && (ackExists || !ids.isEmpty) { recovery.ackPositionLost = true }
    let start = ack?.position ?? RecordID(segment: 0, offset: 0)
    var acknowledged = (ack?.ranges ?? []).filter { $0.upperBound > start }

    var segments: [Segment] = []
    var scratch: [UInt8] = []
    for id in ids {
      let file = SegmentFile.path(path, id)
      if id < start.segment {
        unlink(file)  // fully acknowledged; left behind by a stop between ack.pos and the unlink
        continue
      }
      let from = id == start.segment ? Int(clamping: start.offset) : 0
      let found = try SegmentFile.scan(
        path: file, segment: id, from: from, acknowledged: acknowledged, scratch: &scratch)
      recovery.tornTails += found.tornTail ? 1 : 0
      recovery.corruptRecords += found.corruptRecords
      recovery.bytesDiscarded += found.bytesDiscarded
      if !found.skipped.isEmpty {
        acknowledged = (acknowledged + found.skipped).sorted { $0.lowerBound < $1.lowerBound }
      }
      guard found.records > 0 else {
        unlink(file)
        continue
      }
      recovery.records += found.records
      recovery.events += found.events
      segments.append(
        Segment(
          id: id, size: found.size, sealed: true, unreadRecords: found.records, unreadEvents: found.events,
          unreadBytes: found.bytes))
    }
    unlink(ackPath + ".tmp")
    self.recovery = recovery

    var s = State(maxBytes: maxBytes, directory: path, segments: segments, cursor: start, recoveredAcks: acknowledged)
    s.unackedRecords = recovery.records
    s.unackedEvents = recovery.events
    s.unackedBytes = segments.reduce(0) { $0 + $1.unreadBytes }
    s.ackDirty = !recovery.isClean || !ackExists  // a missing file must mean a lost one from now on
    state = Mutex(s)
    writer = Mutex(Writer(nextSegment: max(ids.last ?? 0, start.segment) + 1))
    ackWriter = Mutex(AckWriter())
    persistAcknowledgements()  // repaired damage is not reported twice
  }

  deinit {
    writer.withLock { w in
      if w.fd >= 0 { closeDescriptor(w.fd) }
    }
  }

  // MARK: - Appending

  /// Stores a batch at the end of the buffer.
  ///
  /// When the buffer is full, `policy` decides: `block` suspends until acknowledgements
  /// free room (the buffer closing, or the task being cancelled, ends the wait with
  /// `.closed`); `dropOldest` discards old records first and says how many; `dropNewest`
  /// refuses this batch. Nothing is fsynced: call ``sync()`` before relying on the batch
  /// surviving a power cut (it survives the agent being killed once this returns).
  /// - Throws: ``DiskBufferError`` if the payload or count exceeds 2³² − 1, or the write
  ///   fails (the disk is full, say); the batch is then not stored.
  public func append(payload: [UInt8], eventCount: Int) async throws -> AppendResult {
    guard payload.count <= BufferFraming.maxPayloadLength, (0...BufferFraming.maxEventCount).contains(eventCount)
    else {
      throw DiskBufferError("a buffered batch holds at most 4 GiB and 2^32 - 1 events")
    }
    let frame = BufferFraming.headerSize + payload.count
    let dropped: (records: Int, events: Int)
    switch await admit(frame) {
    case .closed: return .closed
    case .droppedNewest: return .droppedNewest
    case .admitted(let records, let events):
      dropped = (records, events)
      if records > 0 { persistAcknowledgements() }
    }
    let stored: Bool
    do {
      stored = try write(payload, eventCount: eventCount, frame: frame)
    } catch {
      state.withLock { s in
        s.reservedBytes -= frame
        s.serviceAppenders()
      }
      throw error
    }
    guard stored else {
      state.withLock { s in
        s.reservedBytes -= frame
        s.serviceAppenders()
      }
      return .closed
    }
    persistAcknowledgements()  // a segment sealed by this append may be done with
    return .stored(droppedOldestRecords: dropped.records, droppedOldestEvents: dropped.events)
  }

  /// Reserves room for a frame per the overflow policy, waiting if it says so.
  private func admit(_ frame: Int) async -> Admission {
    let id = waiterIDs.add(1, ordering: .relaxed).newValue
    return await withTaskCancellationHandler {
      await withCheckedContinuation { (c: CheckedContinuation<Admission, Never>) in
        state.withLock { s in
          if s.closed {
            c.resume(returning: .closed)
          } else if s.appenders.isEmpty && s.fits(frame) {
            s.reservedBytes += frame
            c.resume(returning: .admitted(records: 0, events: 0))
          } else {
            switch policy {
            case .dropNewest:
              c.resume(returning: .droppedNewest)
            case .dropOldest:
              let dropped = s.dropOldest(toFit: frame)
              s.reservedBytes += frame
              c.resume(returning: .admitted(records: dropped.records, events: dropped.events))
            case .block:
              if Task.isCancelled {
                c.resume(returning: .closed)
              } else {
                s.appenders.append((id, frame, c))
              }
            }
          }
        }
      }
    } onCancel: {
      state.withLock { s in
        guard let k = s.appenders.firstIndex(where: { $0.id == id }) else { return }
        s.appenders.remove(at: k).continuation.resume(returning: .closed)
        s.serviceAppenders()  // the next in line may fit now
      }
    }
  }

  /// Writes one admitted frame and publishes it; false if the buffer closed meanwhile.
  private func write(_ payload: [UInt8], eventCount: Int, frame: Int) throws -> Bool {
    try payload.withUnsafeBytes { body in
      let header = BufferFraming.encodeHeader(payload: body, eventCount: eventCount)
      return try writer.withLock { w throws -> Bool in
        if w.closed { return false }
        if w.fd < 0 || w.needsRoll || (w.size > 0 && w.size + frame > segmentBytes) { try roll(&w) }
        let start = w.size
        let code = header.withUnsafeBytes { SegmentFile.write(w.fd, header: $0, payload: body) }
        if code != 0 {
          if ftruncate(w.fd, off_t(start)) != 0 { w.needsRoll = true }  // never append after a partial frame
          throw DiskBufferError.posix("cannot append to \(SegmentFile.path(path, w.segment))", code)
        }
        w.size += frame
        let written = BufferFraming.Header(payloadLength: body.count, eventCount: eventCount, checksum: 0)
        state.withLock { s in s.commit(segment: w.segment, offset: start, header: written) }
        return true
      }
    }
  }

  /// Seals the current segment (fsyncing it, as ``sync()`` only covers the newest) and
  /// starts the next.
  private func roll(_ w: inout Writer) throws {
    if w.fd >= 0 {
      if fsync(w.fd) != 0 && w.deferredError == nil {
        w.deferredError = .posix("cannot fsync \(SegmentFile.path(path, w.segment))")
      }
      closeDescriptor(w.fd)
      w.fd = -1
    }
    while true {
      let id = w.nextSegment
      w.nextSegment += 1
      let fd = open(SegmentFile.path(path, id), O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0o644)
      if fd < 0 && errno == EEXIST { continue }  // a stray file with this name: skip the id
      guard fd >= 0 else { throw DiskBufferError.posix("cannot create \(SegmentFile.path(path, id))") }
      w.fd = fd
      w.segment = id
      w.size = 0
      w.needsRoll = false
      w.directoryDirty = true
      return
    }
  }

  /// Makes every stored record durable: fsyncs the current segment and, after a new
  /// segment was started, the directory. Call it before saving source checkpoints.
  /// - Throws: ``DiskBufferError`` if an fsync failed, here or when a segment was sealed.
  public func sync() throws {
    try writer.withLock { w throws in
      if let error = w.deferredError {
        w.deferredError = nil
        throw error
      }
      if w.fd >= 0 && fsync(w.fd) != 0 {
        throw DiskBufferError.posix("cannot fsync \(SegmentFile.path(path, w.segment))")
      }
      if w.directoryDirty {
        guard SegmentFile.syncDirectory(path) else { throw DiskBufferError.posix("cannot fsync \(path)") }
        w.directoryDirty = false
      }
    }
  }

  // MARK: - Sending

  /// The next record no sender has taken, oldest first, read from disk; waits for one.
  ///
  /// Returns nil once the buffer is closed and every record was taken (at once with
  /// `close(drain: false)`), or when the calling task is cancelled while waiting. A record
  /// whose bytes no longer check out when read is skipped and counted in
  /// ``unreadableRecords``.
  public func next() async -> Record? {
    while let taken = await take() {
      if let payload = taken.reader.payload(taken.header, at: Int(taken.id.offset)) {
        return Record(id: taken.id, payload: payload, eventCount: taken.header.eventCount)
      }
      state.withLock { s in s.discardTaken(taken.id) }
      persistAcknowledgements()
    }
    return nil
  }

  private func take() async -> Taken? {
    let id = waiterIDs.add(1, ordering: .relaxed).newValue
    return await withTaskCancellationHandler {
      await withCheckedContinuation { (c: CheckedContinuation<Taken?, Never>) in
        state.withLock { s in
          if s.closed && !s.drain {
            c.resume(returning: nil)
          } else if let taken = s.take() {
            c.resume(returning: taken)
          } else if s.closed || Task.isCancelled {
            c.resume(returning: nil)
          } else {
            s.readers.append((id, c))
          }
        }
      }
    } onCancel: {
      state.withLock { s in
        guard let k = s.readers.firstIndex(where: { $0.id == id }) else { return }
        s.readers.remove(at: k).continuation.resume(returning: nil)
      }
    }
  }

  /// Marks a record delivered: it is never handed out again, not after a restart either.
  /// Acknowledgements may come in any order; unknown or repeated ids are ignored.
  public func acknowledge(_ id: RecordID) {
    if state.withLock({ s in s.acknowledge(id) }) { persistAcknowledgements() }
  }

  /// Gives back a record taken with ``next()`` that could not be delivered (the agent is
  /// stopping, say). It stays unacknowledged and is replayed after a restart, but is not
  /// handed out again by this buffer. Until then it holds its place in ``bytesUsed`` and
  /// keeps the acknowledged position (and its segment) where they are, so release records
  /// only when stopping; `dropOldest` may discard released records first.
  public func release(_ id: RecordID) {
    state.withLock { s in s.release(id) }
  }

  /// Closes the buffer: appends (waiting or not) return `.closed`; with `drain`, ``next()``
  /// goes on returning the records not yet taken and then nil, without it returns nil at
  /// once. Acknowledgements and releases still count. Does not fsync: call ``sync()``
  /// first for that.
  public func close(drain: Bool = true) {
    state.withLock { s in
      guard !s.closed else { return }
      s.closed = true
      s.drain = drain
      for reader in s.readers { reader.continuation.resume(returning: nil) }
      s.readers.removeAll()
      s.serviceAppenders()
    }
    writer.withLock { w in
      if w.fd >= 0 { closeDescriptor(w.fd) }
      w.fd = -1
      w.closed = true
    }
  }

  // MARK: - Gauges

  /// Bytes on disk (headers included) of the records not yet acknowledged or dropped.
  public var bytesUsed: Int { state.withLock { $0.unackedBytes } }
  /// Events in the records not yet acknowledged or dropped (taken ones included).
  public var pendingEvents: Int { state.withLock { $0.unackedEvents } }
  /// Records not yet acknowledged or dropped (taken ones included).
  public var pendingRecords: Int { state.withLock { $0.unackedRecords } }
  /// Records taken by senders and neither acknowledged nor released.
  public var inFlightRecords: Int { state.withLock { $0.inFlight } }
  /// Records (and their events) that were stored but failed their checks when read back,
  /// and so were skipped (a disk going bad, or a file changed behind the buffer's back).
  public var unreadableRecords: (records: Int, events: Int) {
    state.withLock { ($0.unreadableRecords, $0.unreadableEvents) }
  }

  /// Every record before this one is acknowledged (what `ack.pos` holds, past ranges aside).
  var acknowledgedPosition: RecordID { state.withLock { $0.ackPosition } }
  /// Ids of the segments holding records not yet done with.
  var segmentIDs: [UInt64] { state.withLock { $0.segments.map(\.id) } }
  var waitingAppenders: Int { state.withLock { $0.appenders.count } }
  var waitingReaders: Int { state.withLock { $0.readers.count } }

  // MARK: - The acknowledgement file

  /// Rewrites `ack.pos` if acknowledgements moved, then deletes the segments it made
  /// unnecessary. One caller at a time writes; a caller that finds another at it leaves
  /// its change to that one, which takes a new snapshot before it stops (so concurrent
  /// senders share writes, and the file only moves forward).
  private func persistAcknowledgements() {
    let mine = state.withLock { s in
      guard s.ackDirty, !s.ackWriting else { return false }
      s.ackWriting = true
      return true
    }
    guard mine else { return }
    while true {
      let snapshot = state.withLock { s in
        let snapshot = s.ackSnapshot()
        if snapshot == nil { s.ackWriting = false }
        return snapshot
      }
      guard let snapshot else { return }
      let written = writeAckFile(BufferFraming.encode(snapshot.file))
      ackWriter.withLock { a in
        a.pendingUnlinks += snapshot.doomed
        guard written else { return }
        for id in a.pendingUnlinks { unlink(SegmentFile.path(path, id)) }
        a.pendingUnlinks.removeAll()
      }
      if !written {
        state.withLock { s in
          s.ackDirty = true  // retried with the next acknowledgement
          s.ackWriting = false
        }
        return
      }
    }
  }

  private func writeAckFile(_ bytes: [UInt8]) -> Bool {
    let target = path + "/" + Self.ackFileName
    let temporary = target + ".tmp"
    let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    guard fd >= 0 else { return false }
    let written = bytes.withUnsafeBytes {
      SegmentFile.write(fd, header: $0, payload: UnsafeRawBufferPointer(start: nil, count: 0))
    }
    closeDescriptor(fd)
    guard written == 0, rename(temporary, target) == 0 else {
      unlink(temporary)
      return false
    }
    return true
  }

  private static func readAckFile(_ path: String) -> BufferFraming.AckFile? {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    defer { closeDescriptor(fd) }
    var st = stat()
    guard fstat(fd, &st) == 0, st.st_size <= 1 << 26 else { return nil }
    var bytes = [UInt8](repeating: 0, count: Int(st.st_size))
    let n = bytes.withUnsafeMutableBytes { SegmentFile.read(fd, into: $0, at: 0) }
    guard n == bytes.count else { return nil }
    return bytes.withUnsafeBytes { BufferFraming.decodeAck($0) }
  }
}

// MARK: - Internal state

extension DiskBuffer {
  /// A segment holding records not yet done with.
  struct Segment {
    let id: UInt64
    /// Bytes written (the next record's offset).
    var size: Int
    /// No more records will be written to it.
    var sealed: Bool
    /// Records not yet taken or dropped (acknowledged-before-restart ones not counted).
    var unreadRecords = 0
    var unreadEvents = 0
    var unreadBytes = 0
    /// Opened when the first record is taken from it.
    var reader: SegmentReader? = nil

    var end: RecordID { RecordID(segment: id, offset: UInt64(size)) }
  }

  /// A stretch of records between the acknowledged position and the read cursor: one
  /// record taken by a sender, or a run of records done with (merged).
  struct Entry {
    enum Status { case inFlight, released, done }
    var start: RecordID
    var end: RecordID
    var status: Status
    /// The record's framed size and events, while not done.
    var bytes: Int
    var events: Int
  }

  /// A record handed to a sender, before its payload is read.
  struct Taken: Sendable {
    var id: RecordID
    var header: BufferFraming.Header
    var reader: SegmentReader
  }

  enum Admission: Sendable {
    case admitted(records: Int, events: Int)
    case droppedNewest
    case closed
  }

  /// The appending side: the open segment.
  struct Writer {
    var fd: Int32 = -1
    var segment: UInt64 = 0
    var size = 0
    var nextSegment: UInt64
    /// A failed write could not be undone: start a new segment.
    var needsRoll = false
    /// A segment was created since the directory was last fsynced.
    var directoryDirty = false
    /// An fsync of a sealed segment failed; ``DiskBuffer/sync()`` reports it.
    var deferredError: DiskBufferError? = nil
    var closed = false
  }

  /// Owned by the caller writing `ack.pos`.
  struct AckWriter {
    /// Segments done with, to delete once `ack.pos` says so.
    var pendingUnlinks: [UInt64] = []
  }

  /// Everything shared between appenders and senders.
  ///
  /// Records fall in three stretches: before ``ackPosition`` (done), the window (from there
  /// to the read cursor: taken records and runs of done ones), and past the cursor (not
  /// yet taken, known only through per-segment counters and the files).
  struct State {
    let maxBytes: Int
    let directory: String
    var segments: [Segment]
    /// Where the next record to take starts.
    var cursor: RecordID
    /// Records acknowledged before the restart, past the acknowledged position, not yet
    /// reached by the cursor.
    var recoveredAcks: [Range<RecordID>]
    var window: [Entry] = []
    var head = 0
    var unackedBytes = 0
    var unackedRecords = 0
    var unackedEvents = 0
    /// Room promised to appends that are writing.
    var reservedBytes = 0
    var inFlight = 0
    var closed = false
    var drain = true
    var readers: [(id: UInt64, continuation: CheckedContinuation<Taken?, Never>)] = []
    var appenders: [(id: UInt64, frame: Int, continuation: CheckedContinuation<Admission, Never>)] = []
    /// The acknowledged position or ranges moved, or a segment may be deletable.
    var ackDirty = false
    /// A caller is writing `ack.pos`.
    var ackWriting = false
    var unreadableRecords = 0
    var unreadableEvents = 0

    init(
      maxBytes: Int, directory: String, segments: [Segment], cursor: RecordID, recoveredAcks: [Range<RecordID>]
    ) {
      self.maxBytes = maxBytes
      self.directory = directory
      self.segments = segments
      self.cursor = cursor
      self.recoveredAcks = recoveredAcks
    }

    var ackPosition: RecordID { head < window.count ? window[head].start : cursor }

    func fits(_ frame: Int) -> Bool {
      let used = unackedBytes + reservedBytes
      return used == 0 || used + frame <= maxBytes
    }

    func segmentIndex(atOrAfter id: UInt64) -> Int? {
      var lo = 0
      var hi = segments.count
      while lo < hi {
        let mid = (lo + hi) / 2
        if segments[mid].id < id { lo = mid + 1 } else { hi = mid }
      }
      return lo < segments.count ? lo : nil
    }

    /// Moves the cursor over ranges acknowledged before the restart and over segment
    /// ends; the index of the segment holding the next record, or nil if there is none yet.
    mutating func seekUnread() -> Int? {
      while true {
        if let r = recoveredAcks.first, r.lowerBound <= cursor {
          recoveredAcks.removeFirst()
          if r.upperBound > cursor {
            appendDone(to: r.upperBound)
            cursor = r.upperBound
          }
          continue
        }
        guard let i = segmentIndex(atOrAfter: cursor.segment) else { return nil }
        let segment = segments[i]
        if segment.id > cursor.segment {
          cursor = RecordID(segment: segment.id, offset: 0)
          continue
        }
        if cursor.offset < UInt64(segment.size) { return i }
        guard segment.sealed, i + 1 < segments.count else { return nil }
        cursor = RecordID(segment: segments[i + 1].id, offset: 0)
      }
    }

    /// The header of the record at the cursor, in segment `i`, if it reads and fits.
    mutating func headerAtCursor(_ i: Int) -> BufferFraming.Header? {
      if segments[i].reader == nil {
        segments[i].reader = SegmentReader(path: SegmentFile.path(directory, segments[i].id))
      }
      guard let reader = segments[i].reader, let header = reader.header(at: Int(cursor.offset)),
        Int(cursor.offset) + header.frameSize <= segments[i].size
      else { return nil }
      return header
    }

    /// Hands out the record at the cursor.
    mutating func take() -> Taken? {
      while let i = seekUnread() {
        guard let header = headerAtCursor(i), let reader = segments[i].reader else {
          discardUnreadable(i)
          continue
        }
        let id = cursor
        let end = RecordID(segment: id.segment, offset: id.offset + UInt64(header.frameSize))
        segments[i].unreadRecords -= 1
        segments[i].unreadEvents -= header.eventCount
        segments[i].unreadBytes -= header.frameSize
        window.append(Entry(start: id, end: end, status: .inFlight, bytes: header.frameSize, events: header.eventCount))
        inFlight += 1
        cursor = end
        return Taken(id: id, header: header, reader: reader)
      }
      return nil
    }

    /// Records that everything from the cursor to `end` is done with (call before moving
    /// the cursor there). Nothing to record when no taken record precedes it.
    mutating func appendDone(to end: RecordID) {
      guard end > cursor, head < window.count else { return }
      if window[window.count - 1].status == .done {
        window[window.count - 1].end = end
      } else {
        window.append(Entry(start: cursor, end: end, status: .done, bytes: 0, events: 0))
      }
    }

    /// Drops every record of segment `i` not yet taken.
    mutating func dropRest(_ i: Int) -> (records: Int, events: Int) {
      let segment = segments[i]
      unackedBytes -= segment.unreadBytes
      unackedRecords -= segment.unreadRecords
      unackedEvents -= segment.unreadEvents
      segments[i].unreadRecords = 0
      segments[i].unreadEvents = 0
      segments[i].unreadBytes = 0
      if segment.end > cursor {
        appendDone(to: segment.end)
        cursor = segment.end
      }
      ackDirty = true
      return (segment.unreadRecords, segment.unreadEvents)
    }

    /// Gives up the rest of segment `i`: the record at the cursor does not read back.
    mutating func discardUnreadable(_ i: Int) {
      let lost = dropRest(i)
      unreadableRecords += lost.records
      unreadableEvents += lost.events
      serviceAppenders()
    }

    /// Discards released records, then untaken ones from the oldest, until `frame` fits.
    mutating func dropOldest(toFit frame: Int) -> (records: Int, events: Int) {
      var records = 0
      var events = 0
      while unackedBytes + reservedBytes + frame > maxBytes,
        let j = window[head...].firstIndex(where: { $0.status == .released })
      {
        records += 1
        events += window[j].events
        finish(j)
      }
      while unackedBytes + reservedBytes + frame > maxBytes, let i = seekUnread() {
        let excess = unackedBytes + reservedBytes + frame - maxBytes
        if segments[i].unreadBytes <= excess {
          let dropped = dropRest(i)
          records += dropped.records
          events += dropped.events
          continue
        }
        guard let header = headerAtCursor(i) else {
          discardUnreadable(i)
          continue
        }
        let end = RecordID(segment: cursor.segment, offset: cursor.offset + UInt64(header.frameSize))
        segments[i].unreadRecords -= 1
        segments[i].unreadEvents -= header.eventCount
        segments[i].unreadBytes -= header.frameSize
        unackedBytes -= header.frameSize
        unackedRecords -= 1
        unackedEvents -= header.eventCount
        appendDone(to: end)
        cursor = end
        records += 1
        events += header.eventCount
        ackDirty = true
      }
      return (records, events)
    }

    /// Publishes a record just written at `offset` of `segment`.
    mutating func commit(segment: UInt64, offset: Int, header: BufferFraming.Header) {
      if segments.last?.id != segment {
        if let last = segments.indices.last, !segments[last].sealed {
          segments[last].sealed = true
          ackDirty = true  // it may be all acknowledged already
        }
        segments.append(Segment(id: segment, size: offset, sealed: false))
      }
      let i = segments.count - 1
      segments[i].size = offset + header.frameSize
      segments[i].unreadRecords += 1
      segments[i].unreadEvents += header.eventCount
      segments[i].unreadBytes += header.frameSize
      unackedBytes += header.frameSize
      unackedRecords += 1
      unackedEvents += header.eventCount
      reservedBytes -= header.frameSize
      serviceReaders()
    }

    /// The window entry of a taken record that is not done yet.
    func takenIndex(_ id: RecordID) -> Int? {
      var lo = head
      var hi = window.count
      while lo < hi {
        let mid = (lo + hi) / 2
        if window[mid].start < id { lo = mid + 1 } else { hi = mid }
      }
      guard lo < window.count, window[lo].start == id, window[lo].status != .done else { return nil }
      return lo
    }

    /// Marks window entry `j` done, merges it with done neighbours and advances the prefix.
    mutating func finish(_ j: Int) {
      let entry = window[j]
      unackedBytes -= entry.bytes
      unackedRecords -= 1
      unackedEvents -= entry.events
      if entry.status == .inFlight { inFlight -= 1 }
      window[j] = Entry(start: entry.start, end: entry.end, status: .done, bytes: 0, events: 0)
      var k = j
      if k + 1 < window.count, window[k + 1].status == .done {
        window[k].end = window[k + 1].end
        window.remove(at: k + 1)
      }
      if k > head, window[k - 1].status == .done {
        window[k - 1].end = window[k].end
        window.remove(at: k)
        k -= 1
      }
      while head < window.count, window[head].status == .done { head += 1 }
      if head == window.count {
        window.removeAll(keepingCapacity: window.capacity <= 1024)
        head = 0
      } else if head > 256, head * 2 > window.count {
        window.removeFirst(head)
        head = 0
      }
      ackDirty = true
      serviceAppenders()
    }

    mutating func acknowledge(_ id: RecordID) -> Bool {
      guard let j = takenIndex(id) else { return false }
      finish(j)
      return true
    }

    mutating func release(_ id: RecordID) {
      guard let j = takenIndex(id), window[j].status == .inFlight else { return }
      window[j].status = .released
      inFlight -= 1
    }

    /// A taken record whose payload did not read back.
    mutating func discardTaken(_ id: RecordID) {
      guard let j = takenIndex(id) else { return }
      unreadableRecords += 1
      unreadableEvents += window[j].events
      finish(j)
    }

    /// Hands records to waiting senders, first come first served.
    mutating func serviceReaders() {
      while !readers.isEmpty, let taken = take() {
        readers.removeFirst().continuation.resume(returning: taken)
      }
    }

    /// Admits waiting appends that fit now, in order (all of them, as closed, once closed).
    mutating func serviceAppenders() {
      while let first = appenders.first {
        if closed {
          first.continuation.resume(returning: .closed)
        } else if fits(first.frame) {
          reservedBytes += first.frame
          first.continuation.resume(returning: .admitted(records: 0, events: 0))
        } else {
          return
        }
        appenders.removeFirst()
      }
    }

    /// What `ack.pos` should say now, and the segments that may go once it does; nil if
    /// nothing changed since the last snapshot.
    mutating func ackSnapshot() -> (file: BufferFraming.AckFile, doomed: [UInt64])? {
      guard ackDirty else { return nil }
      ackDirty = false
      let position = ackPosition
      var ranges: [Range<RecordID>] = []
      for entry in window[head...] where entry.status == .done { ranges.append(entry.start..<entry.end) }
      for r in recoveredAcks {
        let lower = max(r.lowerBound, ranges.last?.upperBound ?? position)
        if lower < r.upperBound { ranges.append(lower..<r.upperBound) }
      }
      var doomed: [UInt64] = []
      var i = 0
      while i < segments.count, segments[i].id <= cursor.segment {
        let segment = segments[i]
        if segment.sealed, segment.end <= cursor, segment.end <= position || coveredByDone(segment) {
          doomed.append(segment.id)
          segments.remove(at: i)
        } else {
          i += 1
        }
      }
      return (BufferFraming.AckFile(position: position, ranges: ranges), doomed)
    }

    /// Whether one run of done records in the window spans all of `segment`.
    func coveredByDone(_ segment: Segment) -> Bool {
      let first = RecordID(segment: segment.id, offset: 0)
      var lo = head
      var hi = window.count
      while lo < hi {
        let mid = (lo + hi) / 2
        if window[mid].start <= first { lo = mid + 1 } else { hi = mid }
      }
      guard lo > head else { return false }
      let entry = window[lo - 1]
      return entry.status == .done && entry.end >= segment.end
    }
  }
}

/// `close(2)`, out of reach of ``DiskBuffer/close(drain:)``.
private func closeDescriptor(_ fd: Int32) { _ = close(fd) }

extension String {
  fileprivate func leftPadded(to width: Int) -> String {
    count >= width ? self : String(repeating: "0", count: width - count) + self
  }
}
