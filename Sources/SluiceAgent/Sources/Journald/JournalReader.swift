import Logging
import SluiceCore

#if canImport(Glibc)
  import Glibc
#endif

/// The reading loop of one journald source, run on its own thread: positions the journal,
/// reads entries into chunks, waits for new ones, and hands chunks on (blocking while the
/// pipeline is busy).
///
/// Positions are cursors. Every chunk carries the cursor of the last entry it *looked at* —
/// written or filtered out — so a filter that rarely matches still moves the checkpoint, and
/// an idle journal produces no new positions (the checkpoint is then not rewritten).
final class JournalReader {
  let sourceIndex: Int
  let config: JournaldSourceConfig
  let counters: JournaldSourceCounters
  let logger: Logger
  let handoff: ChunkHandoff
  let stop: StopSignal
  /// Readiness (whether the journal opens and reads) and liveness (busy while reading).
  let health: ComponentHealth
  let heartbeat: Heartbeat

  /// A chunk is handed on after this many records or bytes, or this many entries looked
  /// at, or when the reader catches up with the journal.
  static let chunkRecords = 1024
  static let chunkBytes = 256 * 1024
  static let chunkEntries = 16 * 1024
  /// How long one wait for new entries lasts (also how quickly a stop is noticed).
  static let waitMicroseconds: UInt64 = 200_000
  /// The journal is reopened after this much entry data: sd-journal maps journal files in
  /// windows and keeps them, so the process's resident (file-backed) memory would otherwise
  /// grow to the size of everything read.
  static let reopenBytes = 16 << 20
  /// At most this many chunks are read after a stop.
  static let lastPassChunks = 64

  private var mapper: JournalEntryMapper
  /// With `multiline`: the joiners, the record of the entry being read, and the cursor of
  /// the entry read before it.
  private var multiline: JournalMultiline?
  private var entry: [UInt8] = []
  private var previousCursor = ""
  /// Records were emitted since the last hand-on without an entry being read (timeouts).
  private var emittedSinceHandOn = false
  private var chunk: SourceChunk
  /// Entries looked at since the last chunk was handed on.
  private var entriesInChunk = 0
  private var skippedInChunk = 0
  private var tooLongInChunk = 0
  private var binaryInChunk = 0

  init(
    sourceIndex: Int, config: JournaldSourceConfig, counters: JournaldSourceCounters, logger: Logger,
    handoff: ChunkHandoff, stop: StopSignal, health: ComponentHealth, heartbeat: Heartbeat
  ) {
    self.health = health
    self.heartbeat = heartbeat
    self.sourceIndex = sourceIndex
    self.config = config
    self.counters = counters
    self.logger = logger
    self.handoff = handoff
    self.stop = stop
    mapper = JournalEntryMapper(config)
    // Validated when the configuration was loaded.
    multiline = config.multiline.flatMap { try? JournalMultiline($0, maxFieldBytes: config.maxFieldBytes.bytes) }
    chunk = SourceChunk(sourceIndex: sourceIndex, position: .cursor(""))
  }

  /// Reads until stopped (then to the current end of the journal) or until the consumer
  /// goes away.
  func run(resumeCursor: String?) {
    var warnedOpen = false
    while !handoff.isCancelled {
      heartbeat.busy()
      let journal: Journal
      do {
        journal = try Journal(directory: config.path)
      } catch {
        counters.readErrors.increment()
        health.set("open", .unhealthy, reason: "cannot open the journal \(config.path ?? "(local)"): \(error)")
        if !warnedOpen {
          logger.error(
            "cannot open the journal; retrying every second",
            metadata: ["source": "\(config.name)", "path": "\(config.path ?? "(local)")", "error": "\(error)"])
          warnedOpen = true
        }
        if stop.isStopped { return }
        sleepUnlessStopped(seconds: 1)
        continue
      }
      health.clear("open")
      journal.setDataThreshold(config.maxFieldBytes.bytes + 1)
      follow(journal, resumeCursor: resumeCursor)
      return
    }
  }

  /// Positions `journal` and reads it until stopped.
  private func follow(_ opened: Journal, resumeCursor: String?) {
    var journal = opened
    var onUnreadEntry: Bool
    do {
      onUnreadEntry = try position(journal, cursor: resumeCursor)
    } catch {
      counters.readErrors.increment()
      health.set("open", .unhealthy, reason: "cannot position the journal: \(error)")
      logger.error("cannot position the journal", metadata: ["source": "\(config.name)", "error": "\(error)"])
      return
    }
    var errors = 0
    while !handoff.isCancelled {
      heartbeat.busy()
      let stopping = stop.isStopped
      do {
        // Read to the current end — on stop, a bounded last pass, in case a writer never
        // stops (the rest is read after a restart).
        var chunks = 0
        while !stopping || chunks < Self.lastPassChunks {
          if !onUnreadEntry {
            guard try journal.next() else {
              counters.lagSeconds.record(0)  // caught up
              break
            }
          }
          onUnreadEntry = false
          read(journal)
          if chunk.lineCount >= Self.chunkRecords || chunk.data.count >= Self.chunkBytes
            || entriesInChunk >= Self.chunkEntries
          {
            multiline?.flushIdle(now: .now, emit: emitJoined)
            recordLag(journal)  // a full chunk: there may be more behind it
            guard handOn(journal) else { return }
            if mapper.bytesSeen >= Self.reopenBytes { journal = reopened(journal) }
            chunks += 1
          }
        }
        multiline?.flushIdle(now: .now, all: stopping, emit: emitJoined)
        guard handOn(journal) else { return }
        if mapper.bytesSeen >= Self.reopenBytes { journal = reopened(journal) }
        if errors > 0 { health.clear("read") }
        errors = 0
        if stopping { return }
        heartbeat.idle()
        _ = try journal.wait(microseconds: Self.waitMicroseconds)
      } catch {
        counters.readErrors.increment()
        errors += 1
        if errors == 1 {
          health.set("read", .degraded, reason: "journal read failed: \(error)")
          logger.warning("journal read failed", metadata: ["source": "\(config.name)", "error": "\(error)"])
        }
        // What was read so far is still good; hand it on before backing off.
        guard handOn(journal) else { return }
        if stopping { return }
        sleepUnlessStopped(seconds: min(Double(errors) * 0.2, 2))
      }
    }
  }

  /// Puts the journal where reading starts. Returns true if it is on an entry that must be
  /// read before calling `next()` again.
  ///
  /// With a saved cursor: on the entry right after it. If the cursor's entry is gone
  /// (vacuumed, or the cursor is another machine's), sd-journal places the journal where the
  /// entry would have been — by sequence number, boot and monotonic time, or wall-clock
  /// time, in that order — and reading goes on from there, with a warning. A cursor that is
  /// not a cursor at all falls back to `read_from`, with a warning. Both are counted in
  /// `sluice_source_cursor_invalid_total`.
  private func position(_ journal: Journal, cursor: String?) throws(JournalError) -> Bool {
    if let cursor {
      do {
        try journal.seek(cursor: cursor)
        guard try journal.next() else {
          // Nothing at or after the cursor's place: the entry is gone and nothing followed.
          invalidCursor(cursor, "its entry is no longer in the journal; reading entries written from now on")
          return false
        }
        if journal.isAt(cursor: cursor) { return false }
        invalidCursor(cursor, "its entry is no longer in the journal; resuming at the next entry after its time")
        return true
      } catch {
        invalidCursor(cursor, "it is not a journal cursor; starting at read_from: \(config.readFrom.rawValue)")
      }
    }
    switch config.readFrom {
    case .beginning:
      try journal.seekHead()
      return false
    case .end:
      // On the last entry, so its cursor is saved at once: after a restart, entries written
      // in between are read rather than skipped by a second "end".
      try journal.seekTail()
      if try journal.previous() {
        chunk.position = .cursor(try journal.cursor())
        heartbeat.idle()
        _ = handoff.put(chunk)
        heartbeat.busy()
        chunk = SourceChunk(sourceIndex: sourceIndex, position: .cursor(""))
      }
      return false
    }
  }

  /// A fresh handle on the same entry (its mappings start empty), or `journal` itself if
  /// that fails.
  private func reopened(_ journal: Journal) -> Journal {
    mapper.bytesSeen = 0
    do {
      let cursor = try journal.cursor()
      let fresh = try Journal(directory: config.path)
      fresh.setDataThreshold(config.maxFieldBytes.bytes + 1)
      try fresh.seek(cursor: cursor)
      guard try fresh.next(), fresh.isAt(cursor: cursor) else { return journal }
      journal.close()
      return fresh
    } catch {
      return journal
    }
  }

  private func invalidCursor(_ cursor: String, _ why: String) {
    counters.cursorInvalid.increment()
    logger.warning(
      "saved journal cursor cannot be used: \(why)",
      metadata: ["source": "\(config.name)", "cursor": "\(cursor.prefix(120))"])
  }

  /// Maps the current entry into the chunk (or, with multiline, into its stream's event).
  private func read(_ journal: Journal) {
    entriesInChunk += 1
    guard multiline != nil else {
      let at = chunk.lineEnds.count
      count(mapper.map(journal, into: &chunk.data), truncatedAt: at)
      return
    }
    entry.removeAll(keepingCapacity: true)
    let outcome = mapper.map(journal, into: &entry)
    if case .written(_, let tooLong, let binary, let messageRange) = outcome {
      let stream = mapper.stream ?? []
      if let messageRange, let message = mapper.message {
        multiline!.add(
          stream: stream, message: message, record: entry, messageRange: messageRange,
          truncated: tooLong + binary > 0, before: previousCursor, emit: emitJoined)
      } else {
        // A JSON record or an entry without MESSAGE: not joined, and it ends its stream's event.
        multiline!.flush(stream: stream, emit: emitJoined)
        if tooLong + binary > 0 { chunk.truncatedLines.append(chunk.lineEnds.count) }
        chunk.data.append(contentsOf: entry)
        chunk.lineEnds.append(chunk.data.count)
      }
    }
    count(outcome, truncatedAt: nil)
    previousCursor = (try? journal.cursor()) ?? previousCursor
  }

  /// Tallies an entry's outcome; without multiline, ends the record it wrote.
  private func count(_ outcome: JournalEntryMapper.Outcome, truncatedAt: Int?) {
    switch outcome {
    case .skipped:
      skippedInChunk += 1
    case .written(_, let tooLong, let binary, _):
      tooLongInChunk += tooLong
      binaryInChunk += binary
      guard let k = truncatedAt else { return }
      if tooLong + binary > 0 { chunk.truncatedLines.append(k) }
      chunk.lineEnds.append(chunk.data.count)
    }
  }

  /// Writes a joined multiline event into the chunk.
  private func emitJoined(head: [UInt8], text: ArraySlice<UInt8>, tail: [UInt8], truncated: Bool) {
    if truncated { chunk.truncatedLines.append(chunk.lineEnds.count) }
    chunk.data.append(contentsOf: head)
    text.withUnsafeBytes { _ = JSONWriter.appendStringContent($0, to: &chunk.data) }
    chunk.data.append(contentsOf: tail)
    chunk.lineEnds.append(chunk.data.count)
    emittedSinceHandOn = true
  }

  /// Hands the chunk on with the cursor of the last entry looked at, if any entry was.
  /// Returns false if the consumer has gone.
  private func handOn(_ journal: Journal) -> Bool {
    guard entriesInChunk > 0 || emittedSinceHandOn else { return !handoff.isCancelled }
    do {
      // Not past a pending multiline event's first entry.
      chunk.position = .cursor(try multiline?.earliestStart ?? journal.cursor())
    } catch {
      // Without a cursor the chunk cannot be acknowledged; keep reading into it.
      counters.readErrors.increment()
      return !handoff.isCancelled
    }
    counters.entriesRead.increment(by: entriesInChunk)
    if skippedInChunk > 0 { counters.entriesSkipped.increment(by: skippedInChunk) }
    if tooLongInChunk > 0 { counters.fieldsTooLong.increment(by: tooLongInChunk) }
    if binaryInChunk > 0 { counters.fieldsBinary.increment(by: binaryInChunk) }
    if !chunk.data.isEmpty { counters.bytes.increment(by: chunk.data.count) }
    entriesInChunk = 0
    emittedSinceHandOn = false
    skippedInChunk = 0
    tooLongInChunk = 0
    binaryInChunk = 0
    let full = chunk
    chunk = SourceChunk(sourceIndex: sourceIndex, position: .cursor(""))
    chunk.data.reserveCapacity(min(full.data.count, Self.chunkBytes) + 4096)
    heartbeat.idle()  // blocked while the pipeline is full: waiting, not stuck
    defer { heartbeat.busy() }
    return handoff.put(full)
  }

  /// `sluice_source_lag_seconds`: how old the entry just read is — how far behind the
  /// journal the reader is while it reads a backlog.
  private func recordLag(_ journal: Journal) {
    let entry = journal.realtimeMicroseconds()
    guard entry > 0 else { return }
    var now = timespec()
    clock_gettime(CLOCK_REALTIME, &now)
    let nowMicros = Int64(now.tv_sec) * 1_000_000 + Int64(now.tv_nsec) / 1000
    counters.lagSeconds.record(Double(max(0, nowMicros - Int64(clamping: entry))) / 1e6)
  }

  private func sleepUnlessStopped(seconds: Double) {
    heartbeat.idle()
    defer { heartbeat.busy() }
    var left = seconds
    while left > 0 && !stop.isStopped && !handoff.isCancelled {
      let step = min(left, 0.1)
      usleep(UInt32(step * 1_000_000))
      left -= step
    }
  }
}
