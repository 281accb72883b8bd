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
    var sinkWatermarks: [UInt64]
  }

  private let state: Mutex<State>
  private let store: CheckpointStore
  private let sourceNames: [String]

  public init(sinkCount: Int, sourceNames: [String], store: CheckpointStore) {
    self.state = Mutex(State(sinkWatermarks: Array(repeating: 0, count: sinkCount)))
    self.store = store
    self.sourceNames = sourceNames
  }

  /// Records chunk `sequence`'s position (sequences must increase).
  func register(sequence: UInt64, chunk: SourceChunk) {
    let p = Position(source: sourceNames[chunk.sourceIndex], position: chunk.position)
    state.withLock { $0.pending.append((sequence, p)) }
  }

  /// Sink `sink` has delivered (or dead-lettered) everything through chunk `sequence`.
  public func delivered(sink: Int, through sequence: UInt64) {
    let ready: [Position] = state.withLock { s in
      s.sinkWatermarks[sink] = max(s.sinkWatermarks[sink], sequence)
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
    for p in ready {
      store.advance(source: p.source, to: p.position)
    }
  }

  /// How many chunks are still waiting for some sink.
  public var unacknowledged: Int { state.withLock { $0.pending.count - $0.head } }
}
