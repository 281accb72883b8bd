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

/// Hands newly built pipeline steps to the running processor, which takes them between two
/// chunks (a reload that changes only `pipeline:`): sources and sinks keep running.
final class StepSwap: Sendable {
  private let pending = Mutex<TaskHandoff<[any EventTransform]>?>(nil)

  init() {}

  func offer(_ steps: [any EventTransform]) { pending.withLock { $0 = TaskHandoff(steps) } }

  /// The steps offered since the last call, if any.
  func take() -> [any EventTransform]? {
    pending.withLock { p in
      defer { p = nil }
      return p?.take()
    }
  }
}
