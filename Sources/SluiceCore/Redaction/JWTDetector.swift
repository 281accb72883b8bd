#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Detects JSON Web Tokens in compact serialisation: `header.payload.signature`.
///
/// Matched: three base64url segments (`A–Z a–z 0–9 - _`) joined by dots, where the header
/// and the payload both encode a JSON object — so both start with `eyJ` (`{"`) — the header
/// is at least 18 characters (the shortest real one, `{"alg":"none"}`, is 19) and the
/// payload at least 10; the signature may be empty, so unsigned `alg: none` tokens ending
/// in `.` are matched too. The token must start at a word boundary (or after a `%XX` URL
/// escape, as in `authorization=Bearer%20eyJ…`).
///
/// Not matched: a lone base64 JSON blob (`eyJmb28iOiJiYXIifQ==`, no dots), two-segment
/// strings, JWE tokens (five segments; the second is an encrypted key, not `eyJ`), `eyJ`
/// inside a longer identifier.
public struct JWTDetector: Detector {
  public let name = "jwt"
  public var requires: ByteClasses { [.dot, .lower, .upper] }
  /// A 19-character header, a 10-character payload and the dot between them; with the
  /// second dot at least 30.
  public var minimumLength: Int { 30 }

  public init() {}

  static let headerMinimum = 18
  static let payloadMinimum = 10

  static let base64url: [Bool] = SecretScan.table(SecretScan.alphanumerics + "-_")

  public func detect(in text: UnsafeRawBufferPointer, rule: Int, into matches: inout [DetectorMatch]) {
    guard let base = text.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
    let n = text.count
    Self.base64url.withUnsafeBufferPointer { b64 in
      // Anchor on the rare `J` of `eyJ` with memchr, then look back for `ey`.
      var i = 2
      while i < n, let hit = memchr(base + i, 0x4A, n - i) {
        let j = UnsafeRawPointer(hit) - UnsafeRawPointer(base)
        let start = j - 2
        if base[start] == UInt8(ascii: "e") && base[start + 1] == UInt8(ascii: "y"),
          SecretScan.startsWord(base, start),
          let end = Self.token(base, n, start, b64)
        {
          matches.append(DetectorMatch(range: start..<end, rule: rule))
          i = end + 2
        } else {
          i = j + 1
        }
      }
    }
  }

  /// The end of the token starting (with `eyJ`) at `start`, or nil.
  @inline(__always)
  static func token(_ p: UnsafePointer<UInt8>, _ n: Int, _ start: Int, _ b64: UnsafeBufferPointer<Bool>) -> Int? {
    var k = start + 3
    while k < n && b64[Int(p[k])] { k += 1 }
    guard k - start >= headerMinimum, k < n, p[k] == UInt8(ascii: ".") else { return nil }
    let payload = k + 1
    guard SecretScan.has("eyJ", at: payload, in: p, n) else { return nil }
    k = payload + 3
    while k < n && b64[Int(p[k])] { k += 1 }
    guard k - payload >= payloadMinimum, k < n, p[k] == UInt8(ascii: ".") else { return nil }
    k += 1
    while k < n && b64[Int(p[k])] { k += 1 }
    return k
  }
}
