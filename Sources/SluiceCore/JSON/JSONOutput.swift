#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A growable byte destination that ``JSONWriter`` appends to: `[UInt8]`, or ``ByteBuffer``
/// where every nanosecond counts.
public protocol JSONOutput {
  mutating func append(_ byte: UInt8)
  mutating func append(bytes: UnsafeRawBufferPointer)
}

extension Array: JSONOutput where Element == UInt8 {
  @inlinable
  public mutating func append(bytes: UnsafeRawBufferPointer) { append(contentsOf: bytes) }
}

/// A byte buffer over manually managed memory: appending is a capacity check and a store,
/// with none of `Array`'s uniqueness checks.
///
/// It is a plain value holding a pointer: copies share the memory, and exactly one owner
/// must call ``deallocate()`` (SluiceLog's per-thread buffers do it when the thread ends).
public struct ByteBuffer: JSONOutput {
  @usableFromInline var base: UnsafeMutablePointer<UInt8>
  @usableFromInline var used: Int = 0
  @usableFromInline var allocated: Int

  public init(capacity: Int = 1024) {
    allocated = max(capacity, 16)
    base = .allocate(capacity: allocated)
  }

  /// Frees the memory. The buffer (and every copy of it) must not be used afterwards.
  public func deallocate() { base.deallocate() }

  /// Where the bytes start (valid until the next append).
  @inlinable
  public var baseAddress: UnsafeMutablePointer<UInt8> { base }

  /// Bytes written so far.
  @inlinable
  public var count: Int { used }

  /// Bytes it can hold before growing.
  @inlinable
  public var capacity: Int { allocated }

  /// The bytes written so far (valid until the next append).
  @inlinable
  public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: used) }

  @inlinable
  public var isEmpty: Bool { used == 0 }

  /// Forgets the contents, keeping the memory.
  @inlinable
  public mutating func removeAll() { used = 0 }

  /// Drops `k` bytes from the end.
  @inlinable
  public mutating func removeLast(_ k: Int) { used -= min(k, used) }

  /// Removes the byte at `index`, moving the rest down.
  public mutating func remove(at index: Int) {
    precondition(index >= 0 && index < used)
    (base + index).update(from: base + index + 1, count: used - index - 1)
    used -= 1
  }

  @inlinable
  public mutating func append(_ byte: UInt8) {
    if used == allocated { grow(to: used + 1) }
    base[used] = byte
    used += 1
  }

  @inlinable
  public mutating func append(bytes: UnsafeRawBufferPointer) {
    let n = bytes.count
    guard n > 0 else { return }
    if allocated - used < n { grow(to: used + n) }
    let source = bytes.baseAddress!
    let target = UnsafeMutableRawPointer(base + used)
    // Fragments of a few bytes (keys, numbers, punctuation) are most appends: copying them
    // with two overlapping loads and stores costs less than a call to memcpy.
    if n <= 16 {
      if n >= 8 {
        let head = source.loadUnaligned(as: UInt64.self)
        let tail = source.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)
        target.storeBytes(of: head, as: UInt64.self)
        target.storeBytes(of: tail, toByteOffset: n - 8, as: UInt64.self)
      } else if n >= 4 {
        let head = source.loadUnaligned(as: UInt32.self)
        let tail = source.loadUnaligned(fromByteOffset: n - 4, as: UInt32.self)
        target.storeBytes(of: head, as: UInt32.self)
        target.storeBytes(of: tail, toByteOffset: n - 4, as: UInt32.self)
      } else {
        for i in 0..<n {
          target.storeBytes(of: source.load(fromByteOffset: i, as: UInt8.self), toByteOffset: i, as: UInt8.self)
        }
      }
    } else if n <= 32 {
      // Timestamps, schema fragments and most values: two overlapping 16-byte copies.
      let head = source.loadUnaligned(as: SIMD16<UInt8>.self)
      let tail = source.loadUnaligned(fromByteOffset: n - 16, as: SIMD16<UInt8>.self)
      target.storeBytes(of: head, as: SIMD16<UInt8>.self)
      target.storeBytes(of: tail, toByteOffset: n - 16, as: SIMD16<UInt8>.self)
    } else {
      memcpy(target, source, n)
    }
    used += n
  }

  @inlinable
  public mutating func append(contentsOf bytes: [UInt8]) {
    bytes.withUnsafeBytes { append(bytes: $0) }
  }

  /// Reallocates to at least `needed` bytes (doubling), keeping the contents.
  @usableFromInline
  @inline(never)
  mutating func grow(to needed: Int) {
    let newCapacity = max(needed, allocated * 2)
    let p = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
    p.update(from: base, count: used)
    base.deallocate()
    base = p
    allocated = newCapacity
  }

  /// Empties the buffer, and shrinks it back to `capacity` bytes if it has grown past
  /// `limit` (one huge line must not pin a huge buffer for ever).
  public mutating func reset(shrinkingAbove limit: Int, to capacity: Int) {
    used = 0
    if allocated > limit {
      base.deallocate()
      allocated = max(capacity, 16)
      base = .allocate(capacity: allocated)
    }
  }
}
