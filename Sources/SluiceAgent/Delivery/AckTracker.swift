import Synchronization

/// Moves checkpoints forward only over events every sink has acknowledged.
///
/// The pipeline numbers chunks in the order it processes them and registers each one's
/// file position. Each sink's queue reports the highest chunk it is done with (delivered,
/// dead-lettered or dropped, in push order; or, with a disk buffer, durably appended). A
/// chunk is acknowledged when every sink has passed it;
/// then, and only then, its position (a ``SourcePosition``, whatever the source) reaches the
/// ``CheckpointStore``.
public final class AckTracker: Sendable {
  struct Position {
    var source: String
    var position: SourcePosition
  }

  struct State {
    var pending: [(UInt64, Position)] = []
    var head = 0
    /// Per sink slot: the chunk it is done with. A retired slot (a sink a reload removed or
    /// replaced) holds `UInt64.max`, so it holds nothing back.
    var sinkWatermarks: [UInt64]
    /// Per source slot: its name. Slots only grow within a generation (a source a reload
    /// removes keeps its slot; one it adds gets the next), so chunks in flight keep theirs.
    var sourceNames: [String]
    /// The highest chunk registered.
    var lastSequence: UInt64 = 0
  }

  private let state: Mutex<State>
  private let store: CheckpointStore

  public init(sinkCount: Int, sourceNames: [String], store: CheckpointStore) {
    self.state = Mutex(State(sinkWatermarks: Array(repeating: 0, count: sinkCount), sourceNames: sourceNames))
    self.store = store
  }

  /// Records chunk `sequence`'s position (sequences must increase).
  func register(sequence: UInt64, chunk: SourceChunk) {
    state.withLock {
      $0.pending.append((sequence, Position(source: $0.sourceNames[chunk.sourceIndex], position: chunk.position)))
      $0.lastSequence = sequence
    }
  }

  /// Sink `sink` has delivered (or dead-lettered) everything through chunk `sequence`.
  public func delivered(sink: Int, through sequence: UInt64) {
    let ready = state.withLock { s in
      s.sinkWatermarks[sink] = max(s.sinkWatermarks[sink], sequence)
      return Self.release(&s)
    }
    for p in ready { store.advance(source: p.source, to: p.position) }
  }

  /// Takes off the pending list every chunk all sinks have passed.
  private static func release(_ s: inout State) -> [Position] {
    let acked = s.sinkWatermarks.min() ?? 0
    var out: [Position] = []
    while s.head < s.pending.count, s.pending[s.head].0 <= acked {
      out.append(s.pending[s.head].1)
      s.head += 1
    }
    if s.head > 1024 && s.head * 2 > s.pending.count {
      s.pending.removeFirst(s.head)
      s.head = 0
    }
    return out
  }

  /// How many chunks are still waiting for some sink.
  public var unacknowledged: Int { state.withLock { $0.pending.count - $0.head } }

  // MARK: Components a reload adds or removes while the generation runs

  /// The slot of source `name`, a new one if the generation has not had that source.
  func sourceIndex(for name: String) -> Int {
    state.withLock { s in
      if let k = s.sourceNames.firstIndex(of: name) { return k }
      s.sourceNames.append(name)
      return s.sourceNames.count - 1
    }
  }

  /// Every source slot's name (for steps that label by source).
  var sourceNames: [String] { state.withLock { $0.sourceNames } }

  /// How many chunks of source `name` still wait for some sink.
  func unacknowledged(source name: String) -> Int {
    state.withLock { s in s.pending[s.head...].reduce(0) { $0 + ($1.1.source == name ? 1 : 0) } }
  }

  /// A new sink slot that has passed every chunk registered so far (it receives only later
  /// ones).
  func addSink() -> Int {
    state.withLock { s in
      s.sinkWatermarks.append(s.lastSequence)
      return s.sinkWatermarks.count - 1
    }
  }

  /// The chunk sink slot `sink` is done with.
  func watermark(sink: Int) -> UInt64 { state.withLock { $0.sinkWatermarks[sink] } }

  /// The highest chunk registered.
  var lastSequence: UInt64 { state.withLock { $0.lastSequence } }

  /// Stops waiting for sink slot `sink` (it delivered all it was given and is gone).
  func retireSink(_ sink: Int) {
    let ready = state.withLock { s in
      s.sinkWatermarks[sink] = .max
      return Self.release(&s)
    }
    for p in ready { store.advance(source: p.source, to: p.position) }
  }
}
