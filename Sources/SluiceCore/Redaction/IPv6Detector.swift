#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Detects IPv6 addresses (RFC 4291 text forms, RFC 5952 style or not).
///
/// Matched: eight groups of 1–4 hex digits (`2001:0db8:85a3:0000:0000:8a2e:0370:7334`), the
/// `::`-compressed form with at most seven groups and one `::` (`2001:db8::ff00:42:8329`,
/// `fe80::1`, `2001:db8::`), and an embedded IPv4 tail counting as two groups
/// (`::ffff:192.0.2.1`, `64:ff9b::198.51.100.7`). Only the address is matched: brackets
/// (`http://[2001:db8::1]:8080/`), a zone id (`fe80::1%eth0`) and a `/prefix` stay outside it.
///
/// To stay clear of the many other colon-separated things in logs, an address must also:
/// - contain a decimal digit (`dead::beef`, `a::b`, `cafe:babe::` are not addresses);
/// - if written in full (no `::`), not have every group exactly two hex digits — that is a MAC
///   address, EUI-64 or byte dump (`00:1a:2b:3c:4d:5e`, `00:1a:2b:ff:fe:3c:4d:5e`);
/// - if compressed to fewer than three groups, have a group of 3–4 hex digits or be `::1`
///   (so `1::2`, `x[10::2]`, `a1::b2` are not matched, while `fe80::1` and `::1` are);
/// - not touch a word byte or `.` before it, nor a word byte, or `.` or `:` and a hex digit
///   after it (`::ffff:1.2.3.4.5`, `fe80::1.5`); a `:` right before it is allowed only
///   after a word that is not all hex (`ip:fe80::1`, `src:fe80::1`), so no run of groups is
///   matched from its middle.
///
/// Hence not matched: times (`12:34:56`, `17:05:31.123`), MAC addresses, `::` alone, source
/// locations (`main.swift:42:7`, `Foo.java:123`), `std::string`, `foo::bar`, `u8::MAX`,
/// fingerprints (`SHA256:ab:cd:…`, more than eight groups), hex ids without colons.
/// A port written without brackets after a compressed address (`fe80::1:8080`) cannot be told
/// apart from a last group and is matched with it; after a full eight-group address, as Java
/// and Netty write socket addresses (`/0:0:0:0:0:0:0:1:8080`), a ninth group of 1–5 decimal
/// digits ending the run is taken as a port and left out.
public struct IPv6Detector: Detector {
  public let name = "ipv6"
  public var requires: ByteClasses { [.colon] }
  public var minimumLength: Int { 3 }  // ::1
  /// An address must contain a decimal digit (see above).
  public var minimumDigits: Int { 1 }

  public init() {}

  /// `partial` keeps the groups before any `::`, at most two, then `:x`:
  /// `[REDACTED:ipv6:2001:db8:x]`, `[REDACTED:ipv6:fe80:x]`; `::1` keeps nothing. Two groups
  /// and no `::` can never form an address again.
  public func appendKept(from match: UnsafeRawBufferPointer, to out: inout [UInt8]) {
    var k = 0
    var groups = 0
    let n = match.count
    while k < n && groups < 2 {
      var e = k
      while e < n && DetectorBytes.isHex(match[e]) { e += 1 }
      // A group must be followed by a single ':' (not '::', not an IPv4 '.', not the end).
      guard e > k, e < n, match[e] == UInt8(ascii: ":") else { break }
      if groups > 0 { out.append(UInt8(ascii: ":")) }
      out.append(contentsOf: match[k..<e])
      groups += 1
      if e + 1 < n && match[e + 1] == UInt8(ascii: ":") { break }
      k = e + 1
    }
    if groups > 0 { out.append(contentsOf: [UInt8(ascii: ":"), UInt8(ascii: "x")]) }
  }

  public func detect(in text: UnsafeRawBufferPointer, rule: Int, into matches: inout [DetectorMatch]) {
    guard let base = text.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
    let n = text.count
    var i = 0
    var lower = 0  // end of the previous match
    while i < n, let hit = memchr(base + i, 0x3A, n - i) {
      let colon = UnsafeRawPointer(hit) - UnsafeRawPointer(base)
      // The first group ends at this colon: back up over its hex digits (five means too many).
      var s = colon
      while s > lower && colon - s < 5 && DetectorBytes.isHex(base[s - 1]) { s -= 1 }
      if colon - s < 5, let end = Self.match(base, n, s) {
        matches.append(DetectorMatch(range: s..<end, rule: rule))
        lower = end
        i = end
      } else {
        i = colon + 1
      }
    }
  }

  /// The end of the address starting at `s` (a hex digit or the first `:` of `::`), or nil.
  @inline(__always)
  static func match(_ p: UnsafePointer<UInt8>, _ n: Int, _ s: Int) -> Int? {
    guard precededByBoundary(p, s) else { return nil }
    var pos = s
    var compressed = false
    if p[pos] == UInt8(ascii: ":") {
      guard pos + 1 < n && p[pos + 1] == UInt8(ascii: ":") else { return nil }
      compressed = true
      pos += 2
    }
    var end = pos
    var groups = 0
    var hasDigit = false
    var longest = 0  // digits in the longest group
    var allTwo = true  // every group exactly two digits
    var onlyOne = true  // the single group is `1`
    var port = false  // a `:port` follows the eight groups
    while true {
      if groups == 8 {
        // Java and Netty write a socket address as eight groups and a port, unbracketed:
        // `/0:0:0:0:0:0:0:1:8080`. A ninth group of 1–5 decimal digits that ends the run is
        // taken as that port, outside the match; anything else makes the run no address.
        var k = pos
        while k < n && k - pos < 6 && DetectorBytes.isDigit(p[k]) { k += 1 }
        guard !compressed, k > pos, k - pos <= 5 else { return nil }
        if k < n && (DetectorBytes.isWordByte(p[k]) || p[k] == UInt8(ascii: ":") || p[k] == UInt8(ascii: ".")) {
          return nil
        }
        port = true
        break
      }
      var k = pos
      while k < n && k - pos < 5 && DetectorBytes.isHex(p[k]) { k += 1 }
      let len = k - pos
      if len == 0 { break }  // after `::`: the address ends with it
      if len > 4 { return nil }
      if k < n && p[k] == UInt8(ascii: "."), groups <= 6, let v4 = IPv4Detector.quad(p, n, pos) {
        groups += 2
        hasDigit = true
        longest = 4
        allTwo = false
        end = v4
        break
      }
      groups += 1
      if groups > 8 { return nil }
      for q in pos..<k where DetectorBytes.isDigit(p[q]) {
        hasDigit = true
        break
      }
      longest = max(longest, len)
      if len != 2 { allTwo = false }
      if len != 1 || p[pos] != UInt8(ascii: "1") { onlyOne = false }
      end = k
      pos = k
      guard pos + 1 < n, p[pos] == UInt8(ascii: ":") else { break }
      if p[pos + 1] == UInt8(ascii: ":") {
        if compressed { return nil }  // a second `::`
        compressed = true
        pos += 2
        end = pos
      } else if DetectorBytes.isHex(p[pos + 1]) {
        pos += 1
      } else {
        break  // a trailing ':' belongs to the text
      }
    }
    guard groups > 0, hasDigit else { return nil }
    if compressed {
      guard groups <= 7 else { return nil }
      let loopback = groups == 1 && onlyOne && p[s] == UInt8(ascii: ":") && end == s + 3
      if groups < 3 && longest < 3 && !loopback { return nil }
    } else {
      guard groups == 8, !allTwo else { return nil }
    }
    if end < n && !port {
      let c = p[end]
      if DetectorBytes.isWordByte(c) { return nil }
      if c == UInt8(ascii: ":") && p[end - 1] == UInt8(ascii: ":") { return nil }  // `:::`
      if (c == UInt8(ascii: ".") || c == UInt8(ascii: ":")) && end + 1 < n
        && (DetectorBytes.isHex(p[end + 1]) || p[end + 1] == UInt8(ascii: ":"))
      {
        return nil
      }
    }
    return end
  }

  /// Whether an address may start at `s`: not after a word byte or `.`, and after `:` only
  /// when the word before that colon is a key (`ip:`, `src:`), not another hex group.
  @inline(__always)
  static func precededByBoundary(_ p: UnsafePointer<UInt8>, _ s: Int) -> Bool {
    guard s > 0 else { return true }
    let b = p[s - 1]
    if DetectorBytes.isWordByte(b) || b == UInt8(ascii: ".") { return false }
    guard b == UInt8(ascii: ":") else { return true }
    if p[s] == UInt8(ascii: ":") { return false }  // `:::`
    // The word before that colon: a key if it has a byte that is not hex (`ip`, `src`, `host`).
    let colon = s - 1
    var t = colon
    while t > 0 && colon - t < 64 && DetectorBytes.isWordByte(p[t - 1]) {
      t -= 1
      if !DetectorBytes.isHex(p[t]) { return true }
    }
    if t < colon { return false }  // all hex: a group of a longer run
    return t == 0 || (p[t - 1] != UInt8(ascii: ":") && p[t - 1] != UInt8(ascii: "."))
  }
}
