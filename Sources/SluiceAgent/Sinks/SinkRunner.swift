import AsyncAlgorithms
import Logging

/// Delivers one sink's batches in order: compress, send, retry with backoff, dead-letter
/// what the sink refuses for good, then acknowledge.
///
/// Retries go on without limit while the agent runs (the pipeline waits meanwhile: that is
/// the backpressure). After a shutdown's grace period ends, batches still unsent are
/// counted and left unacknowledged, so their lines are read again after a restart.
final class SinkRunner {
  let index: Int
  let config: SinkConfig
  let transport: any SinkTransport
  let counters: AgentMetrics.SinkCounters
  let deadLetters: DeadLetterWriter
  let ackTracker: AckTracker
  let shutdown: ShutdownDeadline
  let logger: Logger
  let compressor: GzipCompressor?
  let backoff: Backoff

  init(
    index: Int, config: SinkConfig, transport: any SinkTransport, counters: AgentMetrics.SinkCounters,
    deadLetters: DeadLetterWriter, ackTracker: AckTracker, shutdown: ShutdownDeadline, logger: Logger
  ) {
    self.index = index
    self.config = config
    self.transport = transport
    self.counters = counters
    self.deadLetters = deadLetters
    self.ackTracker = ackTracker
    self.shutdown = shutdown
    self.logger = logger
    self.compressor = config.compression == .gzip ? GzipCompressor(level: config.compressionLevel) : nil
    self.backoff = Backoff(base: config.retry.initialBackoff.duration, cap: config.retry.maxBackoff.duration)
  }

  func run(input: AsyncChannel<Batch>) async {
    for await batch in input {
      if batch.eventCount > 0 {
        guard await deliver(batch) else {
          counters.unsentAtShutdown.increment(by: batch.eventCount)
          continue  // not acknowledged: read again after restart
        }
      }
      if let through = batch.throughChunk { ackTracker.delivered(sink: index, through: through) }
    }
    await transport.shutdown()
  }

  /// Returns true once the batch is delivered or dead-lettered; false if the shutdown
  /// grace period ran out first.
  private func deliver(_ batch: Batch) async -> Bool {
    let body = compressor?.compress(batch.payload) ?? batch.payload
    var attempt = 0
    while true {
      if shutdown.expired || Task.isCancelled { return false }
      let outcome = await transport.send(body: body)
      switch outcome {
      case .delivered:
        counters.eventsSent.increment(by: batch.eventCount)
        counters.batchesSent.increment()
        counters.bytesSent.increment(by: body.count)
        counters.payloadBytes.increment(by: batch.payload.count)
        if attempt > 0 {
          logger.info("sink recovered", metadata: ["sink": "\(config.name)", "attempts": "\(attempt + 1)"])
        }
        return true
      case .rejected(let status, let reason, let excerpt):
        counters.sendErrors.increment()
        do {
          try deadLetters.write(batch, status: status, reason: reason, response: excerpt)
          counters.deadLettered.increment(by: batch.eventCount)
          logger.error(
            "sink rejected a batch; events written to the dead-letter file",
            metadata: [
              "sink": "\(config.name)", "status": "\(status)", "events": "\(batch.eventCount)",
              "file": "\(deadLetters.url.path)",
            ])
          return true
        } catch {
          logger.error(
            "cannot write dead-letter file; will retry the batch",
            metadata: ["sink": "\(config.name)", "error": "\(error)"])
        }
        await shutdown.sleep(for: backoff.delay(attempt: attempt, retryAfter: nil))
      case .retryable(let reason, let retryAfter):
        counters.sendErrors.increment()
        counters.retries.increment()
        let delay = backoff.delay(attempt: attempt, retryAfter: retryAfter)
        if attempt == 0 || attempt % 10 == 0 {
          logger.warning(
            "sink delivery failed; retrying",
            metadata: [
              "sink": "\(config.name)", "reason": "\(reason)", "attempt": "\(attempt + 1)",
              "retry_in_ms": "\(delay.nanosecondsClamped / 1_000_000)",
            ])
        }
        await shutdown.sleep(for: delay)
      }
      attempt += 1
    }
  }
}
