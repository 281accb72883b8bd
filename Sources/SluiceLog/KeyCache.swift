import SluiceCore

/// A per-thread memo of what each metadata key needs on every call — its `,"key":` fragment
/// (escaped, renamed to `fields.<key>` if the schema writes that key itself), whether it
/// names a secret, and a 16-byte sort prefix — so a call with ten fields neither escapes,
/// nor classifies, nor compares ten strings again.
///
/// Keys are recognised by the two machine words of the `String` itself. Only strings whose
/// words fully determine their text for the life of the process are remembered: small
/// strings (the text is in the words) and immortal literals (a pointer into the binary's
/// constant data). Heap strings, whose address could later hold a different key, are
/// worked out on every call. Swift's string layout is checked once at start-up; on an
/// unexpected layout the cache stays off.
final class KeyCache {
  struct Info {
    var prefix0: UInt64
    var prefix1: UInt64
    var fragmentStart: Int32
    var fragmentLength: Int32
    var secret: Bool
    /// The fragment is in the call's scratch buffer, not in the cache's arena.
    var inScratch = false
  }

  private struct Slot {
    var word0: UInt64 = 0
    var word1: UInt64 = 0  // 0: empty (no string has an all-zero second word)
    var info = Info(prefix0: 0, prefix1: 0, fragmentStart: 0, fragmentLength: 0, secret: false)
  }

  static let slotCount = 256
  static let maxFill = 192
  static let maxArena = 32 << 10

  /// What changes as keys are remembered, behind a pointer: a class's stored `var` costs a
  /// dynamic exclusivity check (`swift_beginAccess`) on every use, several per log call.
  private struct Mutable {
    /// The configuration the entries were made for (``SluiceLogHandler/Shared/id``).
    var owner: UInt64 = 0
    var filled = 0
    /// Fragments of remembered keys.
    var arena = ByteBuffer(capacity: 1024)
  }

  private let slots: UnsafeMutablePointer<Slot> = {
    let p = UnsafeMutablePointer<Slot>.allocate(capacity: KeyCache.slotCount)
    p.initialize(repeating: Slot(), count: KeyCache.slotCount)
    return p
  }()
  private let mutable: UnsafeMutablePointer<Mutable> = {
    let p = UnsafeMutablePointer<Mutable>.allocate(capacity: 1)
    p.initialize(to: Mutable())
    return p
  }()

  /// Where the fragments of remembered keys start (valid until the next ``prepare(owner:)``).
  var arenaBase: UnsafeMutablePointer<UInt8> { mutable.pointee.arena.baseAddress }

  deinit {
    mutable.pointee.arena.deallocate()
    mutable.deinitialize(count: 1)
    mutable.deallocate()
    slots.deallocate()
  }

  /// Empties the cache if it belongs to another configuration or is nearly full. Called
  /// before a call looks keys up, so offsets handed out during one call stay valid.
  @inline(__always)
  func prepare(owner: UInt64) {
    let m = mutable
    if owner != m.pointee.owner || m.pointee.filled >= Self.maxFill || m.pointee.arena.count >= Self.maxArena {
      for i in 0..<Self.slotCount { slots[i].word1 = 0 }
      m.pointee.filled = 0
      m.pointee.arena.removeAll()
      m.pointee.owner = owner
    }
  }

  @inline(__always)
  static func words(_ key: String) -> (UInt64, UInt64) { unsafeBitCast(key, to: (UInt64, UInt64).self) }

  /// Whether the words of `key` identify its text for the life of the process.
  @inline(__always)
  func isStable(_ word1: UInt64) -> Bool {
    enabled && (word1 >> 63 == 1 || word1 >> 61 & 1 == 1) && word1 >> 60 & 1 == 0
  }

  /// ``layoutKnown``, copied: a `static let` costs a `swift_once` check per read.
  private let enabled = KeyCache.layoutKnown

  /// Checks the assumptions about `String`'s layout on this platform once.
  static let layoutKnown: Bool = {
    guard MemoryLayout<String>.size == 16 else { return false }
    let small = words("abc").1
    let literal = words("a string literal longer than fifteen bytes").1
    let heap = words(String(repeating: "x", count: 40)).1
    return small >> 61 & 1 == 1 && literal >> 63 == 1 && literal >> 61 & 1 == 0 && heap >> 63 == 0
      && heap >> 61 & 1 == 0
  }()

  /// What `key` needs, worked out by `encoder` (with the configuration's `reserved` keys) on
  /// a miss. `scratch` receives fragments of keys that cannot be remembered; the result's
  /// `inScratch` tells which buffer its offsets refer to.
  @inline(__always)
  func info(_ key: String, scratch: inout ByteBuffer, encoder: MetadataEncoder, reserved: ReservedKeys) -> Info {
    let (w0, w1) = Self.words(key)
    guard isStable(w1) else { return encoder.keyInfo(key, reserved: reserved, into: &scratch, inScratch: true) }
    let mask = Self.slotCount - 1
    var i = Int(truncatingIfNeeded: (((w0 &* 0x9E37_79B9_7F4A_7C15) ^ w1) &* 0xBF58_476D_1CE4_E5B9) >> 40) & mask
    while slots[i].word1 != 0 {
      if slots[i].word0 == w0 && slots[i].word1 == w1 { return slots[i].info }
      i = (i + 1) & mask
    }
    let m = mutable
    if m.pointee.filled >= Self.slotCount - 1 {  // full within one call: do not remember
      return encoder.keyInfo(key, reserved: reserved, into: &scratch, inScratch: true)
    }
    let info = encoder.keyInfo(key, reserved: reserved, into: &m.pointee.arena, inScratch: false)
    slots[i] = Slot(word0: w0, word1: w1, info: info)
    m.pointee.filled += 1
    return info
  }

  /// The first 16 bytes of `key`'s UTF-8, big-endian and zero-padded: comparing these
  /// orders keys as their bytes do, up to the sixteenth byte.
  static func sortPrefix(_ key: String) -> (UInt64, UInt64) {
    var p0: UInt64 = 0
    var p1: UInt64 = 0
    var k = 0
    for b in key.utf8 {
      if k < 8 {
        p0 |= UInt64(b) << (56 - 8 * UInt64(k))
      } else if k < 16 {
        p1 |= UInt64(b) << (56 - 8 * UInt64(k - 8))
      } else {
        break
      }
      k += 1
    }
    return (p0, p1)
  }
}
