import AsyncAlgorithms
import CoreMetrics
import Logging

/// What flows from sources (and the batch timer) into the pipeline.
public enum PipelineInput: Sendable {
  case chunk(SourceChunk)
  /// Time passed: flush batches that reached their maximum age.
  case tick
}

/// Runs a ``FileTailer`` for one `type: file` source and feeds its chunks to the pipeline.
///
/// Sending suspends while the pipeline is busy, so a slow sink slows reading (backpressure)
/// instead of filling memory. When ``StopSignal`` is set the source makes one last pass to
/// the current end of every file, so lines written before shutdown are not left behind.
///
/// Health: a matched file that cannot be opened makes the source degraded on the board
/// (with the path and the error) until it opens or goes away; the loop beats the watchdog
/// — busy while discovering and reading, idle while it sleeps or waits for the pipeline.
struct FileSource: Source {
  let index: Int
  let config: FileSourceConfig
  let counters: FileSourceCounters
  let health: ComponentHealth
  let watchdog: Watchdog
  let logger: Logger

  /// Resumes every checkpointed file at its offset (and checks its fingerprint).
  func run(resume: [SourcePosition], output: AsyncChannel<PipelineInput>, stop: StopSignal) async {
    var offsets: [FileIdentity: UInt64] = [:]
    var prints: [FileIdentity: Fingerprint] = [:]
    for case .file(let f) in resume {
      offsets[f.identity] = f.offset
      prints[f.identity] = f.fingerprint
    }
    await run(resumeOffsets: offsets, fingerprints: prints, output: output, stop: stop)
  }

  func run(
    resumeOffsets: [FileIdentity: UInt64], fingerprints: [FileIdentity: Fingerprint] = [:],
    output: AsyncChannel<PipelineInput>, stop: StopSignal
  ) async {
    let tailer = FileTailer(
      sourceIndex: index, config: config, resumeOffsets: resumeOffsets, resumeFingerprints: fingerprints,
      counters: counters, logger: logger, rotateWait: config.rotateWait.duration)
    let watcher = config.inotify ? FileWatcher() : nil
    // CopyTruncateCapture stays off: measured side by side it did not lose fewer lines on
    // 2 busy cores (1,973 against 1,237 at 50k lines/s), and one 20k run repeated a line it
    // caught; see docs/reliability.md.
    let heartbeat = watchdog.register(name: config.name, kind: HealthBoard.Kind.source.rawValue)
    defer {
      heartbeat.finished()
      watcher?.shutdown()
    }
    var openProblem: String?
    // Cancellation (the service group failing) ends the loop at once, without a final pass.
    while !Task.isCancelled {
      heartbeat.busy()
      let stopping = stop.isStopped
      tailer.discover()
      report(tailer.unopenable, last: &openProblem)
      if let watcher { for dir in tailer.directoriesToWatch() { watcher.watch(directory: dir) } }
      var gotData = false
      // On stop, read until caught up, so what was written before the request is shipped;
      // bounded (64 polls of up to 1 MiB) in case a writer never stops.
      var polls = 0
      while true {
        let chunks = tailer.poll()
        counters.lagBytes.record(Int64(clamping: tailer.lagBytes))
        if chunks.isEmpty { break }
        gotData = true
        let probe = tailer.lagProbe()
        for chunk in chunks {
          counters.linesRead.increment(by: chunk.lineCount)
          heartbeat.idle()  // waiting for the pipeline is not being stuck
          await Self.send(chunk, to: output, measuringLag: probe, into: counters.lagBytes)
          heartbeat.busy()
        }
        polls += 1
        if !stopping || Task.isCancelled || polls >= 64 { break }
      }
      if stopping { return }
      if !gotData {
        heartbeat.idle()
        if let watcher {
          await Self.idle(stop: stop, doorbell: watcher.doorbell, timeout: config.pollInterval.duration)
        } else {
          await stop.sleep(for: config.pollInterval.duration)
        }
      }
    }
  }

  /// Puts the files that could not be opened on the board, when that changed.
  private func report(_ unopenable: [(path: String, error: String)], last: inout String?) {
    var problem: String?
    if let first = unopenable.first {
      problem =
        "cannot open \(first.path): \(first.error)"
        + (unopenable.count > 1 ? " (and \(unopenable.count - 1) more)" : "")
    }
    guard problem != last else { return }
    last = problem
    if let problem {
      health.set("open", .degraded, reason: problem)
    } else {
      health.clear("open")
    }
  }

  /// Hands `chunk` to the pipeline. While the pipeline holds the source back (a full buffer
  /// with `policy: block`, a disk buffer that cannot be written), the lag gauge is measured
  /// again every second, so that it shows the files growing rather than the last poll's value.
  static func send(
    _ chunk: SourceChunk, to output: AsyncChannel<PipelineInput>, measuringLag probe: LagProbe,
    into gauge: CoreMetrics.Gauge
  ) async {
    await withTaskGroup(of: Void.self) { group in
      group.addTask { await output.send(.chunk(chunk)) }
      group.addTask {
        while (try? await Task.sleep(for: .seconds(1))) != nil {
          gauge.record(Int64(clamping: probe.measure()))
        }
      }
      await group.next()
      group.cancelAll()
    }
  }

  /// Waits for a change in a watched directory, the poll interval, or stop — whichever first.
  static func idle(stop: StopSignal, doorbell: Doorbell, timeout: Duration) async {
    if stop.isStopped { return }
    await withTaskGroup(of: Void.self) { group in
      group.addTask { try? await Task.sleep(for: timeout) }
      group.addTask { await stop.wait() }
      group.addTask { await doorbell.wait() }
      await group.next()
      group.cancelAll()
    }
  }
}
