/// Field names whose values must never be written: matched case-insensitively, with `-`, `.`
/// and `_` treated alike, as a whole name or as a `_`-separated part of one. So `password`
/// catches `Password`, `db_password` and `password-hash`, but not `passwords_count`... only
/// whole parts match: `tokens_used` is left alone.
public struct SecretKeys: Sendable {
  /// The default deny-list.
  public static let defaultNames = [
    "password", "passwd", "pwd", "secret", "token", "access_token", "refresh_token", "authorization",
    "cookie", "set_cookie", "api_key", "apikey", "private_key", "client_secret", "ssn", "card_number",
    "credit_card", "cvv",
  ]

  /// Normalised names: lower-case ASCII, separators as `_`.
  private let names: [[UInt8]]

  public init(_ names: [String] = SecretKeys.defaultNames) {
    self.names = names.map { Array($0.utf8).map(Self.fold) }
  }

  @inline(__always)
  static func fold(_ c: UInt8) -> UInt8 {
    if c >= 65 && c <= 90 { return c | 0x20 }
    if c == UInt8(ascii: "-") || c == UInt8(ascii: ".") { return UInt8(ascii: "_") }
    return c
  }

  /// Whether `key` names a secret.
  public func matches(_ key: String) -> Bool {
    var key = key
    return key.withUTF8 { matches(UnsafeRawBufferPointer($0)) }
  }

  public func matches(_ key: UnsafeRawBufferPointer) -> Bool {
    let n = key.count
    guard n > 0 else { return false }
    for name in names where name.count <= n {
      let m = name.count
      // Try each position where a part starts: 0, or after a separator.
      var start = 0
      while start + m <= n {
        if start == 0 || Self.fold(key[start - 1]) == UInt8(ascii: "_") {
          var equal = true
          for j in 0..<m where Self.fold(key[start + j]) != name[j] {
            equal = false
            break
          }
          if equal && (start + m == n || Self.fold(key[start + m]) == UInt8(ascii: "_")) { return true }
        }
        start += 1
      }
    }
    return false
  }
}
