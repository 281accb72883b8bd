import Logging
import SluiceCore

/// One typed field, encoded: its key, what the key cache knows of it, and where its JSON
/// value is in ``FieldState/values``.
///
/// A plain value (no reference counting to fill or empty an entry): the key is kept as the
/// two words of its `String` when those words alone make the text for the life of the
/// process (small strings and literals, see ``KeyCache``), else ``FieldState`` holds the
/// string and the entry its index there.
struct FieldEntry {
  var keyWord0: UInt64
  var keyWord1: UInt64
  /// Index in ``FieldState/heldKeys``, or -1 when the words are the key.
  var held: Int32
  var valueStart: Int32
  var valueLength: Int32
  var info: KeyCache.Info
}

/// A thread's typed fields while one call fills and writes them (``LogFields``). Kept
/// behind a pointer in the thread's ``ThreadLocalBuffer/Box`` and reused, so a call
/// allocates only when it has more fields, or longer values, than any before it.
struct FieldState {
  /// Encoding for ``SluiceLogHandler`` (else the fields are kept as values, for another handler).
  var encoding = false
  /// Encoded fields so far.
  private(set) var count = 0
  /// The encoded values, back to back.
  var values = ByteBuffer(capacity: 512)
  /// Key fragments of keys the key cache cannot hold.
  var keyScratch = ByteBuffer(capacity: 128)
  private(set) var entries = UnsafeMutablePointer<FieldEntry>.allocate(capacity: 16)
  /// The order in which the last call's fields were written (positions in ``entries``, by
  /// key): a call site gives the same keys in the same order every time, so the next call
  /// first checks whether this order sorts its fields too (``orderCount`` positions).
  private(set) var order = UnsafeMutablePointer<Int>.allocate(capacity: 16)
  var orderCount = 0
  private var capacity = 16
  /// Keys whose words do not identify them for ever (built at run time), kept alive here.
  private var heldKeys: [String] = []
  /// Fields kept as values, for a handler other than ``SluiceLogHandler``.
  var slots: [FieldSlot] = []
  /// The configuration and key cache of the call being made (encoding only).
  /// Unretained: both outlive the call, and borrowing them costs no reference counting.
  private var shared: Unmanaged<SluiceLogHandler.Shared>?
  private var cache: Unmanaged<KeyCache>?

  /// Starts a call that encodes for `shared`, looking keys up in `cache`.
  mutating func start(encodingFor shared: SluiceLogHandler.Shared, cache: KeyCache) {
    encoding = true
    self.shared = Unmanaged.passUnretained(shared)
    self.cache = Unmanaged.passUnretained(cache)
    cache.prepare(owner: shared.id)
  }

  /// Starts a call that keeps values (for another handler).
  mutating func startKeepingValues() { encoding = false }

  /// Empties everything for the next call, keeping the buffers.
  mutating func reset() {
    count = 0
    values.removeAll()
    keyScratch.removeAll()
    if !heldKeys.isEmpty { heldKeys.removeAll(keepingCapacity: true) }
    if !slots.isEmpty { slots.removeAll(keepingCapacity: true) }
    shared = nil
    cache = nil
    // Do not let one huge call pin a huge buffer to the thread for ever.
    if values.capacity > 1 << 20 { values.reset(shrinkingAbove: 1 << 20, to: 512) }
  }

  /// Frees the buffers (the thread is going away).
  mutating func deallocate() {
    reset()
    entries.deallocate()
    order.deallocate()
    values.deallocate()
    keyScratch.deallocate()
  }

  /// Opens field `key`: returns whether its value should now be appended to ``values``
  /// (`false` for a secret key, whose value has been replaced by the marker). Always
  /// followed by ``end()``.
  @inline(__always)
  mutating func begin(_ key: String) -> Bool {
    if count == capacity { grow() }
    let (w0, w1) = KeyCache.words(key)
    let (info, stable) = cache.unsafelyUnwrapped._withUnsafeGuaranteedRef { cache in
      shared.unsafelyUnwrapped._withUnsafeGuaranteedRef { shared in
        (cache.info(key, scratch: &keyScratch, encoder: shared.encoder, reserved: shared.reserved), cache.isStable(w1))
      }
    }
    var held: Int32 = -1
    if !stable {
      held = Int32(truncatingIfNeeded: heldKeys.count)
      heldKeys.append(key)
    }
    (entries + count).initialize(
      to: FieldEntry(
        keyWord0: w0, keyWord1: w1, held: held, valueStart: Int32(truncatingIfNeeded: values.count), valueLength: 0,
        info: info))
    if info.secret {
      appendMarker()
      return false
    }
    return true
  }

  /// Closes the field ``begin(_:)`` opened.
  @inline(__always)
  mutating func end() {
    entries[count].valueLength = Int32(truncatingIfNeeded: values.count) - entries[count].valueStart
    count += 1
  }

  mutating func appendMarker() {
    shared.unsafelyUnwrapped._withUnsafeGuaranteedRef { $0.encoder.appendMarker(to: &values) }
  }

  mutating func appendMetadata(_ value: Logger.MetadataValue) {
    shared.unsafelyUnwrapped._withUnsafeGuaranteedRef { $0.encoder.append(value, to: &values) }
  }

  private mutating func grow() {
    let bigger = UnsafeMutablePointer<FieldEntry>.allocate(capacity: capacity * 2)
    bigger.moveInitialize(from: entries, count: count)
    entries.deallocate()
    entries = bigger
    order.deallocate()
    order = .allocate(capacity: capacity * 2)
    orderCount = 0
    capacity *= 2
  }

  /// The key of field `i`.
  func key(_ i: Int) -> String { key(entries + i) }

  /// The key of `entry` (one of ``entries``).
  @inline(__always)
  func key(_ entry: UnsafePointer<FieldEntry>) -> String {
    let e = entry.pointee
    if e.held >= 0 { return heldKeys[Int(e.held)] }
    // The words of a small or literal string: no reference to count, so rebuilding the
    // string from them owes nothing.
    return unsafeBitCast((e.keyWord0, e.keyWord1), to: String.self)
  }

  /// The encoded value of field `i`.
  func value(_ i: Int) -> UnsafeRawBufferPointer {
    UnsafeRawBufferPointer(start: values.baseAddress + Int(entries[i].valueStart), count: Int(entries[i].valueLength))
  }

  /// The fields as swift-log metadata (for the merging path); a key given twice keeps its
  /// last value. Values are read back from their JSON.
  func metadata() -> Logger.Metadata {
    if !encoding {
      var m: Logger.Metadata = [:]
      for slot in slots { m[slot.key] = slot.value }
      return m
    }
    var m: Logger.Metadata = [:]
    m.reserveCapacity(count)
    for i in 0..<count {
      let bytes = [UInt8](value(i))
      if let json = try? JSONValue.parse(bytes) {
        m[key(i)] = json.metadataValue
      } else {
        m[key(i)] = .string(String(decoding: bytes, as: UTF8.self))
      }
    }
    return m
  }
}
