import Foundation
import Testing

@testable import SluiceCore

/// Property: whatever encoding PII arrives in — percent-encoded (reserved characters or every
/// byte), JSON `\u00XX` escapes, a JSON document embedded in a string, or both — once the
/// line is redacted, decoding its values (percent-decoding and JSON-unescaping, as often as
/// they decode) reveals nothing any detector matches.
///
/// The PII comes from every positive line of the labelled corpus; the decoder here is the
/// test's own (Foundation's JSON parser for the line, a plain loop for the escapes), not the
/// engine's.
@Suite("Encoded PII property")
struct EncodedPIIPropertyTests {
  static let policy = RedactionPolicy(
    detectors: BuiltinDetectors.all.map { .init($0) }, deniedFields: RedactionPolicy.default.deniedFields,
    allowedFields: RedactionPolicy.default.allowedFields)

  enum Encoding: CaseIterable {
    case percentReserved, percentAll, unicodeEscapes, embedded, embeddedPercent, embeddedUnicode
  }

  enum Context: CaseIterable { case flat, nestedArray, rawText }

  @Test func decodingARedactedLineRevealsNoMatch() throws {
    let pool = try RedactionCorpus.load().filter { !$0.spans.isEmpty }.map(\.text)
    #expect(pool.count > 1000)
    var rng = SplitMix64(seed: 0x5EED_C0FF_EE12)
    var redactor = Redactor(policy: Self.policy)
    let scanner = JSONScanner()
    let detectors = BuiltinDetectors.all
    var revealed: [String] = []
    var runs = 0
    for _ in 0..<6000 {
      let (line, encoding, context) = Self.randomLine(from: pool, &rng)
      var event = Event()
      line.withUnsafeBytes { event.load($0) }
      _ = event.parse(using: scanner)
      redactor.redact(&event, scanner: scanner)
      runs += 1
      for value in try Self.values(of: event.bytes, structured: event.isStructured) {
        let plain = Self.decodeFully(value)
        var matches: [DetectorMatch] = []
        plain.withUnsafeBytes { raw in
          for (k, d) in detectors.enumerated() { d.detect(in: raw, rule: k, into: &matches) }
        }
        let markers = Self.markerRanges(plain)
        let stray = matches.filter { m in !markers.contains { $0.overlaps(m.range) } }
        if !stray.isEmpty {
          let what = stray.map { "\(detectors[$0.rule].name): \(String(decoding: plain[$0.range], as: UTF8.self))" }
          revealed.append("\(encoding) \(context): \(what) in \(String(decoding: event.bytes, as: UTF8.self))")
        }
      }
    }
    print("encoded PII property: \(runs) lines, \(revealed.count) revealed a match after decoding")
    for r in revealed.prefix(10) { print("  " + r) }
    #expect(revealed.isEmpty, "\(revealed.count) redacted lines revealed PII once decoded: \(revealed.prefix(3))")
  }

  /// The converse: text with no PII (every trap line of the labelled corpus — UUIDs, hashes,
  /// versions, URLs without userinfo, `token_count=12` …), encoded the same ways, comes out
  /// of the redactor byte for byte as it went in: decoding adds no false positive.
  @Test func encodedTextWithoutPIIIsLeftAlone() throws {
    let traps = try RedactionCorpus.load().filter { $0.spans.isEmpty }.map(\.text)
    #expect(traps.count > 1000)
    var rng = SplitMix64(seed: 0x7A_0FF5)
    var redactor = Redactor(policy: Self.policy)
    let scanner = JSONScanner()
    var changed: [String] = []
    for _ in 0..<6000 {
      let (line, encoding, context) = Self.randomLine(from: traps, &rng)
      var event = Event()
      line.withUnsafeBytes { event.load($0) }
      if context != .rawText { _ = event.parse(using: scanner) }
      redactor.redact(&event, scanner: scanner)
      if event.bytes != line {
        changed.append("\(encoding) \(context): \(String(decoding: line, as: UTF8.self)) -> \(event.text)")
      }
    }
    for c in changed.prefix(10) { print("  changed: " + c) }
    #expect(changed.isEmpty, "\(changed.count) encoded trap lines were changed: \(changed.prefix(3))")
  }

  @Test func secretKeysNormaliseEveryNamingStyle() {
    let keys = SecretKeys()
    for k in [
      "accessToken", "access-token", "ACCESS_TOKEN", "clientSecret", "client.secret", "X-Api-Key", "privateKey",
      "sessionId", "session_token", "webhook_secret", "adminPassword", "APIKey", "sessionID",
    ] {
      #expect(keys.matches(k), "\(k)")
    }
    for k in ["passwords_count", "tokens_used", "maxTokens", "sessions", "keyboard", "Tokenizer"] {
      #expect(!keys.matches(k), "\(k)")
    }
  }

  // MARK: - Rendering

  /// A text of `pool` in a random encoding and context.
  static func randomLine(from pool: [[UInt8]], _ rng: inout SplitMix64) -> ([UInt8], Encoding, Context) {
    let text = pool[rng.below(pool.count)]
    let encoding = Encoding.allCases[rng.below(Encoding.allCases.count)]
    var context = Context.allCases[rng.below(Context.allCases.count)]
    // Raw text has no JSON string layer: only percent encodings and embedded documents.
    if context == .rawText && encoding == .unicodeEscapes { context = .flat }
    return (render(text, encoding, context, &rng), encoding, context)
  }

  static func render(_ pii: [UInt8], _ e: Encoding, _ c: Context, _ rng: inout SplitMix64) -> [UInt8] {
    // The string content, already escaped for the JSON string it will sit in (or raw text).
    var content: [UInt8]
    switch e {
    case .percentReserved: content = jsonEscape(percent(pii, all: false))
    case .percentAll: content = jsonEscape(percent(pii, all: true))
    case .unicodeEscapes: content = unicodeEscape(pii, &rng)
    case .embedded: content = embed(jsonEscape(pii))
    case .embeddedPercent: content = embed(jsonEscape(percent(pii, all: false)))
    case .embeddedUnicode: content = embed(unicodeEscape(pii, &rng))
    }
    switch c {
    case .flat:
      return Array(#"{"level":"info","msg":"request","detail":""#.utf8) + content + Array(#"","n":1}"#.utf8)
    case .nestedArray:
      return Array(#"{"http":{"request":{"notes":["ok",""#.utf8) + content + Array(#""]}}}"#.utf8)
    case .rawText:
      // Undo the JSON string layer: raw text holds the text itself (an embedded document
      // keeps its own escapes).
      let text = unescapeOnce(content)
      return Array("2026-11-23 10:00:00.123 INFO [checkout] detail=".utf8) + text
    }
  }

  /// An inner JSON document holding `escaped` (its string content), escaped again to sit in
  /// an outer string.
  static func embed(_ escaped: [UInt8]) -> [UInt8] {
    jsonEscape(Array(#"{"event":"signup","user":{"note":""#.utf8) + escaped + Array(#""}}"#.utf8))
  }

  static func percent(_ b: [UInt8], all: Bool) -> [UInt8] {
    let hex = Array("0123456789ABCDEF".utf8)
    var out: [UInt8] = []
    for c in b {
      let unreserved = DetectorBytes.isAlphanumeric(c) || c == UInt8(ascii: "-") || c == UInt8(ascii: "_")
      if unreserved
        || (!all && c != UInt8(ascii: "@") && c != UInt8(ascii: " ") && c != UInt8(ascii: "+")
          && c != UInt8(ascii: ":") && c != UInt8(ascii: "/") && c != UInt8(ascii: "=") && c != UInt8(ascii: "&")
          && c != UInt8(ascii: "%"))
      {
        out.append(c)
      } else {
        out += [UInt8(ascii: "%"), hex[Int(c >> 4)], hex[Int(c & 15)]]
      }
    }
    return out
  }

  static func jsonEscape(_ b: [UInt8]) -> [UInt8] {
    var out: [UInt8] = []
    b.withUnsafeBytes { _ = JSONWriter.appendStringContent($0, to: &out) }
    return out
  }

  /// JSON string content with `@ . : + - space` written as `\u00XX` about half the time.
  static func unicodeEscape(_ b: [UInt8], _ rng: inout SplitMix64) -> [UInt8] {
    var out: [UInt8] = []
    for c in b {
      if "@.:+- ".utf8.contains(c) && rng.below(2) == 0 {
        out += Array(String(format: "\\u%04x", c).utf8)
      } else {
        out += jsonEscape([c])
      }
    }
    return out
  }

  // MARK: - The test's own decoding

  /// Every string value of a JSON line (or the raw line).
  static func values(of bytes: [UInt8], structured: Bool) throws -> [[UInt8]] {
    guard structured else { return [bytes] }
    let object = try JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
    var out: [[UInt8]] = []
    func walk(_ v: Any) {
      if let s = v as? String { out.append(Array(s.utf8)) }
      if let a = v as? [Any] { a.forEach(walk) }
      if let d = v as? [String: Any] { d.values.forEach(walk) }
    }
    walk(object)
    return out
  }

  static func decodeFully(_ b: [UInt8]) -> [UInt8] {
    var text = b
    for _ in 0..<4 {
      let next = unescapeOnce(percentDecode(text))
      if next == text { break }
      text = next
    }
    return text
  }

  static func percentDecode(_ b: [UInt8]) -> [UInt8] {
    var out: [UInt8] = []
    var i = 0
    while i < b.count {
      if b[i] == UInt8(ascii: "%"), i + 2 < b.count,
        let v = UInt8(String(decoding: b[(i + 1)...(i + 2)], as: UTF8.self), radix: 16)
      {
        out.append(v)
        i += 3
      } else {
        out.append(b[i])
        i += 1
      }
    }
    return out
  }

  /// One level of JSON string escapes.
  static func unescapeOnce(_ b: [UInt8]) -> [UInt8] {
    var out: [UInt8] = []
    var i = 0
    while i < b.count {
      guard b[i] == UInt8(ascii: "\\"), i + 1 < b.count else {
        out.append(b[i])
        i += 1
        continue
      }
      let e = b[i + 1]
      let simple: [UInt8: UInt8] = [
        0x22: 0x22, 0x5C: 0x5C, 0x2F: 0x2F, 0x6E: 0x0A, 0x74: 0x09, 0x72: 0x0D, 0x62: 0x08, 0x66: 0x0C,
      ]
      if let s = simple[e] {
        out.append(s)
        i += 2
      } else if e == UInt8(ascii: "u"), i + 6 <= b.count,
        let v = UInt32(String(decoding: b[(i + 2)..<(i + 6)], as: UTF8.self), radix: 16)
      {
        out += Array(String(Unicode.Scalar(v).map(Character.init) ?? "\u{FFFD}").utf8)
        i += 6
      } else {
        out.append(b[i])
        i += 1
      }
    }
    return out
  }

  static func markerRanges(_ text: [UInt8]) -> [Range<Int>] {
    var out: [Range<Int>] = []
    text.withUnsafeBytes { raw in
      var i = 0
      while i < raw.count {
        let n = Redactor.markerLength(raw, at: i)
        if n > 0 {
          out.append(i..<(i + n))
          i += n
        } else {
          i += 1
        }
      }
    }
    return out
  }
}
