import Logging

/// Delivers one sink's queued batches: encode, compress, send, retry with backoff,
/// dead-letter what the sink refuses for good, then complete the batch in its queue.
///
/// `concurrency` senders share the queue, each with its own encoder and compressor. Retries
/// go on without limit while the agent runs (the queue fills meanwhile, and then the
/// pipeline waits: that is the backpressure). After the shutdown grace period ends,
/// batches still unsent are counted and given back unacknowledged, so their events are
/// sent after a restart (from the disk buffer, or read again from the source).
final class SinkRunner: Sendable {
  let config: SinkConfig
  let transport: any SinkTransport
  let counters: AgentMetrics.SinkCounters
  let deadLetters: DeadLetterWriter
  let shutdown: ShutdownDeadline
  let logger: Logger
  let backoff: Backoff
  /// The backoff after a failed connect (``DeliveryOutcome/unreachable(reason:)``).
  let connectBackoff: Backoff
  let makeEncoder: @Sendable () -> any BatchEncoder
  /// Readiness: told of retryable failures and of deliveries.
  let health: SinkHealth?

  init(
    config: SinkConfig, transport: any SinkTransport, counters: AgentMetrics.SinkCounters,
    deadLetters: DeadLetterWriter, shutdown: ShutdownDeadline, logger: Logger, health: SinkHealth? = nil,
    makeEncoder: @escaping @Sendable () -> any BatchEncoder
  ) {
    self.config = config
    self.health = health
    self.transport = transport
    self.counters = counters
    self.deadLetters = deadLetters
    self.shutdown = shutdown
    self.logger = logger
    self.makeEncoder = makeEncoder
    self.backoff = Backoff(
      base: config.retry.initialBackoff.duration, cap: config.retry.maxBackoff.duration,
      retryAfterCap: config.retry.maxRetryAfter.duration)
    self.connectBackoff = Backoff(
      base: min(config.retry.initialBackoff.duration, config.retry.connectBackoffCap.duration),
      cap: config.retry.connectBackoffCap.duration)
  }

  func run(queue: any SinkQueue) async {
    await withTaskGroup(of: Void.self) { group in
      for _ in 0..<max(1, config.concurrency) {
        group.addTask { await self.sender(queue: queue) }
      }
    }
    await transport.shutdown()
  }

  private func sender(queue: any SinkQueue) async {
    var worker = Worker(encoder: makeEncoder(), compressor: config.makeCompressor())
    while let batch = await queue.pop() {
      if await deliver(batch.payload, events: batch.eventCount, worker: &worker) {
        queue.complete(batch.ticket)
      } else {
        counters.unsentAtShutdown.increment(by: batch.eventCount)
        queue.giveBack(batch.ticket)
        if shutdown.expired { break }  // the rest stays queued (on disk) or is read again
      }
    }
  }

  /// One sender's reusable state.
  struct Worker {
    var encoder: any BatchEncoder
    let compressor: (any BatchCompressor)?
    var encoded: [UInt8] = []

    /// The request body for a batch. An encoder that sends the batch as it is (NDJSON) is
    /// skipped: the payload is compressed, or sent, without a copy.
    mutating func body(_ payload: [UInt8]) -> [UInt8] {
      if encoder.sendsBatchAsIs { return compressor?.compress(payload) ?? payload }
      encoded.removeAll(keepingCapacity: true)
      encoder.encode(payload, into: &encoded)
      return compressor?.compress(encoded) ?? encoded
    }
  }

  /// Delivers (or dead-letters) every event of a payload. Returns false if the shutdown
  /// grace period ran out first.
  ///
  /// A 413 answer to more than one event splits the payload in two and sends each half on
  /// its own, so an oversized event ends up dead-lettered alone. Per-event answers retry
  /// just the events the sink may take later and dead-letter those it refused for good.
  private func deliver(_ payload: [UInt8], events: Int, worker: inout Worker) async -> Bool {
    var pieces: [(payload: [UInt8], events: Int)] = [(payload, events)]
    while let piece = pieces.popLast() {
      var current = piece
      var attempt = 0
      var lastWarned: ContinuousClock.Instant?
      sending: while true {
        if shutdown.expired || Task.isCancelled { return false }
        let body = worker.body(current.payload)
        counters.inFlight.increment()
        let started = ContinuousClock.now
        let outcome = await transport.send(body: body)
        counters.requestDuration.recordNanoseconds((ContinuousClock.now - started).nanosecondsClamped)
        counters.inFlight.decrement()
        switch outcome {
        case .delivered:
          health?.delivered()
          recordSent(events: current.events, payloadBytes: current.payload.count, bodyBytes: body.count)
          if attempt > 0 {
            logger.info("sink recovered", metadata: ["sink": "\(config.name)", "attempts": "\(attempt + 1)"])
          }
          break sending
        case .rejected(let status, let reason, let excerpt):
          counters.sendErrors.increment()
          if status == 413 && current.events > 1 {
            let (first, second) = Self.halves(current.payload)
            logger.warning(
              "sink refused a batch as too large; splitting it",
              metadata: ["sink": "\(config.name)", "events": "\(current.events)"])
            pieces.append(second)
            pieces.append(first)
            break sending
          }
          let entries = deadLetters.entries(payload: current.payload, status: status, reason: reason, response: excerpt)
          if await deadLetter(entries, status: status) { break sending }
        case .perEvent(let results):
          let (retry, entries, accepted) = split(current.payload, results)
          if accepted.events > 0 {
            health?.delivered()
            recordSent(events: accepted.events, payloadBytes: accepted.bytes, bodyBytes: 0)
          } else if let retry {
            health?.deliveryFailed(reason: "no event accepted; \(retry.events) answered with a retryable status")
          }
          if !entries.isEmpty {
            counters.sendErrors.increment()
            guard await deadLetter(entries, status: nil) else { continue sending }
          }
          guard let retry else { break sending }
          counters.retries.increment()
          current = retry
          await shutdown.sleep(for: backoff.delay(attempt: attempt, retryAfter: nil))
        case .retryable(let reason, let retryAfter):
          await retryLater(
            reason: reason, delay: backoff.delay(attempt: attempt, retryAfter: retryAfter), attempt: attempt,
            lastWarned: &lastWarned)
        case .unreachable(let reason):
          await retryLater(
            reason: reason, delay: connectBackoff.delay(attempt: attempt, retryAfter: nil), attempt: attempt,
            lastWarned: &lastWarned)
        }
        attempt += 1
      }
    }
    return true
  }

  /// A failed attempt that will be retried: counted, the sink marked failing, a warning at
  /// the first failure and then at most every 30 s (a refused connect is retried about
  /// every quarter second), then the wait.
  private func retryLater(
    reason: String, delay: Duration, attempt: Int, lastWarned: inout ContinuousClock.Instant?
  ) async {
    health?.deliveryFailed(reason: reason)
    counters.sendErrors.increment()
    counters.retries.increment()
    let now = ContinuousClock.now
    if lastWarned.map({ now - $0 >= .seconds(30) }) ?? true {
      lastWarned = now
      logger.warning(
        "sink delivery failed; retrying",
        metadata: [
          "sink": "\(config.name)", "reason": "\(reason)", "attempt": "\(attempt + 1)",
          "retry_in_ms": "\(delay.nanosecondsClamped / 1_000_000)",
        ])
    }
    await shutdown.sleep(for: delay)
  }

  private func recordSent(events: Int, payloadBytes: Int, bodyBytes: Int) {
    counters.eventsSent.increment(by: events)
    counters.batchesSent.increment()
    counters.bytesSent.increment(by: bodyBytes)
    counters.payloadBytes.increment(by: payloadBytes)
    counters.batchEvents.record(events)
    counters.batchBytes.record(payloadBytes)
  }

  /// Writes dead letters; false (after a pause) if the file cannot be written, so the
  /// caller tries again rather than lose the events.
  private func deadLetter(_ entries: DeadLetterWriter.Entries, status: Int?) async -> Bool {
    do {
      try deadLetters.write(entries)
      counters.deadLettered.increment(by: entries.count)
      logger.error(
        "sink refused events; written to the dead-letter file",
        metadata: [
          "sink": "\(config.name)", "status": "\(status.map(String.init) ?? "per event")",
          "events": "\(entries.count)", "file": "\(deadLetters.url.path)",
        ])
      return true
    } catch {
      logger.error(
        "cannot write the dead-letter file; will try again", metadata: ["sink": "\(config.name)", "error": "\(error)"])
      await shutdown.sleep(for: backoff.delay(attempt: 3, retryAfter: nil))
      return false
    }
  }

  /// Sorts a per-event answer: events to send again (the sink may take them later), dead
  /// letters (refused for good), and how many were accepted. A 409 to a `create` means the
  /// document is already there: accepted.
  private func split(
    _ payload: [UInt8], _ results: [DeliveryOutcome.EventResult]
  ) -> (
    retry: (payload: [UInt8], events: Int)?, deadLetters: DeadLetterWriter.Entries, accepted: (events: Int, bytes: Int)
  ) {
    let lines = NDJSONLines.ranges(in: payload)
    var retryEvents: [Int] = []
    var entries = DeadLetterWriter.Entries()
    var accepted = (events: 0, bytes: 0)
    for (k, range) in lines.enumerated() {
      // An answer shorter than the batch: the rest is sent again rather than assumed.
      let r = k < results.count ? results[k] : .init(status: 503, reason: "no result for this event")
      if (200..<300).contains(r.status) || r.status == 409 {
        accepted.events += 1
        accepted.bytes += range.count + 1
      } else if config.retry.isRetryable(r.status) {
        retryEvents.append(k)
      } else {
        entries.add(sink: config.name, event: payload[range], status: r.status, reason: r.reason, response: "")
      }
    }
    let retry = NDJSONLines.subset(payload, events: retryEvents)
    return (retryEvents.isEmpty ? nil : (retry, retryEvents.count), entries, accepted)
  }

  /// Splits an NDJSON payload at the event nearest its middle.
  static func halves(_ payload: [UInt8]) -> ((payload: [UInt8], events: Int), (payload: [UInt8], events: Int)) {
    let lines = NDJSONLines.ranges(in: payload)
    let mid = lines.count / 2
    return (
      (NDJSONLines.subset(payload, events: 0..<mid), mid),
      (NDJSONLines.subset(payload, events: mid..<lines.count), lines.count - mid)
    )
  }
}
