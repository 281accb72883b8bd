#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The top-level members of a JSON object that a reader needs, for
/// ``JSONScanner/scanObject(_:keeping:into:)``: the others are skipped without being recorded.
///
/// Some keys *settle* the reader: once all of them have been seen, nothing later in the object
/// can change what it reads (lookups take a key's first occurrence), so the scan may stop there.
/// A query on `service` is settled by `service`; one that tries `error.type` as one key before
/// `type` inside `error` is settled only by `error.type` itself, since it could come after
/// `error`.
public final class JSONProjection: Sendable {
  /// The kept keys' raw UTF-8, one after another.
  private let storage: [UInt8]
  /// Where each key is in ``storage``.
  private let ranges: [Range<Int>]
  /// Bit `k` is set when key `k` settles the reader.
  let settlingMask: UInt64
  /// Bit `n % 64` is set when some kept key is `n` bytes long: most keys of a line are
  /// passed over on this one test.
  private let lengths: UInt64
  /// Bit `b % 64` is set when some kept key starts with byte `b` (a second one-test filter).
  private let firstBytes: UInt64

  /// The most keys a projection holds (one bit each in a mask).
  public static let maxKeys = 64

  /// - Parameters:
  ///   - keys: the keys to keep, as written between the quotes (unescaped).
  ///   - settling: those of `keys` whose presence settles the reader; if any of them is not in
  ///     `keys` it is added. Empty: the scan always reads the whole object.
  /// - Returns: nil if there would be more than ``maxKeys`` keys.
  public init?(keys: [String], settling: [String] = []) {
    var unique: [[UInt8]] = []
    for key in keys + settling where !unique.contains(Array(key.utf8)) { unique.append(Array(key.utf8)) }
    guard unique.count <= Self.maxKeys else { return nil }
    var storage: [UInt8] = []
    var ranges: [Range<Int>] = []
    var lengths: UInt64 = 0
    var firstBytes: UInt64 = 0
    var mask: UInt64 = 0
    for key in unique {
      ranges.append(storage.count..<storage.count + key.count)
      storage += key
      lengths |= 1 << UInt64(key.count & 63)
      firstBytes |= 1 << UInt64((key.first ?? 0) & 63)
    }
    for key in settling {
      if let k = unique.firstIndex(of: Array(key.utf8)) { mask |= 1 << UInt64(k) }
    }
    self.storage = storage
    self.ranges = ranges
    self.lengths = lengths
    self.firstBytes = firstBytes
    settlingMask = mask
  }

  /// The keys a lookup of `path` may read at the top level (``JSONTape/lookup(path:inObjectAt:tape:bytes:)``:
  /// the whole path as one key, then its first component), and the one that settles it: the
  /// whole path, which could follow the first component.
  public static func keys(forPath path: String) -> (keys: [String], settling: String) {
    guard let dot = path.firstIndex(of: "."), dot != path.startIndex else { return ([path], path) }
    return ([path, String(path[..<dot])], path)
  }

  /// A projection for lookups of `paths` (``keys(forPath:)``); settled when all of them are,
  /// or — with `firstPresentWins` — when the first is (a reader taking the first path
  /// present, which must read the object whole if that one does not serve).
  public convenience init?(paths: [String], firstPresentWins: Bool = false) {
    let each = paths.map(Self.keys(forPath:))
    let settling = firstPresentWins ? Array(each.prefix(1).map(\.settling)) : each.map(\.settling)
    self.init(keys: each.flatMap(\.keys), settling: settling)
  }

  /// The number of keys kept.
  public var count: Int { ranges.count }

  /// The projection that keeps both projections' keys, settled when both are.
  public func union(_ other: JSONProjection) -> JSONProjection? {
    let mine = ranges.indices.map { key($0) }
    let theirs = other.ranges.indices.map { other.key($0) }
    let settling =
      ranges.indices.filter { settlingMask & (1 << UInt64($0)) != 0 }.map { key($0) }
      + other.ranges.indices.filter { other.settlingMask & (1 << UInt64($0)) != 0 }.map { other.key($0) }
    // Both settle only when each side's settling keys are all seen; a side with none never
    // settles, so neither does the union.
    let eitherNeverSettles = settlingMask == 0 || other.settlingMask == 0
    return JSONProjection(keys: mine + theirs, settling: eitherNeverSettles ? [] : settling)
  }

  private func key(_ k: Int) -> String { String(decoding: storage[ranges[k]], as: UTF8.self) }

  /// The index of the kept key equal to `key`, or nil.
  @inline(__always)
  func index(of key: UnsafeRawBufferPointer) -> Int? {
    guard lengths & (1 << UInt64(key.count & 63)) != 0,
      firstBytes & (1 << UInt64((key.first ?? 0) & 63)) != 0
    else { return nil }
    return storage.withUnsafeBytes { s in
      for (k, r) in ranges.enumerated() where r.count == key.count {
        if r.isEmpty || memcmp(s.baseAddress! + r.lowerBound, key.baseAddress!, r.count) == 0 { return k }
      }
      return nil
    }
  }
}
