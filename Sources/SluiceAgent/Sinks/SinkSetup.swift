import Foundation
import Logging

/// One configured sink, built: its transport, its queue (memory or disk buffer), how its
/// senders make encoders, and its readiness on the health board.
struct SinkSetup: Sendable {
  let config: SinkConfig
  let transport: any SinkTransport
  let queue: any SinkQueue
  let makeEncoder: @Sendable () -> any BatchEncoder
  let health: SinkHealth

  init(
    index: Int, config: SinkConfig, dataDir: URL, ackTracker: AckTracker, metrics: AgentMetrics,
    board: HealthBoard, logger: Logger
  )
    throws
  {
    self.config = config
    let health = SinkHealth(config: config, board: board)
    self.health = health
    let makeEncoder = Self.encoderFactory(config)
    self.makeEncoder = makeEncoder
    switch config.type {
    case .http:
      transport = try HTTPTransport(config: config, contentType: makeEncoder().contentType, logger: logger)
    case .file:
      transport = try RotatingFileTransport(
        path: config.path ?? "", maxBytes: config.rotate.maxBytes.bytes, maxFiles: config.rotate.maxFiles)
    case .console:
      let color = config.color ?? ConsoleTransport.shouldColor(fd: 1)
      transport = ConsoleTransport(fd: 1, mode: config.format == .pretty ? .pretty(color: color) : .ndjson)
    }
    let counters = metrics.buffer(
      sink: config.name, maxEvents: config.buffer.type == .memory ? config.buffer.maxEvents : nil,
      maxBytes: config.buffer.byteLimit)
    switch config.buffer.type {
    case .memory:
      queue = MemoryQueue(
        limits: .init(
          maxEvents: config.buffer.maxEvents, maxBytes: config.buffer.byteLimit, policy: config.buffer.policy),
        acknowledge: { ackTracker.delivered(sink: index, through: $0) }, counters: counters, health: health)
    case .disk:
      let dir = DiskBuffer.directory(dataDirectory: dataDir, sink: config.name)
      let buffer = try DiskBuffer(
        directory: dir, maxBytes: config.buffer.byteLimit, segmentBytes: config.buffer.segmentBytes.bytes,
        policy: Self.overflowPolicy(config.buffer.policy))
      let r = buffer.recovery
      if r.tornTails + r.corruptRecords > 0 {
        logger.warning(
          "disk buffer: cut off a torn or corrupt tail",
          metadata: [
            "sink": "\(config.name)", "torn_tails": "\(r.tornTails)", "corrupt_records": "\(r.corruptRecords)",
            "bytes_discarded": "\(r.bytesDiscarded)",
          ])
      }
      if r.ackPositionLost {
        logger.warning(
          "disk buffer: its acknowledgement file was missing or damaged; resending everything it holds (duplicates)",
          metadata: ["sink": "\(config.name)"])
      }
      if buffer.pendingRecords > 0 {
        logger.info(
          "disk buffer: resending what was left",
          metadata: ["sink": "\(config.name)", "events": "\(buffer.pendingEvents)", "bytes": "\(buffer.bytesUsed)"])
      }
      queue = DiskQueue(
        buffer: buffer, acknowledge: { ackTracker.delivered(sink: index, through: $0) }, counters: counters,
        health: health, logger: logger)
    }
  }

  static func overflowPolicy(_ p: BufferConfig.Policy) -> OverflowPolicy {
    switch p {
    case .block: .block
    case .dropOldest: .dropOldest
    case .dropNewest: .dropNewest
    }
  }

  /// Each sender gets its own encoder (encoders keep scratch buffers).
  static func encoderFactory(_ config: SinkConfig) -> @Sendable () -> any BatchEncoder {
    // File and console sinks write NDJSON lines whatever `encoding` says.
    guard config.type == .http else { return { NDJSONEncoder() } }
    switch config.encoding {
    case .ndjson:
      return { NDJSONEncoder() }
    case .jsonArray:
      return { JSONArrayEncoder() }
    case .loki:
      let labels = config.loki.labels.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
      let fields = config.loki.labelFields.sorted { $0.key < $1.key }.map { (label: $0.key, field: $0.value) }
      return { LokiEncoder(staticLabels: labels, labelFields: fields) }
    case .elasticsearch:
      let es = config.elasticsearch
      return { ElasticsearchEncoder(index: es.index, action: es.action == .create ? .create : .index) }
    case .otlp:
      let resource = config.otlp.resource.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
      let fields = config.otlp.resourceFields
      return {
        OTLPEncoder(
          resourceFields: fields ?? OTLPEncoder.defaultResourceFields, staticResource: resource,
          scopeVersion: SluiceVersion.string)
      }
    }
  }
}
