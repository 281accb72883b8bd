/// Field names whose values must never be written: matched case-insensitively as a whole
/// name or as a run of whole parts of one, after normalising the naming style — `-` and `.`
/// count as `_`, and a camel-case boundary starts a part (`accessToken` is `access_token`,
/// `APIKey` is `api_key`, `X-Api-Key` is `x_api_key`). So `password` catches `Password`,
/// `db_password`, `dbPassword`, `DB_PASSWORD` and `password-hash`; only whole parts match, so
/// `passwords_count` and `tokens_used` are left alone.
public struct SecretKeys: Sendable {
  /// The default deny-list. With the normalisation above it covers `accessToken`,
  /// `ACCESS_TOKEN`, `access-token`, `clientSecret`, `client.secret`, `X-Api-Key`,
  /// `privateKey`, `sessionId`, `session_token`, `webhook_secret`, `adminPassword`, … — the
  /// list in docs/redaction.md.
  public static let defaultNames = [
    "password", "passwd", "pwd", "passphrase", "secret", "token", "access_token", "refresh_token",
    "authorization", "cookie", "set_cookie", "api_key", "apikey", "private_key", "client_secret", "session_id",
    "ssn", "card_number", "credit_card", "cvv",
    // Spelled as one lower-case word, with no boundary to split on.
    "accesstoken", "refreshtoken", "authtoken", "sessiontoken", "clientsecret", "privatekey", "sessionid",
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
    guard Self.hasCamelBoundary(key) else { return matchesParts(key) }
    // Split camel case into `_` parts on the stack (at most one separator per byte).
    return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: key.count * 2) { buffer in
      var count = 0
      for i in 0..<key.count {
        if Self.isCamelBoundary(key, i) {
          buffer[count] = UInt8(ascii: "_")
          count += 1
        }
        buffer[count] = key[i]
        count += 1
      }
      return matchesParts(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(buffer)[0..<count]))
    }
  }

  @inline(__always)
  static func isUpper(_ c: UInt8) -> Bool { c &- UInt8(ascii: "A") < 26 }
  @inline(__always)
  static func isLowerOrDigit(_ c: UInt8) -> Bool { c &- UInt8(ascii: "a") < 26 || c &- UInt8(ascii: "0") < 10 }

  /// Whether a new part starts at `i`: an upper-case letter after a lower-case letter or a
  /// digit (`accessToken`), or the last capital of a run before a lower-case letter (`APIKey`).
  @inline(__always)
  static func isCamelBoundary(_ key: UnsafeRawBufferPointer, _ i: Int) -> Bool {
    guard i > 0, isUpper(key[i]) else { return false }
    let before = key[i - 1]
    if isLowerOrDigit(before) { return true }
    return isUpper(before) && i + 1 < key.count && key[i + 1] &- UInt8(ascii: "a") < 26
  }

  static func hasCamelBoundary(_ key: UnsafeRawBufferPointer) -> Bool {
    for i in 1..<max(1, key.count) where isCamelBoundary(key, i) { return true }
    return false
  }

  /// ``matches(_:)`` on a key with no camel-case boundaries left.
  private func matchesParts(_ key: UnsafeRawBufferPointer) -> Bool {
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
