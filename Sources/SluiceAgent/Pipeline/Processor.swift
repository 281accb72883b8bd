import AsyncAlgorithms
import CoreMetrics
import Logging
import SluiceCore

/// Applies the pipeline steps to every line and fills one batch per sink.
///
/// One processor task owns all mutable state here (the reused ``Event``, redactor buffers,
/// open batches), so per-line work takes no locks and, once buffers have grown, makes no
/// allocations. Metrics are tallied per chunk and added to the counters once per chunk.
final class Processor {
  enum Step {
    case parse
    case redact(index: Int)
    case metrics
  }

  let steps: [Step]
  let scanner = JSONScanner()
  var redactors: [Redactor]
  let redactionCounters: [[CoreMetrics.Counter]]
  let pipelineCounters: [AgentMetrics.PipelineCounters]
  let sinkQueues: [any SinkQueue]
  let ackTracker: AckTracker
  let logger: Logger
  var batches: [OpenBatch]
  var event = Event()
  /// Container fields of the current line, pre-encoded.
  private var extra: [UInt8] = []
  var nextSequence: UInt64 = 1
  private var sealed: [(Int, Batch)] = []
  private var warnedInvalidJSON = false

  /// - Parameter redactors: one per `redact` step, in pipeline order (``RedactTransform``).
  init(
    config: AgentConfig, redactors: [Redactor], metrics: AgentMetrics, sinkQueues: [any SinkQueue],
    ackTracker: AckTracker, logger: Logger
  ) {
    var steps: [Step] = []
    var redactionCounters: [[CoreMetrics.Counter]] = []
    for t in config.pipeline {
      switch t.type {
      case .parse: steps.append(.parse)
      case .metrics: steps.append(.metrics)
      case .redact:
        let index = redactionCounters.count
        steps.append(.redact(index: index))
        redactionCounters.append(redactors[index].ruleNames.map { metrics.redactions(rule: $0) })
      }
    }
    self.steps = steps
    self.redactors = redactors
    self.redactionCounters = redactionCounters
    self.pipelineCounters = config.sources.map { metrics.pipeline(source: $0.name) }
    self.sinkQueues = sinkQueues
    self.ackTracker = ackTracker
    self.logger = logger
    self.batches = config.sinks.map { OpenBatch(limits: $0.batch) }
  }

  /// Consumes `input` until it finishes, then seals and hands on every open batch and
  /// finishes the sinks' queues. A push waits while a sink's queue is full (its `block`
  /// policy), which holds the sources back.
  func run(input: AsyncChannel<PipelineInput>) async {
    for await item in input {
      switch item {
      case .chunk(let chunk): await process(chunk)
      case .tick: await flushDue(now: .now)
      }
    }
    for k in batches.indices where batches[k].eventCount > 0 || (batches[k].throughChunk ?? 0) > batches[k].sentThrough
    {
      _ = await sinkQueues[k].push(batches[k].seal())
    }
    for q in sinkQueues { q.finish() }
  }

  func flushDue(now: ContinuousClock.Instant) async {
    for k in batches.indices where batches[k].isDue(now: now) {
      _ = await sinkQueues[k].push(batches[k].seal())
    }
  }

  func process(_ chunk: SourceChunk) async {
    let sequence = nextSequence
    nextSequence += 1
    ackTracker.register(sequence: sequence, chunk: chunk)
    var levelCounts = [Int](repeating: 0, count: LogLevel.allCases.count + 1)
    var errors = 0
    var wrapped: [Event.WrapReason: Int] = [:]
    var repaired = 0

    chunk.forEachLine { line, truncated, k in
      event.load(line)
      for step in steps {
        switch step {
        case .parse:
          let (outcome, error) = event.parse(using: scanner)
          if case .wrapped(let reason) = outcome {
            wrapped[reason, default: 0] += 1
            if reason == .invalidJSON && !warnedInvalidJSON, let error {
              warnedInvalidJSON = true
              logger.warning(
                "line looks like JSON but is not; shipping it as a message (counted in sluice_parse_wrapped_total)",
                metadata: ["path": "\(chunk.path)", "error": "\(error)"])
            }
          }
          if truncated { event.appendMember(key: "_truncated", jsonValue: "true", scanner: scanner) }
        case .redact(let index):
          redactors[index].redact(&event, scanner: scanner)
        case .metrics:
          if let level = event.level {
            levelCounts[Int(level.rawValue)] += 1
            if level.isError { errors += 1 }
          } else {
            levelCounts[LogLevel.allCases.count] += 1
          }
        }
      }
      if !event.isStructured {
        repaired += event.wrapAsMessage(scanner: scanner)
        if truncated { event.appendMember(key: "_truncated", jsonValue: "true", scanner: scanner) }
      }
      if !chunk.fileFields.isEmpty || !chunk.streams.isEmpty { addContainerFields(chunk, line: k) }
      // A batch sealed mid-chunk carries only the acknowledgement of earlier chunks
      // (set when they finished); this chunk's comes with a later batch.
      for k in batches.indices where batches[k].append(event.bytes) {
        sealed.append((k, batches[k].seal()))
      }
    }
    for k in batches.indices { batches[k].throughChunk = sequence }

    let counters = pipelineCounters[chunk.sourceIndex]
    if chunk.lineCount > 0 { counters.sourceEvents.increment(by: chunk.lineCount) }
    for (i, n) in levelCounts.enumerated() where n > 0 { counters.byLevel[i].increment(by: n) }
    if errors > 0 { counters.errors.increment(by: errors) }
    for (reason, n) in wrapped { counters.wrapped[reason]?.increment(by: n) }
    if repaired > 0 { counters.utf8Repaired.increment(by: repaired) }
    for r in redactors.indices {
      for (rule, n) in redactors[r].takeCounts().enumerated() where n > 0 {
        redactionCounters[r][rule].increment(by: n)
      }
    }
    for (k, batch) in sealed { _ = await sinkQueues[k].push(batch) }
    sealed.removeAll(keepingCapacity: true)
  }

  /// Adds what the container runtime and the kubelet path say about the line: `stream`, the
  /// runtime's time as `timestamp` (unless the event has a time of its own), and `k8s.*`.
  /// A key the event already has is not added again.
  /// Looked up per line: kept as constants, not array literals built on every call.
  private static let streamKey = ["stream"]
  private static let podNameKey = ["k8s.pod.name"]

  private func addContainerFields(_ chunk: SourceChunk, line k: Int) {
    extra.removeAll(keepingCapacity: true)
    if let (stream, time) = chunk.containerInfo(line: k) {
      if event.valueIndex(forAnyOf: Self.streamKey) == nil {
        JSONWriter.appendRaw("\"stream\":\"", to: &extra)
        JSONWriter.appendRaw(stream.name, to: &extra)
        extra.append(UInt8(ascii: "\""))
      }
      if !time.isEmpty && event.valueIndex(forAnyOf: SchemaKeys.timestamp) == nil {
        if !extra.isEmpty { extra.append(UInt8(ascii: ",")) }
        JSONWriter.appendRaw("\"timestamp\":", to: &extra)
        time.withUnsafeBytes { t in
          extra.append(UInt8(ascii: "\""))
          JSONWriter.appendStringContent(t, to: &extra)
          extra.append(UInt8(ascii: "\""))
        }
      }
    }
    if !chunk.fileFields.isEmpty && event.valueIndex(forAnyOf: Self.podNameKey) == nil {
      if !extra.isEmpty { extra.append(UInt8(ascii: ",")) }
      extra.append(contentsOf: chunk.fileFields)
    }
    extra.withUnsafeBytes { event.appendMembers(encoded: $0, scanner: scanner) }
  }
}
