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

  /// Calls `body` with this thread's buffer (emptied) and timestamp cache, moved out of the
  /// box for the call so that `body` works on locals (no dynamic exclusivity checks per
  /// append). If a log call is already using the box on this thread (a `description` that
  /// logs), a fresh box is used.
  @inline(__always)
  static func with<R>(_ body: (inout [UInt8], inout RFC3339Cache, Box) throws -> R) rethrows -> R {
    var box: Box
    if let p = pthread_getspecific(key) {
      box = Unmanaged<Box>.fromOpaque(p).takeUnretainedValue()
    } else {
      box = Box()
      pthread_setspecific(key, Unmanaged.passRetained(box).toOpaque())
    }
    if box.inUse { box = Box() }
    box.inUse = true
    var bytes: [UInt8] = []
    var clock = RFC3339Cache()
    swap(&bytes, &box.bytes)
    swap(&clock, &box.clock)
    bytes.removeAll(keepingCapacity: true)
    defer {
      // Do not let one huge line pin a huge buffer to the thread forever.
      if bytes.capacity > 1 << 20 { bytes = [] }
      swap(&bytes, &box.bytes)
      swap(&clock, &box.clock)
      box.inUse = false
    }
    return try body(&bytes, &clock, box)
  }
}
