import AsyncAlgorithms
import Logging

/// A source component: reads records (file lines, journal entries) and sends them, as
/// ``SourceChunk``s, into the pipeline.
///
/// A source owns what it reads with (file descriptors, a journal handle) for the whole run,
/// and knows its positions only as ``SourcePosition``s: the agent hands it the positions an
/// earlier run had acknowledged, and gets new ones back only through the chunks it sends.
public protocol Source: Sendable {
  /// Reads until `stop` is set — then makes one last pass over what was written before it
  /// — or until the task is cancelled.
  /// - Parameters:
  ///   - resume: the positions acknowledged in an earlier run (from the ``CheckpointStore``).
  ///   - output: the pipeline's input. A send waits until the pipeline takes the chunk, so a
  ///     slow sink slows the source (backpressure) instead of filling memory.
  func run(resume: [SourcePosition], output: AsyncChannel<PipelineInput>, stop: StopSignal) async
}
