import Testing

@testable import SluiceCore

private let ipv4 = IPv4Detector()
private let ipv6 = IPv6Detector()
private let phone = PhoneDetector()
private let mine: [any Detector] = [ipv4, ipv6, phone]

@Suite("Network and phone detectors")
struct NetworkPhoneDetectorTests {
  // MARK: - IPv4

  @Test(
    "IPv4: finds addresses",
    arguments: [
      ("203.0.113.42 - - [23/Nov/2026:17:05:31 +0000] \"GET / HTTP/1.1\" 200 512", ["203.0.113.42"]),
      ("dial tcp 10.0.0.12:5432: connect: connection refused", ["10.0.0.12"]),
      ("route add 10.0.0.0/8 via 10.0.0.1", ["10.0.0.0", "10.0.0.1"]),
      ("http://192.168.1.10:8080/health", ["192.168.1.10"]),
      ("X-Forwarded-For: 203.0.113.5,10.1.2.3", ["203.0.113.5", "10.1.2.3"]),
      ("0.0.0.0", ["0.0.0.0"]),
      ("255.255.255.255", ["255.255.255.255"]),
      ("from unknown[198.51.100.23]", ["198.51.100.23"]),
      ("(10.0.0.1)", ["10.0.0.1"]),
      ("ip=10.0.0.1;", ["10.0.0.1"]),
      ("suspicious login from 10.0.0.1.", ["10.0.0.1"]),
      ("10.0.0.1.nip.io", ["10.0.0.1"]),
      ("scan 10.0.0.1-10.0.0.254", ["10.0.0.1", "10.0.0.254"]),
      ("connexion refusée depuis 10.0.0.1 — réessai", ["10.0.0.1"]),
      ("::ffff:192.0.2.1", ["192.0.2.1"]),
      ("/hosts/10.0.0.1/status", ["10.0.0.1"]),
      ("server 10.0.0.1 down", ["10.0.0.1"]),
      ("RemoteAddr:10.0.0.1 Method:GET", ["10.0.0.1"]),
      ("1.2.3.4 1.2.3.4", ["1.2.3.4", "1.2.3.4"]),
    ])
  func ipv4Positives(_ text: String, _ expected: [String]) {
    #expect(found(ipv4, text) == expected)
  }

  @Test(
    "IPv4: ignores versions, OIDs, bad octets",
    arguments: [
      "1.2.3", "1.2.3.4.5", "1.3.6.1.4.1.2021.10.1.3.1", "v1.2.3.4", "x1.2.3.4", "1.2.3.4a", "1.2.3.4_old",
      "010.001.002.003", "192.168.001.001", "256.1.1.1", "1.2.3.256", "1.2.3.4567", "1234.1.1.1", "10..0.0.1",
      "10.0.0", "Chrome/120.0.0.0 Safari/537.36", "Edg/120.0.0.0", "version 1.2.3.4", "appVersion=1.0.0.1",
      "\"version\":\"1.0.0.12\"", "build: 3.1.4.1", "firmware 2.1.0.7", "release 4.2.1.0", "ip-10-0-0-1",
      "10.1.x.x", "[REDACTED:ipv4:10.1.x.x]", "2026.11.23", "1.299.000,00", "", "1", ".",
    ])
  func ipv4Negatives(_ text: String) {
    #expect(found(ipv4, text) == [])
  }

  @Test func ipv4KeepsTwoOctets() {
    #expect(kept(ipv4, "10.1.2.3") == "10.1.x.x")
    #expect(kept(ipv4, "203.0.113.42") == "203.0.x.x")
    #expect(kept(ipv4, "0.0.0.0") == "0.0.x.x")
  }

  // MARK: - IPv6

  @Test(
    "IPv6: finds addresses",
    arguments: [
      ("2001:db8::1", ["2001:db8::1"]),
      ("GET http://[2001:db8::1]:8080/ -> 503", ["2001:db8::1"]),
      ("2001:0db8:85a3:0000:0000:8a2e:0370:7334", ["2001:0db8:85a3:0000:0000:8a2e:0370:7334"]),
      ("2001:DB8:0:0:8:800:200C:417A", ["2001:DB8:0:0:8:800:200C:417A"]),
      ("neighbour fe80::1ff:fe23:4567:890a%eth0 reachable", ["fe80::1ff:fe23:4567:890a"]),
      ("listen [::1]:9090", ["::1"]),
      ("::1", ["::1"]),
      ("mapped ::ffff:192.0.2.128 ok", ["::ffff:192.0.2.128"]),
      ("nat64 64:ff9b::198.51.100.7", ["64:ff9b::198.51.100.7"]),
      ("prefix 2001:db8::/32", ["2001:db8::"]),
      ("src:fe80::1 dst:2001:db8::2", ["fe80::1", "2001:db8::2"]),
      ("remote:2001:db8::5", ["2001:db8::5"]),
      ("fe80::1: no route", ["fe80::1"]),
      ("addr fe80::1.", ["fe80::1"]),
      ("\"2606:4700:4700::1111\"", ["2606:4700:4700::1111"]),
      ("1:2:3:4:5:6:7:8", ["1:2:3:4:5:6:7:8"]),
      ("adresse 2001:db8::1 — réessai", ["2001:db8::1"]),
      ("fe80::1:8080", ["fe80::1:8080"]),
      ("Connection refused: /0:0:0:0:0:0:0:1:8080", ["0:0:0:0:0:0:0:1"]),
      ("remote=/2001:db8:0:0:0:0:0:5:9042]", ["2001:db8:0:0:0:0:0:5"]),
      ("data:fe80::1", ["fe80::1"]),
      ("fe80::1.nip", ["fe80::1"]),
      ("fe80::/10", ["fe80::"]),
      ("12:fe80::1", ["12:fe80::1"]),
    ])
  func ipv6Positives(_ text: String, _ expected: [String]) {
    #expect(found(ipv6, text) == expected)
  }

  @Test(
    "IPv6: ignores times, MACs, scopes, source locations",
    arguments: [
      "12:34:56", "17:05:31.123", "2026-11-23T17:05:31+01:00", "00:1a:2b:3c:4d:5e", "00:1a:2b:ff:fe:3c:4d:5e",
      "::", ":::", "a::b", "dead::beef", "std::string", "foo::bar", "u8::MAX", "i32::from", "Vec::new",
      "main.swift:42:7", "Foo.java:123)", "1h2m3s", "4bf92f3577b34da6a3ce929d0e0e4736", "x[1::2]", "1::2",
      "a1::b2", "1::", "::8", "2001:db8::1::2", "1:2:3:4:5:6:7:8:9:10", "1:2:3:4:5:6:7:8:abc", "12345::1",
      "2001:db8:::1", "ip::1",
      "xfe80::1", "fe80::1x", "fe80::1.5", "::ffff:1.2.3.4.5", "ab:cd:ef:01:23:45:67:89",
      "SHA256:ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89", "2001:db8:x", "[REDACTED:ipv6:2001:db8:x]", "",
      ":", "1", "fe80::1_", "::/0",
    ])
  func ipv6Negatives(_ text: String) {
    #expect(found(ipv6, text) == [])
  }

  @Test func ipv6KeepsLeadingGroups() {
    #expect(kept(ipv6, "2001:db8:85a3::8a2e:370:7334") == "2001:db8:x")
    #expect(kept(ipv6, "2001:db8::1") == "2001:db8:x")
    #expect(kept(ipv6, "fe80::1") == "fe80:x")
    #expect(kept(ipv6, "::1") == "")
    #expect(kept(ipv6, "::ffff:192.0.2.1") == "")
    #expect(kept(ipv6, "1:2:3:4:5:6:7:8") == "1:2:x")
  }

  // MARK: - Phone

  @Test(
    "Phone: finds numbers",
    arguments: [
      ("+1 (415) 555-2671", ["+1 (415) 555-2671"]),
      ("+44 20 7946 0958", ["+44 20 7946 0958"]),
      ("+49-30-901820", ["+49-30-901820"]),
      ("+49 (0)30 901820", ["+49 (0)30 901820"]),
      ("+14155552671", ["+14155552671"]),
      ("tel:+14155552671", ["+14155552671"]),
      ("?msisdn=%2B447700900123&x=1", ["%2B447700900123"]),
      ("(415) 555-2671", ["(415) 555-2671"]),
      ("(415)555-2671", ["(415)555-2671"]),
      ("415-555-2671", ["415-555-2671"]),
      ("415.555.2671", ["415.555.2671"]),
      ("1-800-555-0199", ["1-800-555-0199"]),
      ("1 (800) 555-0199", ["1 (800) 555-0199"]),
      ("020 7946 0958", ["020 7946 0958"]),
      ("07700 900123", ["07700 900123"]),
      ("01 23 45 67 89", ["01 23 45 67 89"]),
      ("030 901820", ["030 901820"]),
      ("030/901820", ["030/901820"]),
      ("phone: 4155552671", ["4155552671"]),
      ("Tel 415 555 2671", ["415 555 2671"]),
      ("call 555-2671", ["555-2671"]),
      ("mobilePhone=07700900123", ["07700900123"]),
      ("a 415-555-2671, b (212) 555-0147.", ["415-555-2671", "(212) 555-0147"]),
      ("(415) 555-2671 200 OK", ["(415) 555-2671"]),
      ("appelez le 06 12 34 56 78 — merci", ["06 12 34 56 78"]),
      // `00` international prefixes
      ("0044 20 7946 0958", ["0044 20 7946 0958"]),
      ("0033 1 23 45 67 89", ["0033 1 23 45 67 89"]),
      ("0049 30 901820", ["0049 30 901820"]),
      ("0044 (0)20 7946 0958", ["0044 (0)20 7946 0958"]),
      ("0049-30-901820", ["0049-30-901820"]),
      ("00441632960961", ["00441632960961"]),
      ("001 415 555 2671", ["001 415 555 2671"]),
      ("0039 06 1234 5678", ["0039 06 1234 5678"]),
      ("0086.10.1234.5678", ["0086.10.1234.5678"]),
      ("00353 1 234 5678", ["00353 1 234 5678"]),
      ("00971501234567", ["00971501234567"]),
      ("to=0049 30 901820, from=0033 1 23 45 67 89", ["0049 30 901820", "0033 1 23 45 67 89"]),
      // `+` with mixed separators
      ("+44.20.7946.0958", ["+44.20.7946.0958"]),
      ("+1-415-555-2671", ["+1-415-555-2671"]),
      ("+33 (0)1 23 45 67 89", ["+33 (0)1 23 45 67 89"]),
      ("+49 30-901820", ["+49 30-901820"]),
      ("+1 415.555.2671", ["+1 415.555.2671"]),
      // Extensions
      ("+1 (415) 555-2671 ext. 204", ["+1 (415) 555-2671 ext. 204"]),
      ("+1 415 555 2671 x204", ["+1 415 555 2671 x204"]),
      ("(415) 555-2671 ext 12", ["(415) 555-2671 ext 12"]),
      ("+44 20 7946 0958;ext=123", ["+44 20 7946 0958;ext=123"]),
      ("tel:+14155552671;ext=12", ["+14155552671;ext=12"]),
      ("+1-415-555-2671 extension 5", ["+1-415-555-2671 extension 5"]),
      ("415-555-2671x204", ["415-555-2671x204"]),
      ("0044 20 7946 0958 Ext.99)", ["0044 20 7946 0958 Ext.99"]),
      ("call +1 415 555 2671 EXT 7, then", ["+1 415 555 2671 EXT 7"]),
      ("+1 415 555 2671 ext 1234567", ["+1 415 555 2671"]),
      ("415-555-2671 x86_64", ["415-555-2671"]),
      ("+1 415 555 2671 x204abc", ["+1 415 555 2671"]),
      // A group running into an e-mail address's local part is not the number's (found by
      // fuzzing: the phone stayed until the e-mail was masked, and a second pass then masked it).
      ("phone +1 412 1111 115 4111010@b.co", ["+1 412 1111 115"]),
      ("call 415-555-2671 4155552671@example.com", ["415-555-2671"]),
      ("phone +1 415 411101,0@b.co", ["+1 415 411101"]),
      ("phone +1 415 555 010 555 0a@b.co", ["+1 415 555 010 555"]),
      ("call 415-555-2671:ops@b.co", ["415-555-2671"]),
    ])
  func phonePositives(_ text: String, _ expected: [String]) {
    #expect(found(phone, text) == expected)
  }

  @Test func aMarkerIsNotAKeyword() {
    #expect(found(phone, "[REDACTED:phone] 415 555 2671") == [])
    #expect(found(phone, "[HASH:phone:abcdef] 415 555 2671") == [])
    #expect(found(phone, "[REDACTED:ip] phone 415 555 2671") == ["415 555 2671"])
  }

  @Test(
    "Phone: ignores dates, ids, cards, SSNs and other numbers",
    arguments: [
      "4155552671", "order 4155552671", "epoch 1732381531", "2026-11-23", "23.11.2026", "11/23/2026", "17:05:31",
      "192.168.100.200", "1.24.3", "$1,299.00", "100-200", "4111 1111 1111 1111", "4111-1111-1111-1111",
      "123-45-6789", "978-3-16-148410-0", "0-306-40615-2", "94107-1234", "HTTP/1.1 200 OK 1532", "+0x1d", "+0530",
      "+1234567", "+12 345 678", "+536-22-8841", "+05:30", "x+14155552671", "+14155552671abc", "+4111111111111111",
      "415 555 2671", "(123) 456-7890", "123-456-7890", "100-200-3000", "415-555-2671-99", "v415.555.2671",
      "a415-555-2671", "_415-555-2671", "12:415-555-2671", "3 415-555-2671", "200 512 3456", "call 1732381531",
      "hotel 4155552671", "recall 4155552671", "phone 123456", "f(415) 555-2671", "030 9018", "01 02 03 04",
      "01 23 45 67 89 10", "020 7946 0958 1234", "0161-496-0000-X", "[REDACTED:phone:x71]", "", "1", "+",
      "/users/4155552671/profile", "uuid 123e4567-e89b-12d3-a456-426614174000",
      // Near misses of the international and extension forms
      "2026-11-23T17:05:31.123Z", "00:03:12", "v1.2.3", "10.0.0.1", "1.20.300.4000", "order 0044207946095812345",
      "00000000", "0000 0000 0000", "0012 3456", "x86_64", "1532ms", "0x1234", "0xdeadbeef00441632960961",
      "HTTP/1.1 200", "0.00441234", "ports 8080,8443,9090", "00:1A:2B:3C:4D:5E", "00-1A-2B-3C-4D-5E",
      "00000000-0000-0000-0000-000000000000", "550e8400-e29b-41d4-a716-446655440000", "0030 0031 0032 0033",
      "0012 345 678 901", "0042 123 456 7890", "00422 123 456 789", "004412345678901234", "0044 20 7946",
      "(0044) 20 7946 0958", "0044/20/7946/0958", "00 44 20 7946 0958", "0044207946", "+44 20 7946 0958ext",
      "+1 415 555 2671x1234567", "ext. 204", "x204 4155552671", "004930_901820",
      "4155552671@example.com",
    ])
  func phoneNegatives(_ text: String) {
    #expect(found(phone, text) == [])
  }

  @Test func phoneKeepsLastTwoDigits() {
    #expect(kept(phone, "+1 (415) 555-2671") == "x71")
    #expect(kept(phone, "%2B447700900123") == "x23")
    #expect(kept(phone, "020 7946 0958") == "x58")
    #expect(kept(phone, "0044 20 7946 0958") == "x58")
    #expect(kept(phone, "+1 415 555 2671 x204") == "x04")
  }

  @Test func wordAndDigitScansAgreeWithTheByteTests() {
    // The eight-bytes-at-a-time scans against the one-byte tests, for every byte value at
    // every offset, so both the eight-byte loop and the byte-by-byte tail are covered.
    for b in 0...255 {
      let c = UInt8(b)
      for at in 0..<19 {
        var bytes = [UInt8](repeating: UInt8(ascii: "a"), count: 21)
        bytes[1 + at] = c
        bytes.withUnsafeBufferPointer { buf in
          let p = buf.baseAddress!
          let expectedEnd = DetectorBytes.isWordByte(c) ? 21 : 1 + at
          #expect(PhoneDetector.wordEnd(p, 21, 1) == expectedEnd, "\(b) at \(at)")
        }
        var letters = [UInt8](repeating: UInt8(ascii: "x"), count: 21)
        letters[1 + at] = c
        letters.withUnsafeBufferPointer { buf in
          let expectedDigit = DetectorBytes.isDigit(c) ? 1 + at : 21
          #expect(PhoneDetector.nextDigit(buf.baseAddress!, 21, 1) == expectedDigit, "\(b) at \(at)")
        }
      }
    }
  }

  // MARK: - All three

  @Test func keptTextAndMarkersNeverMatchAgain() {
    let samples = [
      "10.1.2.3", "203.0.113.42", "2001:db8:85a3::8a2e:370:7334", "fe80::1", "1:2:3:4:5:6:7:8", "+1 (415) 555-2671",
      "020 7946 0958", "+14155552671",
    ]
    for s in samples {
      for d in mine {
        guard found(d, s) == [s] else { continue }
        let text = "x [REDACTED:\(d.name):\(kept(d, s))] y [REDACTED:\(d.name)]"
        for other in mine {
          #expect(found(other, text) == [], "\(other.name) in \(text)")
        }
      }
    }
  }

  @Test func nonASCIIAndTinyInputs() {
    let inputs: [[UInt8]] = [
      [], [0x31], [0x2E], [0x3A], [0x2B], [0x28], [0xFF, 0xFE, 0x3A, 0x3A], Array("é:é:é".utf8),
    ]
    for bytes in inputs {
      for d in mine { #expect(found(d, bytes) == []) }
    }
    // Non-ASCII around an address is a boundary, not part of it.
    #expect(found(ipv4, "ü10.0.0.1ü") == ["10.0.0.1"])
    #expect(found(ipv6, "→fe80::1←") == ["fe80::1"])
    #expect(found(phone, "☎ +44 20 7946 0958 ✓") == ["+44 20 7946 0958"])
  }

  @Test func randomTextGivesOrderedNonOverlappingMatches() {
    var rng = SplitMix64(seed: 0x1F6_4EA7)
    let alphabets = [
      ["1", "10", "255", "0", "01", "256", ".", ".", ".", ".", ":", "/", "-", " ", "v", "é", "_"],
      ["1", "fe80", "db8", "0", "ffff", "12345", ":", ":", "::", "::", ".", "%", "[", "]", " ", "x", "é", "10.0.0.1"],
      [
        "+1 ", "(415) ", "415-", "555-", "555.", "2671", "020 ", "7946 ", "0958", "+", "(", ")", "-", ".", " ",
        "/", "1", "0", "%2B", "tel ", "x", "é", "0044 ", "00", " ext. ", ";ext=", "12",
      ],
    ]
    var hits = [0, 0, 0]
    for round in 0..<6000 {
      let pieces = alphabets[round % 3]
      let text = (0..<rng.below(16)).map { _ in pieces[rng.below(pieces.count)] }.joined()
      for (k, d) in mine.enumerated() {
        hits[k] += found(d, text).count  // checks order, bounds, overlap and length
      }
    }
    #expect(hits.allSatisfy { $0 > 20 }, "\(hits)")
  }

  // MARK: - Corpus

}
