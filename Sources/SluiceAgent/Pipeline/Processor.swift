import AsyncAlgorithms
import Logging
import SluiceCore

/// Applies the pipeline steps to every line and fills one batch per sink.
///
/// One processor task owns all mutable state here (the reused ``Event``, the steps and
/// their buffers, open batches), so per-line work takes no locks and, once buffers have
/// grown, makes no allocations. The processor knows no step kind: it applies each
/// ``EventTransform`` in order, drops an event a step rejects, and lets each step add its
/// tallies to its counters once per chunk.
final class Processor {
  private var steps: [any EventTransform]
  private let scanner = JSONScanner()
  private var enrichment: ContainerEnrichment
  private let metrics: AgentMetrics
  private var pipelineCounters: [AgentMetrics.PipelineCounters]
  /// Per sink, in the same order: its name, its queue and its open batch.
  private var sinkNames: [String]
  private var sinkQueues: [any SinkQueue]
  private var batches: [OpenBatch]
  private let ackTracker: AckTracker
  private let heartbeat: Heartbeat?
  private let reloads: Reloads?
  private var event = Event()
  private var nextSequence: UInt64 = 1
  private var sealed: [(Int, Batch)] = []

  /// How the processor takes reload changes: what is offered, where sinks are launched and
  /// retired, and what to do when a replaced sink could not deliver everything.
  struct Reloads {
    let changes: PipelineChanges
    let sinks: LiveSinks
    let grace: Duration
    /// Ends the generation so that the next one reads again what a sink left undelivered.
    let restart: @Sendable (String) -> Void
  }

  /// - Parameter steps: the built pipeline (``PipelineBuilder``), in order.
  init(
    config: AgentConfig, steps: [any EventTransform], metrics: AgentMetrics, sinkQueues: [any SinkQueue],
    ackTracker: AckTracker, heartbeat: Heartbeat? = nil, reloads: Reloads? = nil
  ) {
    self.steps = steps
    self.reloads = reloads
    self.enrichment = ContainerEnrichment(scanner: scanner)
    self.metrics = metrics
    self.pipelineCounters = config.sources.map { metrics.pipeline(source: $0.name) }
    self.sinkNames = config.sinks.map(\.name)
    self.sinkQueues = sinkQueues
    self.ackTracker = ackTracker
    self.heartbeat = heartbeat
    self.batches = config.sinks.map { OpenBatch(limits: $0.batch) }
  }

  /// Applies what reloads offered since the last chunk, in order: the new steps take over
  /// (the old ones added their tallies at the end of the last chunk), retired sinks get their
  /// open batch and deliver it, launched sinks receive from the next chunk on.
  private func applyChanges() async {
    guard let reloads, !reloads.changes.isEmpty else { return }
    for change in reloads.changes.take() {
      steps = change.steps
      pipelineCounters = change.sourceNames.map { metrics.pipeline(source: $0) }
      for name in change.retireSinks {
        guard let k = sinkNames.firstIndex(of: name) else { continue }
        await flush(k)
        sinkNames.remove(at: k)
        sinkQueues.remove(at: k)
        batches.remove(at: k)
        heartbeat?.idle()  // waiting for the sink to deliver is waiting by choice
        let delivered = await reloads.sinks.retire(name: name, grace: reloads.grace)
        heartbeat?.busy()
        if !delivered { reloads.restart("sink '\(name)' could not deliver what it held before it was replaced") }
      }
      for config in change.launchSinks {
        do {
          sinkQueues.append(try reloads.sinks.launch(config))
          sinkNames.append(config.name)
          batches.append(OpenBatch(limits: config.batch))
        } catch {
          reloads.restart("sink '\(config.name)' cannot start: \(error)")
        }
      }
    }
  }

  /// Seals sink `k`'s open batch and hands it on if it holds events or acknowledgements.
  private func flush(_ k: Int) async {
    if batches[k].eventCount > 0 || (batches[k].throughChunk ?? 0) > batches[k].sentThrough {
      await push(batches[k].seal(), to: k)
    }
  }

  /// Consumes `input` until it finishes, then seals and hands on every open batch and
  /// finishes the sinks' queues. A push waits while a sink's queue is full (its `block`
  /// policy), which holds the sources back.
  func run(input: AsyncChannel<PipelineInput>) async {
    heartbeat?.idle()
    for await item in input {
      heartbeat?.busy()
      switch item {
      case .chunk(let chunk): await process(chunk)
      case .tick: await flushDue(now: .now)
      }
      heartbeat?.idle()
    }
    for k in batches.indices { await flush(k) }
    for q in sinkQueues { q.finish() }
    heartbeat?.finished()
  }

  func flushDue(now: ContinuousClock.Instant) async {
    await applyChanges()
    for k in batches.indices where batches[k].isDue(now: now) {
      await push(batches[k].seal(), to: k)
    }
  }

  /// Hands a sealed batch to a sink's queue. Waiting for a full queue is waiting by choice
  /// (backpressure), not being stuck: the watchdog sees the processor idle meanwhile.
  private func push(_ batch: Batch, to k: Int) async {
    heartbeat?.idle()
    _ = await sinkQueues[k].push(batch)
    heartbeat?.busy()
  }

  func process(_ chunk: SourceChunk) async {
    await applyChanges()
    let sequence = nextSequence
    nextSequence += 1
    ackTracker.register(sequence: sequence, chunk: chunk)
    var repaired = 0
    let enrich = ContainerEnrichment.applies(to: chunk)

    chunk.forEachLine { line, truncated, k in
      event.load(line)
      let context = LineContext(sourceIndex: chunk.sourceIndex, truncated: truncated)
      var enriched = false
      for step in steps {
        guard step.apply(&event, context) else { return }
        if enrich && !enriched && event.isStructured {
          enrichment.apply(to: &event, chunk: chunk, line: k)
          enriched = true
        }
      }
      if !event.isStructured {
        event.wrapAsMessage(scanner: scanner)
        if truncated { event.appendMember(key: "_truncated", jsonValue: "true", scanner: scanner) }
      }
      // Whoever wrapped it (a parse step, or the line left raw by the steps).
      repaired += event.utf8Repairs
      if enrich && !enriched { enrichment.apply(to: &event, chunk: chunk, line: k) }
      // A batch sealed mid-chunk carries only the acknowledgement of earlier chunks
      // (set when they finished); this chunk's comes with a later batch.
      for k in batches.indices where batches[k].append(event.bytes) {
        sealed.append((k, batches[k].seal()))
      }
    }
    for k in batches.indices { batches[k].throughChunk = sequence }

    let counters = pipelineCounters[chunk.sourceIndex]
    if chunk.lineCount > 0 { counters.sourceEvents.increment(by: chunk.lineCount) }
    if repaired > 0 { counters.utf8Repaired.increment(by: repaired) }
    for step in steps { step.endChunk(sourceIndex: chunk.sourceIndex) }
    for (k, batch) in sealed { await push(batch, to: k) }
    sealed.removeAll(keepingCapacity: true)
  }
}
