import SluiceCore

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A byte buffer per thread, so encoding a log line needs neither a lock nor an allocation
/// once the thread's buffer has grown to fit.
enum ThreadLocalBuffer {
  final class Box {
    var bytes: [UInt8] = []
    var inUse = false
    /// For value redaction: a reusable event and this thread's copy of the redactor.
    var event = Event()
    var redactor: Redactor?
    weak var redactorOwner: SluiceLogHandler.Shared?
    var clock = RFC3339Cache()
    init() { bytes.reserveCapacity(1024) }
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

  /// Calls `body` with this thread's box, its buffer emptied. If a log call is already
  /// using the box on this thread (a `description` that logs), a fresh box is used.
  @inline(__always)
  static func with<R>(_ body: (Box) throws -> R) rethrows -> R {
    var box: Box
    if let p = pthread_getspecific(key) {
      box = Unmanaged<Box>.fromOpaque(p).takeUnretainedValue()
    } else {
      box = Box()
      pthread_setspecific(key, Unmanaged.passRetained(box).toOpaque())
    }
    if box.inUse { box = Box() }
    box.inUse = true
    box.bytes.removeAll(keepingCapacity: true)
    defer {
      box.inUse = false
      // Do not let one huge line pin a huge buffer to the thread forever.
      if box.bytes.capacity > 1 << 20 { box.bytes = [] }
    }
    return try body(box)
  }
}
