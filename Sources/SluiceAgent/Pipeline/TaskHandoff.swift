import Synchronization

/// Moves a value that is not `Sendable` (the built pipeline steps, which hold mutable
/// buffers) into the one task that will own it. Whoever creates the handoff must not use
/// the value afterwards; ``take()`` may be called once.
final class TaskHandoff<Value>: @unchecked Sendable {
  private let lock = Mutex(false)
  private var value: Value?

  init(_ value: Value) { self.value = value }

  func take() -> Value {
    lock.withLock { taken in
      precondition(!taken, "TaskHandoff.take() called twice")
      taken = true
    }
    defer { value = nil }
    return value!
  }
}

/// What a reload changes in the running processor: new steps (always rebuilt, so they see
/// the current source slots), the source slots' names, and the sinks to retire and launch.
struct PipelineChange {
  var steps: [any EventTransform]
  var sourceNames: [String]
  /// Sinks removed or changed, by name: they deliver what they hold, then leave.
  var retireSinks: [String] = []
  /// Sinks added or changed: they receive the chunks after the change.
  var launchSinks: [SinkConfig] = []
}

/// Hands reload changes to the running processor, which applies them between two chunks in
/// the order they were offered: sources and unchanged sinks keep running meanwhile.
final class PipelineChanges: Sendable {
  private let pending = Mutex<[TaskHandoff<PipelineChange>]>([])

  init() {}

  func offer(_ change: PipelineChange) { pending.withLock { $0.append(TaskHandoff(change)) } }

  /// The changes offered since the last call, oldest first.
  func take() -> [PipelineChange] {
    pending.withLock { p in
      defer { p.removeAll() }
      return p.map { $0.take() }
    }
  }

  var isEmpty: Bool { pending.withLock { $0.isEmpty } }
}
