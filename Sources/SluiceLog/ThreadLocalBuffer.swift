import SluiceCore

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Per-thread state for encoding log lines, so a log call needs neither a lock nor an
/// allocation once the thread's buffers have grown to fit.
enum ThreadLocalBuffer {
  /// The per-call state, behind a pointer so that using it costs no exclusivity checks.
  struct State {
    /// The line being encoded.
    var line = ByteBuffer(capacity: 1024)
    /// Key fragments of this call's metadata keys that the key cache cannot hold.
    var scratch = ByteBuffer(capacity: 256)
    var clock = RFC3339Cache()
    var inUse = false
  }

  final class Box {
    let state: UnsafeMutablePointer<State> = {
      let p = UnsafeMutablePointer<State>.allocate(capacity: 1)
      p.initialize(to: State())
      return p
    }()
    let keys = KeyCache()
    /// Typed fields of the call being made on this thread (see ``LogFields``).
    let fields: UnsafeMutablePointer<FieldState> = {
      let p = UnsafeMutablePointer<FieldState>.allocate(capacity: 1)
      p.initialize(to: FieldState())
      return p
    }()
    /// For value redaction: a reusable event and this thread's copy of the redactor.
    var event = Event()
    var redactor: Redactor?
    weak var redactorOwner: SluiceLogHandler.Shared?

    deinit {
      state.pointee.line.deallocate()
      state.pointee.scratch.deallocate()
      state.deinitialize(count: 1)
      state.deallocate()
      fields.pointee.deallocate()
      fields.deinitialize(count: 1)
      fields.deallocate()
    }
  }

  private static let key: pthread_key_t = {
    var key = pthread_key_t()
    let rc = pthread_key_create(&key) { pointer in
      #if canImport(Darwin)
        Unmanaged<Box>.fromOpaque(pointer).release()
      #else
        if let pointer { Unmanaged<Box>.fromOpaque(pointer).release() }
      #endif
    }
    precondition(rc == 0, "pthread_key_create failed")
    return key
  }()

  /// Calls `body` with this thread's box, its line buffer emptied. If a log call is already
  /// using the box on this thread (a `description` that logs), a fresh box is used.
  @inline(__always)
  static func with<R>(_ body: (Box) throws -> R) rethrows -> R {
    guard let p = pthread_getspecific(key) else {
      let box = Box()
      pthread_setspecific(key, Unmanaged.passRetained(box).toOpaque())
      return try run(box, body)
    }
    return try Unmanaged<Box>.fromOpaque(p)._withUnsafeGuaranteedRef { box in
      if box.state.pointee.inUse { return try run(Box(), body) }
      return try run(box, body)
    }
  }

  @inline(__always)
  private static func run<R>(_ box: Box, _ body: (Box) throws -> R) rethrows -> R {
    let state = box.state
    state.pointee.inUse = true
    state.pointee.line.removeAll()
    state.pointee.scratch.removeAll()
    defer {
      // Do not let one huge line pin a huge buffer to the thread for ever.
      if state.pointee.line.capacity > 1 << 20 { state.pointee.line.reset(shrinkingAbove: 1 << 20, to: 1024) }
      state.pointee.inUse = false
    }
    return try body(box)
  }
}
