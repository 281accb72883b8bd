import Foundation
import Synchronization

/// Hands chunks from a source's own thread (one that blocks in C calls, such as the journal
/// reader) to an async task, with a fixed capacity: ``put(_:)`` blocks the thread while
/// `capacity` chunks wait, so a slow pipeline pauses the reader instead of filling memory.
final class ChunkHandoff: Sendable {
  private struct State {
    var queue: [SourceChunk] = []
    var taker: CheckedContinuation<SourceChunk?, Never>?
    /// The producer has finished: takes return what is queued, then nil.
    var closed = false
    /// The consumer has gone: puts fail at once.
    var cancelled = false
  }
  private let state = Mutex(State())
  private let space: DispatchSemaphore
  private let capacity: Int

  init(capacity: Int) {
    self.capacity = capacity
    space = DispatchSemaphore(value: capacity)
  }

  /// Whether the consumer has gone (the producer should stop).
  var isCancelled: Bool { state.withLock { $0.cancelled } }

  /// Queues `chunk`, waiting (blocking the thread) while the queue is full.
  /// - Returns: false if the consumer has gone; the chunk is dropped (it was not
  ///   acknowledged, so it is read again after a restart).
  @discardableResult
  func put(_ chunk: SourceChunk) -> Bool {
    space.wait()
    let taker = state.withLock { s -> CheckedContinuation<SourceChunk?, Never>?? in
      if s.cancelled { return .none }
      if let t = s.taker {
        s.taker = nil
        return .some(t)
      }
      s.queue.append(chunk)
      return .some(nil)
    }
    switch taker {
    case .none:
      space.signal()
      return false
    case .some(let t?):
      space.signal()
      t.resume(returning: chunk)
    case .some(nil):
      break
    }
    return true
  }

  /// Marks the end of the stream: once the queue is empty, ``take()`` returns nil.
  func close() {
    let taker = state.withLock { s -> CheckedContinuation<SourceChunk?, Never>? in
      s.closed = true
      defer { s.taker = nil }
      return s.queue.isEmpty ? s.taker : nil
    }
    taker?.resume(returning: nil)
  }

  /// The consumer stops: a blocked ``put(_:)`` returns false, later ones too.
  func cancel() {
    let taker = state.withLock { s -> CheckedContinuation<SourceChunk?, Never>? in
      s.cancelled = true
      s.queue.removeAll()
      defer { s.taker = nil }
      return s.taker
    }
    taker?.resume(returning: nil)
    // Wake a producer blocked for space (the state check then fails it).
    space.signal()
  }

  /// The next chunk, or nil once the producer has closed and everything is taken (or the
  /// task is cancelled). One consumer only.
  func take() async -> SourceChunk? {
    await withTaskCancellationHandler {
      await withCheckedContinuation { (c: CheckedContinuation<SourceChunk?, Never>) in
        let ready = state.withLock { s -> SourceChunk?? in
          if !s.queue.isEmpty { return .some(s.queue.removeFirst()) }
          if s.closed || s.cancelled || Task.isCancelled { return .some(nil) }
          s.taker = c
          return .none
        }
        if case .some(let chunk) = ready {
          if chunk != nil { space.signal() }
          c.resume(returning: chunk)
        }
      }
    } onCancel: {
      cancel()
    }
  }
}
