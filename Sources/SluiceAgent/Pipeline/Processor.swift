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
  private let swap: StepSwap?
  private let scanner = JSONScanner()
  private var enrichment: ContainerEnrichment
  private let pipelineCounters: [AgentMetrics.PipelineCounters]
  private let sinkQueues: [any SinkQueue]
  private let ackTracker: AckTracker
  private let heartbeat: Heartbeat?
  private var batches: [OpenBatch]
  private var event = Event()
  private var nextSequence: UInt64 = 1
  private var sealed: [(Int, Batch)] = []

  /// - Parameter steps: the built pipeline (``PipelineBuilder``), in order.
  init(
    config: AgentConfig, steps: [any EventTransform], metrics: AgentMetrics, sinkQueues: [any SinkQueue],
    ackTracker: AckTracker, heartbeat: Heartbeat? = nil, swap: StepSwap? = nil
  ) {
    self.steps = steps
    self.swap = swap
    self.enrichment = ContainerEnrichment(scanner: scanner)
    self.pipelineCounters = config.sources.map { metrics.pipeline(source: $0.name) }
    self.sinkQueues = sinkQueues
    self.ackTracker = ackTracker
    self.heartbeat = heartbeat
    self.batches = config.sinks.map { OpenBatch(limits: $0.batch) }
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
    for k in batches.indices where batches[k].eventCount > 0 || (batches[k].throughChunk ?? 0) > batches[k].sentThrough
    {
      await push(batches[k].seal(), to: k)
    }
    for q in sinkQueues { q.finish() }
    heartbeat?.finished()
  }

  func flushDue(now: ContinuousClock.Instant) async {
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
    // Steps a reload built take over between chunks (the old ones added their tallies at the
    // end of the last chunk).
    if let swapped = swap?.take() { steps = swapped }
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
        repaired += event.wrapAsMessage(scanner: scanner)
        if truncated { event.appendMember(key: "_truncated", jsonValue: "true", scanner: scanner) }
      }
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
