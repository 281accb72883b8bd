/// A sealed batch handed to one of a sink's senders.
struct QueuedBatch: Sendable {
  /// NDJSON: one event per line.
  var payload: [UInt8]
  var eventCount: Int
  /// Names the batch to its queue when it is completed or given back.
  let ticket: UInt64
}

/// What became of a batch pushed into a sink's queue.
enum PushResult: Sendable, Equatable {
  /// Queued; to make room, this many older events were dropped (`drop_oldest`).
  case queued(droppedOldest: Int)
  /// Not queued: the queue was full and its policy is `drop_newest` (the events are counted).
  case droppedNewest
  /// Not queued: the queue was closed at the end of the shutdown grace period. The batch's
  /// events are not acknowledged, so they are read again after a restart.
  case closed
}

/// Where one sink's sealed batches wait between the pipeline and the sink's senders.
///
/// The pipeline pushes in order; senders pop, deliver and then complete (delivered or
/// dead-lettered) or give back (not delivered before the grace period ended). The queue
/// owns the acknowledgement path: it tells the ``AckTracker`` which chunks this sink is done
/// with — for the memory queue once a batch and all before it are completed, for the disk
/// queue once a batch is durably appended.
protocol SinkQueue: Sendable {
  /// Queues a batch; under the `block` policy this waits while the queue is full.
  func push(_ batch: Batch) async -> PushResult
  /// The next batch to send, waiting for one; nil once finished and drained, or closed.
  func pop() async -> QueuedBatch?
  /// The batch was delivered or dead-lettered.
  func complete(_ ticket: UInt64)
  /// The batch could not be delivered before shutdown; it stays unacknowledged.
  func giveBack(_ ticket: UInt64)
  /// No more pushes: senders drain what is queued, then `pop` returns nil.
  func finish()
  /// The grace period is over: waiting pushes and pops return at once.
  func close()
  /// Makes what was pushed durable (before source checkpoints are saved).
  func sync() throws
}
