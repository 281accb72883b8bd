/// Field names whose values must never be written: matched case-insensitively, with `-`, `.`
/// and `_` treated alike, as a whole name or as a `_`-separated part of one. So `password`
/// catches `Password`, `db_password` and `password-hash`; only whole parts match, so
/// `passwords_count` and `tokens_used` are left alone.
public struct SecretKeys: Sendable {
  /// The default deny-list.
  public static let defaultNames = [
    "password", "passwd", "pwd", "secret", "token", "access_token", "refresh_token", "authorization",
    "cookie", "set_cookie", "api_key", "apikey", "private_key", "client_secret", "ssn", "card_number",
    "credit_card", "cvv",
  ]

  /// Normalised names (lower-case ASCII, separators as `_`) by their FNV-1a hash.
  private let byHash: [UInt64: [[UInt8]]]
  /// One bit per `hash & 63` of every name: most keys are rejected without a table lookup.
  private let filter: UInt64
  /// The most `_`-separated parts any name has.
  private let maxParts: Int
  /// One bit per (first, second) byte pair that some name starts with (5 low bits of each):
  /// a part whose first two bytes are not in it cannot start a match, so most parts of most
  /// keys are skipped without hashing.
  private let starts: [UInt64]

  public init(_ names: [String] = SecretKeys.defaultNames) {
    var byHash: [UInt64: [[UInt8]]] = [:]
    var filter: UInt64 = 0
    var maxParts = 1
    var starts = [UInt64](repeating: 0, count: 16)
    for name in names {
      let folded = Array(name.utf8).map(Self.fold)
      guard !folded.isEmpty else { continue }
      if folded.count < 2 {
        starts = [UInt64](repeating: ~0, count: 16)  // one-byte names: no filtering
      } else {
        let bit = Self.pairBit(folded[0], folded[1])
        starts[bit >> 6] |= 1 << UInt64(bit & 63)
      }
      var h = Self.offset
      for c in folded { h = (h ^ UInt64(c)) &* Self.prime }
      byHash[h, default: []].append(folded)
      filter |= 1 << (h & 63)
      maxParts = max(maxParts, folded.filter { $0 == UInt8(ascii: "_") }.count + 1)
    }
    self.byHash = byHash
    self.filter = filter
    self.maxParts = maxParts
    self.starts = starts
  }

  @inline(__always)
  static func pairBit(_ a: UInt8, _ b: UInt8) -> Int { Int(a & 31) << 5 | Int(b & 31) }

  static let offset: UInt64 = 0xcbf2_9ce4_8422_2325
  static let prime: UInt64 = 0x100_0000_01b3

  @inline(__always)
  static func fold(_ c: UInt8) -> UInt8 {
    if c >= 65 && c <= 90 { return c | 0x20 }
    if c == UInt8(ascii: "-") || c == UInt8(ascii: ".") { return UInt8(ascii: "_") }
    return c
  }

  /// Whether `key` names a secret.
  @inline(__always)
  public func matches(_ key: String) -> Bool {
    var key = key
    return key.withUTF8 { matches(UnsafeRawBufferPointer($0)) }
  }

  /// Whether `key` (UTF-8) names a secret: some run of its whole parts equals a name.
  public func matches(_ key: UnsafeRawBufferPointer) -> Bool {
    let n = key.count
    var start = 0
    while start < n {
      if start + 1 < n {
        let bit = Self.pairBit(Self.fold(key[start]), Self.fold(key[start + 1]))
        if starts[bit >> 6] & (1 << UInt64(bit & 63)) == 0 {
          // No name starts like this part: go to the next part.
          while start < n && Self.fold(key[start]) != UInt8(ascii: "_") { start += 1 }
          start += 1
          continue
        }
      }
      // Hash runs of 1…maxParts parts beginning at `start`, checking at each part end.
      var h = Self.offset
      var parts = 0
      var j = start
      var ended = false
      while j < n {
        let c = Self.fold(key[j])
        if c == UInt8(ascii: "_") {
          if check(h, key, start, j) { return true }
          parts += 1
          if parts == maxParts {
            ended = true
            break
          }
        }
        h = (h ^ UInt64(c)) &* Self.prime
        j += 1
      }
      if !ended && check(h, key, start, n) { return true }
      // Next part.
      while start < n && Self.fold(key[start]) != UInt8(ascii: "_") { start += 1 }
      start += 1
    }
    return false
  }

  @inline(__always)
  private func check(_ h: UInt64, _ key: UnsafeRawBufferPointer, _ from: Int, _ to: Int) -> Bool {
    guard filter & (1 << (h & 63)) != 0, to > from, let candidates = byHash[h] else { return false }
    for name in candidates where name.count == to - from {
      var equal = true
      for k in 0..<name.count where Self.fold(key[from + k]) != name[k] {
        equal = false
        break
      }
      if equal { return true }
    }
    return false
  }
}
