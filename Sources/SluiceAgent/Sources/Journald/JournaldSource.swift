import AsyncAlgorithms
import Foundation
import Logging

/// Runs a ``JournalReader`` for one `type: journald` source on a thread of its own and feeds
/// its chunks to the pipeline.
///
/// sd-journal handles are not thread-safe and its calls block, so the reader owns its handle
/// on one dedicated thread for the whole run. Chunks cross to the async side through a
/// ``ChunkHandoff`` of capacity 2 and then the pipeline's channel: when the pipeline is slow
/// the reader blocks in ``ChunkHandoff/put(_:)`` (backpressure) and memory stays flat.
///
/// Health: the reader reports to the board whether the journal could be opened, and beats
/// the watchdog from its thread (idle while it waits for entries or for the pipeline).
struct JournaldSource: Source {
  let index: Int
  let config: JournaldSourceConfig
  let counters: JournaldSourceCounters
  let health: ComponentHealth
  let watchdog: Watchdog
  let logger: Logger

  func run(resume: [SourcePosition], output: AsyncChannel<PipelineInput>, stop: StopSignal) async {
    var cursor: String?
    for case .cursor(let c) in resume { cursor = c }
    let handoff = ChunkHandoff(capacity: 2)
    let finished = Latch(permanent: true)
    let (index, config, counters, health, logger) = (self.index, self.config, self.counters, self.health, self.logger)
    let heartbeat = watchdog.register(name: config.name, kind: HealthBoard.Kind.source.rawValue)
    let resumeCursor = cursor
    let thread = Thread {
      let reader = JournalReader(
        sourceIndex: index, config: config, counters: counters, logger: logger, handoff: handoff, stop: stop,
        health: health, heartbeat: heartbeat)
      reader.run(resumeCursor: resumeCursor)
      heartbeat.finished()
      handoff.close()
      finished.signal()
    }
    thread.name = "sluice-journald-\(config.name)"
    thread.start()
    while let chunk = await handoff.take() {
      await output.send(.chunk(chunk))
      if Task.isCancelled { break }
    }
    handoff.cancel()
    await finished.wait()
  }
}
