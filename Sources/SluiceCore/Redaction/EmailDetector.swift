#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Detects email addresses: `local@domain.tld`.
///
/// The local part is RFC 5322's dot-atom as addresses are written in practice: letters,
/// digits and `. _ % + - ! # $ ' * ^ ` ~` (`o'brien@example.ie`, `jane+tag@example.com`,
/// `JANE.DOE@EXAMPLE.COM`). It starts at a letter, digit or `_`, so quotes, backticks and
/// asterisks around an address (`'jane@example.com'`, `*jane@example.com*`) are left out of
/// the match; `= ? & / | { } : ;` and `,` end it, so in `?email=jane@example.com&x=1` or
/// `to=jane@example.com` only the address is matched. (Percent-encoded addresses,
/// `jane.doe%40example.com`, are decoded by the ``Redactor`` before detectors run.) The domain
/// needs at least two labels of letters, digits and hyphens, and a top-level label of two or
/// more letters, of any length (`.photography`).
///
/// Deliberately not matched:
/// - quoted local parts and IP-literal domains;
/// - systemd template units (`getty@tty1.service`) and file names (`icon@2x.png`): a last
///   label that is a unit type or a common file extension is not a mail domain;
/// - SSH and Git remotes: `git@github.com:org/repo.git` (a `:` and a path after the host)
///   and URL user names, `ssh://git@github.com/org/repo` — the `user@` of a URL is a login,
///   and when it carries a password, ``URLCredentialsDetector`` masks it without the host. An
///   address that is itself a URL's user name (`ftp://jane@example.com@host/`) is matched.
public struct EmailDetector: Detector {
  public let name = "email"
  public var requires: ByteClasses { [.at, .dot] }
  public var minimumLength: Int { 6 }  // a@b.co

  public init() {}

  /// `partial` keeps the domain: `[REDACTED:email:example.com]`.
  public func appendKept(from match: UnsafeRawBufferPointer, to out: inout [UInt8]) {
    guard let at = match.firstIndex(of: UInt8(ascii: "@")) else { return }
    out.append(contentsOf: match[(at + 1)...])
  }

  static let local: [Bool] = SecretScan.table(SecretScan.alphanumerics + "._%+-!#$'*^`~")
  static let domain: [Bool] = SecretScan.table(SecretScan.alphanumerics + ".-")

  public func detect(in text: UnsafeRawBufferPointer, rule: Int, into matches: inout [DetectorMatch]) {
    guard let base = text.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
    let n = text.count
    var i = 0
    Self.local.withUnsafeBufferPointer { local in
      Self.domain.withUnsafeBufferPointer { domain in
        while i < n, let hit = memchr(base + i, 0x40, n - i) {
          let at = UnsafeRawPointer(hit) - UnsafeRawPointer(base)
          if let range = Self.match(base, n, at, from: i, local, domain) {
            matches.append(DetectorMatch(range: range, rule: rule))
            i = range.upperBound
          } else {
            i = at + 1
          }
        }
      }
    }
  }

  /// The address around the `@` at `at`. The local part does not reach back before `lower`
  /// (the end of the previous match), so matches never overlap.
  @inline(__always)
  static func match(
    _ p: UnsafePointer<UInt8>, _ n: Int, _ at: Int, from lower: Int, _ local: UnsafeBufferPointer<Bool>,
    _ domain: UnsafeBufferPointer<Bool>
  ) -> Range<Int>? {
    var s = at
    while s > lower && local[Int(p[s - 1])] { s -= 1 }
    while s < at && !DetectorBytes.isWordByte(p[s]) { s += 1 }
    guard s < at else { return nil }
    var e = at + 1
    while e < n && domain[Int(p[e])] { e += 1 }
    while e > at + 1 && (p[e - 1] == UInt8(ascii: ".") || p[e - 1] == UInt8(ascii: "-")) { e -= 1 }
    // Walk the labels: each non-empty and not starting with '-'. The address ends after the
    // last label (second or later) that can be a top-level domain: 2+ letters. So
    // `a@example.com.1` still yields `a@example.com` rather than leaking the address.
    var labels = 0
    var labelStart = at + 1
    var best: Int?
    var k = at + 1
    while k <= e {
      if k == e || p[k] == UInt8(ascii: ".") {
        let len = k - labelStart
        if len == 0 || p[labelStart] == UInt8(ascii: "-") { break }
        labels += 1
        if labels >= 2 && len >= 2 && (labelStart..<k).allSatisfy({ DetectorBytes.isLetter(p[$0]) }) { best = k }
        labelStart = k + 1
      }
      k += 1
    }
    guard let end = best else { return nil }
    // `getty@tty1.service`, `icon@2x.png`: systemd template units and file names, not mail.
    var dot = end - 1
    while dot > at && p[dot] != UInt8(ascii: ".") { dot -= 1 }
    if isNotMailSuffix(UnsafeRawBufferPointer(start: p + dot + 1, count: end - dot - 1)) { return nil }
    // `git@github.com:org/repo.git`: an SSH remote.
    if end + 1 < n && p[end] == UInt8(ascii: ":") {
      let c = p[end + 1]
      if DetectorBytes.isLetter(c) || c == UInt8(ascii: "~") || c == UInt8(ascii: "/") { return nil }
    }
    if isURLUserName(p, n, s, end) { return nil }
    return s..<end
  }

  /// Last labels that are systemd unit types or file extensions, not top-level domains in
  /// mail addresses.
  static let notMailSuffixes: [[UInt8]] = [
    "service", "socket", "timer", "target", "mount", "automount", "path", "slice", "scope", "device", "swap", "png",
    "jpg", "jpeg", "gif", "webp", "svg", "ico", "css", "js", "json", "yaml", "yml", "txt", "log", "html", "pdf", "gz",
    "tar", "tgz", "jar", "war", "so", "dll", "exe",
  ].map { Array($0.utf8) }

  @inline(__always)
  static func isNotMailSuffix(_ label: UnsafeRawBufferPointer) -> Bool {
    guard label.count <= 9 else { return false }
    for s in notMailSuffixes where s.count == label.count {
      var equal = true
      for k in 0..<s.count where label[k] | 0x20 != s[k] {
        equal = false
        break
      }
      if equal { return true }
    }
    return false
  }

  /// Whether `s..<end` is a URL's user name (`ssh://git@host/`, `https://u:pw@host`): it
  /// follows `scheme://` or `scheme://user:`, and no other `@` follows it in the authority
  /// (in `ftp://jane@example.com@host/` the user name is an address, and is matched).
  @inline(__always)
  static func isURLUserName(_ p: UnsafePointer<UInt8>, _ n: Int, _ s: Int, _ end: Int) -> Bool {
    var k = s
    if k >= 1 && p[k - 1] == UInt8(ascii: ":") {
      k -= 1
      while k > 0 && !URLCredentialsDetector.authorityStop[Int(p[k - 1])] { k -= 1 }
    }
    guard k >= 3, p[k - 1] == UInt8(ascii: "/"), p[k - 2] == UInt8(ascii: "/"), p[k - 3] == UInt8(ascii: ":") else {
      return false
    }
    var e = end
    while e < n && !URLCredentialsDetector.authorityStop[Int(p[e])] {
      if p[e] == UInt8(ascii: "@") { return false }
      e += 1
    }
    return true
  }
}
