#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Detects PEM private keys: `-----BEGIN … PRIVATE KEY-----` through the matching
/// `-----END … PRIVATE KEY-----`, markers included.
///
/// The label is any run of `A–Z 0–9` and spaces ending in `PRIVATE KEY` (PKCS#8, `RSA`, `EC`,
/// `DSA`, `OPENSSH`, `ENCRYPTED`) or `PRIVATE KEY BLOCK` (PGP). The body is not parsed, so a
/// key flattened onto one line — newlines decoded, replaced by spaces, or left as `\n`
/// escapes — is matched all the same. A BEGIN without an END (a truncated log line) is
/// matched to the end of the text, so half a key is never left behind.
///
/// Not matched: certificates (`BEGIN CERTIFICATE`), public keys (`BEGIN PUBLIC KEY`,
/// `BEGIN RSA PUBLIC KEY`, `ssh-rsa AAAA…`), CSRs, a marker with no body after it (the
/// bare `-----BEGIN PRIVATE KEY-----` of an error message, an empty BEGIN/END template).
public struct PrivateKeyDetector: Detector {
  public let name = "private_key"
  public var requires: ByteClasses { [.dash, .upper] }
  /// `-----BEGIN EC PRIVATE KEY-----`; the bare `-----BEGIN PRIVATE KEY-----` marker (27)
  /// hides nothing.
  public var minimumLength: Int { 30 }

  public init() {}

  public func detect(in text: UnsafeRawBufferPointer, rule: Int, into matches: inout [DetectorMatch]) {
    guard let base = text.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
    let n = text.count
    // Anchor on the `B` of `BEGIN` with memchr; the dashes are checked backwards.
    var i = 5
    while i < n, let hit = memchr(base + i, 0x42, n - i) {
      let b = UnsafeRawPointer(hit) - UnsafeRawPointer(base)
      i = b + 1
      guard SecretScan.has("-----", at: b - 5, in: base, n), SecretScan.has("BEGIN ", at: b, in: base, n),
        let headerEnd = Self.privateKeyLabel(base, n, b + 6)
      else { continue }
      guard Self.hasBody(base, n, headerEnd) else { continue }
      let end = Self.endMarker(base, n, from: headerEnd)
      matches.append(DetectorMatch(range: (b - 5)..<end, rule: rule))
      i = end + 5
    }
  }

  /// If a private-key label and `-----` start at `k`, the index after the dashes (or the end
  /// of a text cut inside them).
  @inline(__always)
  static func privateKeyLabel(_ p: UnsafePointer<UInt8>, _ n: Int, _ k: Int) -> Int? {
    var e = k
    while e < n && (p[e] &- UInt8(ascii: "A") < 26 || DetectorBytes.isDigit(p[e]) || p[e] == UInt8(ascii: " ")) {
      e += 1
    }
    var labelEnd = e
    while labelEnd > k && p[labelEnd - 1] == UInt8(ascii: " ") { labelEnd -= 1 }
    let isPrivate =
      SecretScan.has("PRIVATE KEY", at: labelEnd - 11, in: p, n)
      || SecretScan.has("PRIVATE KEY BLOCK", at: labelEnd - 17, in: p, n)
    guard isPrivate, labelEnd - 11 >= k else { return nil }
    var d = e
    while d < n && d < e + 5 && p[d] == UInt8(ascii: "-") { d += 1 }
    guard d == e + 5 || d == n else { return nil }
    return d
  }

  /// Whether anything but blanks (spaces, newlines, `\n` escapes) comes between the header
  /// ending at `k` and an END marker, a quote or the end of the text: a bare marker hides
  /// nothing.
  @inline(__always)
  static func hasBody(_ p: UnsafePointer<UInt8>, _ n: Int, _ k: Int) -> Bool {
    var j = k
    while j < n {
      switch p[j] {
      case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"): j += 1
      case UInt8(ascii: "\\") where j + 1 < n && (p[j + 1] == UInt8(ascii: "n") || p[j + 1] == UInt8(ascii: "r")):
        j += 2
      case UInt8(ascii: "\\") where j + 1 < n && p[j + 1] == UInt8(ascii: "\""): return false
      case UInt8(ascii: "-"): return !SecretScan.has("-----END ", at: j, in: p, n)
      case UInt8(ascii: "\""), UInt8(ascii: "'"): return false
      default: return true
      }
    }
    return false
  }

  /// The end of the first `-----END … PRIVATE KEY-----` at or after `from`, or `n`.
  @inline(__always)
  static func endMarker(_ p: UnsafePointer<UInt8>, _ n: Int, from: Int) -> Int {
    var i = from
    while i < n, let hit = memchr(p + i, 0x2D, n - i) {
      let d = UnsafeRawPointer(hit) - UnsafeRawPointer(p)
      i = d + 1
      guard SecretScan.has("-----END ", at: d, in: p, n) else { continue }
      if let end = privateKeyLabel(p, n, d + 9) { return end }
      // A truncated END marker: its label is cut short, so nothing of the key follows.
      var e = d + 9
      while e < n && (p[e] &- UInt8(ascii: "A") < 26 || p[e] == UInt8(ascii: " ")) { e += 1 }
      if e == n { return n }
    }
    return n
  }
}
