import Foundation
import Testing

@testable import SluiceCore

/// A stand-in for the agent's HMAC (which needs swift-crypto): a keyless FNV digest, enough
/// to check where digests go and that equal values give equal digests.
private struct FNVHasher: RedactionHasher {
  func appendDigest(of value: UnsafeRawBufferPointer, to out: inout [UInt8]) {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for b in value { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
    out.append(contentsOf: String(h, radix: 16).leftPad(16).utf8)
  }
}

extension String {
  fileprivate func leftPad(_ n: Int) -> String { String(repeating: "0", count: max(0, n - count)) + self }
}

private func redact(_ json: String, _ policy: RedactionPolicy) -> (String, [Int]) {
  var r = Redactor(policy: policy)
  var event = structuredEvent(json)
  r.redact(&event, scanner: JSONScanner())
  #expect(event.isStructured)
  checkWholeTape(event.tape, byteCount: event.bytes.count)
  return (event.text, r.counts)
}

private let email = RedactionPolicy.DetectorRule(EmailDetector())

/// Every string value in a parsed JSON value, except under keys named `skipping`.
private func strings(in value: Any, skipping: String = "request_id") -> [String] {
  switch value {
  case let s as String: return [s]
  case let a as [Any]: return a.flatMap { strings(in: $0) }
  case let d as [String: Any]: return d.filter { $0.key != skipping }.values.flatMap { strings(in: $0) }
  default: return []
  }
}

@Suite("Redaction policy")
struct RedactionPolicyTests {
  @Test func deniedFieldsAreReplacedWholeWhateverTheirType() {
    let policy = RedactionPolicy(
      detectors: [email],
      deniedFields: [.init(fields: ["password", "token", "profile.address"].map(FieldPattern.init))])
    let (text, counts) = redact(
      #"{"user":"a","Password":"hunter2","db_password":{"x":1},"api_token":12345,"tokens_used":7,"#
        + #""profile":{"address":["1 Main St",{"zip":"02134"}],"name":"Al"}}"#, policy)
    #expect(
      text
        == #"{"user":"a","Password":"[REDACTED:field]","db_password":"[REDACTED:field]","api_token":"[REDACTED:field]","#
        + #""tokens_used":7,"profile":{"address":"[REDACTED:field]","name":"Al"}}"#)
    #expect(counts == [0, 4])
  }

  @Test func pathPatternsWithWildcards() {
    let policy = RedactionPolicy(
      detectors: [],
      deniedFields: [.init(name: "hdr", fields: ["headers.*", "**.secret_*", "user.email"].map(FieldPattern.init))])
    let (text, _) = redact(
      #"{"headers":{"Cookie":"a=b","X-Id":"1"},"a":{"b":{"secret_key":"k","public":"p"}},"secret_x":"top","#
        + #""user":{"email":"e"},"user.email":"flat","other":{"user":{"email":"deep"}}}"#, policy)
    #expect(
      text
        == #"{"headers":{"Cookie":"[REDACTED:hdr]","X-Id":"[REDACTED:hdr]"},"a":{"b":{"secret_key":"[REDACTED:hdr]","#
        + #""public":"p"}},"secret_x":"[REDACTED:hdr]","user":{"email":"[REDACTED:hdr]"},"user.email":"[REDACTED:hdr]","#
        + #""other":{"user":{"email":"deep"}}}"#)
  }

  @Test func allowedFieldsAreNeverScannedButDenyWins() {
    let policy = RedactionPolicy(
      detectors: [email], deniedFields: [.init(fields: [FieldPattern("password")])],
      allowedFields: ["request_id", "audit.*", "password"].map(FieldPattern.init))
    let (text, counts) = redact(
      #"{"request_id":"a@example.com","Request_ID":"b@example.com","x_request_id":"c@example.com","#
        + #""audit":{"by":"d@example.com","list":["e@example.com"]},"password":"p"}"#, policy)
    // Allow-list names are exact (case-insensitive); `x_request_id` is scanned.
    #expect(
      text
        == #"{"request_id":"a@example.com","Request_ID":"b@example.com","x_request_id":"[REDACTED:email]","#
        + #""audit":{"by":"d@example.com","list":["e@example.com"]},"password":"[REDACTED:field]"}"#)
    #expect(counts == [1, 1])
  }

  @Test func detectorsScopedToFields() {
    let policy = RedactionPolicy(
      detectors: [.init(EmailDetector(), fields: ["contact.*", "email"].map(FieldPattern.init))])
    let (text, _) = redact(
      #"{"msg":"a@example.com","contact":{"to":"b@example.com"},"user_email":"c@example.com"}"#, policy)
    #expect(
      text == #"{"msg":"a@example.com","contact":{"to":"[REDACTED:email]"},"user_email":"[REDACTED:email]"}"#)
    // Limited to fields, it does not run on an unparsed line.
    var r = Redactor(policy: policy)
    var event = Event()
    Array("mail a@example.com".utf8).withUnsafeBytes { event.load($0) }
    #expect(r.redact(&event, scanner: JSONScanner()) == 0)
  }

  @Test func partialKeepsTheSafePart() {
    let policy = RedactionPolicy(detectors: [.init(EmailDetector(), action: .partial)])
    let (text, _) = redact(#"{"msg":"from alice@example.com and x\u0040corp.io"}"#, policy)
    #expect(text == #"{"msg":"from [REDACTED:email:example.com] and [REDACTED:email:corp.io]"}"#)
  }

  @Test func hashGivesEqualDigestsForEqualValues() {
    let policy = RedactionPolicy(
      detectors: [.init(EmailDetector(), action: .hash)],
      deniedFields: [.init(name: "field", fields: [FieldPattern("ssn")], action: .hash)], hasher: FNVHasher())
    let (text, counts) = redact(
      #"{"a":"alice@example.com","b":"to alice@example.com","c":"bob@example.com","ssn":"078-05-1120"}"#, policy)
    let digests = text.matches(of: /\[HASH:email:([0-9a-f]{16})\]/).map { String($0.1) }
    #expect(digests.count == 3)
    #expect(digests[0] == digests[1] && digests[0] != digests[2])
    #expect(text.contains(#""ssn":"[HASH:field:"#))
    #expect(!text.contains("alice") && !text.contains("078-05"))
    #expect(counts == [3, 1])
  }

  @Test func hashWithoutAHasherMasks() {
    let policy = RedactionPolicy(detectors: [.init(EmailDetector(), action: .hash)])
    #expect(redact(#"{"a":"x a@example.com"}"#, policy).0 == #"{"a":"x [REDACTED:email]"}"#)
  }

  @Test func dropRemovesTheFieldOrElement() {
    let policy = RedactionPolicy(
      detectors: [.init(EmailDetector(), action: .drop)],
      deniedFields: [.init(fields: [FieldPattern("password")], action: .drop)])
    let cases: [(String, String)] = [
      (#"{"a":"x@example.com"}"#, #"{}"#),
      (#"{"a":"x@example.com","b":1}"#, #"{"b":1}"#),
      (#"{"b":1, "a":"x@example.com"}"#, #"{"b":1}"#),
      (#"{"b":1,"a":"x@example.com","c":2}"#, #"{"b":1,"c":2}"#),
      (#"{"l":["x@example.com","ok","y@example.com"],"password":"p","n":{"password":[1,2]}}"#, #"{"l":["ok"],"n":{}}"#),
      (#"{"l":["x@example.com"], "m" : [ 1 , {"a":"y@example.com"} ] }"#, #"{"l":[],"m":[1,{}]}"#),
    ]
    for (input, expected) in cases {
      #expect(redact(input, policy).0 == expected, "\(input)")
    }
  }

  @Test func numbersAreScannedAndBecomeStrings() {
    struct DigitsDetector: Detector {
      let name = "digits"
      var requires: ByteClasses { .digit }
      var minimumLength: Int { 13 }
      func detect(in text: UnsafeRawBufferPointer, rule: Int, into matches: inout [DetectorMatch]) {
        if text.count >= 13 && text.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) {
          matches.append(DetectorMatch(range: 0..<text.count, rule: rule))
        }
      }
    }
    let policy = RedactionPolicy(detectors: [.init(DigitsDetector())])
    #expect(redact(#"{"card":4111111111111111,"n":12}"#, policy).0 == #"{"card":"[REDACTED:digits]","n":12}"#)
  }

  @Test func rawLinesAreScannedWhole() {
    var r = Redactor(policy: RedactionPolicy(detectors: [.init(EmailDetector(), action: .partial)]))
    var event = Event()
    let line = Array("login failed for bob@example.com from 10.0.0.1".utf8)
    line.withUnsafeBytes { event.load($0) }
    #expect(r.redact(&event, scanner: JSONScanner()) == 1)
    #expect(event.text == "login failed for [REDACTED:email:example.com] from 10.0.0.1")
  }

  @Test func fieldPatternGlobs() {
    func m(_ p: String, _ s: String) -> Bool {
      Array(s.utf8).withUnsafeBytes { FieldPattern.globMatch(FieldPattern(p).bytes, $0) }
    }
    #expect(m("a.b", "a.b") && !m("a.b", "a.bc") && !m("a.b", "x.a.b"))
    #expect(m("a.*", "a.b") && !m("a.*", "a.b.c") && m("a.**", "a.b.c"))
    #expect(m("**.token", "token") && m("**.token", "a.b.token") && !m("**.token", "a.tokens"))
    #expect(m("*_secret", "db_secret") && !m("*_secret", "x.db_secret") && m("**.*_secret", "x.db_secret"))
    #expect(m("user.email", "user.email") && FieldPattern("User.Email").bytes == Array("user.email".utf8))
  }

  @Test func userPatternsAreCompiledOnceAndFound() throws {
    let d = try PatternDetector(name: "customer", pattern: "CUST-[0-9]{8}", literal: "CUST-")
    let policy = RedactionPolicy(detectors: [.init(d)])
    #expect(
      redact(#"{"m":"CUST-12345678 paid; CUST-1234 not; xCUST-87654321"}"#, policy).0
        == #"{"m":"[REDACTED:customer] paid; CUST-1234 not; x[REDACTED:customer]"}"#)
    #expect(throws: PatternDetector.InvalidPattern.self) { try PatternDetector(name: "bad", pattern: "a(b") }
  }

  /// Random nested JSON with PII, unicode, escapes and control characters: the output is
  /// valid JSON and valid UTF-8 (checked by Foundation's parser), redacting again changes
  /// nothing, and allow-listed values come out byte for byte as they went in.
  @Test func propertiesOnRandomEvents() throws {
    var rng = SplitMix64(seed: 0x5EC2E7)
    let pieces = [
      "alice@example.com", "x\\u0040y.io", "plain", " ", "\\n", "\\\"", "\\\\", "é", "日本", "😀", "[REDACTED:email]",
      "[HASH:email:0123456789abcdef]", "[", "]", "@", ".", "bob@corp.example.org", "\\u00e9", "\\ud83d\\ude00", "\\t",
    ]
    func string() -> String { "\"" + (0..<rng.below(6)).map { _ in pieces[rng.below(pieces.count)] }.joined() + "\"" }
    func value(_ depth: Int) -> String {
      switch depth > 2 ? rng.below(3) : rng.below(6) {
      case 0, 1: return string()
      case 2: return ["1", "-2.5e3", "true", "null", "4111111111111111"][rng.below(5)]
      case 3, 4:
        let keys = ["a", "email", "password", "request_id", "list", "n"]
        return "{"
          + (0..<rng.below(4)).map { _ in "\"\(keys[rng.below(keys.count)])\":\(value(depth + 1))" }
          .joined(separator: ",") + "}"
      default: return "[" + (0..<rng.below(4)).map { _ in value(depth + 1) }.joined(separator: ",") + "]"
      }
    }
    for action in RedactionAction.allCases {
      let policy = RedactionPolicy(
        detectors: [.init(EmailDetector(), action: action)],
        deniedFields: [.init(fields: [FieldPattern("password")], action: action)],
        allowedFields: [FieldPattern("request_id")], hasher: FNVHasher())
      for _ in 0..<400 {
        let input = "{\"request_id\":\(string()),\"body\":\(value(0)),\"m\":\(string())}"
        var r = Redactor(policy: policy)
        var event = structuredEvent(input)
        r.redact(&event, scanner: JSONScanner())
        let once = event.bytes
        let parsed = try JSONSerialization.jsonObject(with: Data(once)) as? [String: Any]
        #expect(parsed != nil, "\(action): \(event.text)")
        #expect(String(validating: once, as: UTF8.self) != nil)
        // Idempotent.
        var again = Redactor(policy: policy)
        #expect(again.redact(&event, scanner: JSONScanner()) == 0, "\(action): \(event.text)")
        #expect(event.bytes == once)
        // The allow-listed value is untouched.
        let original = try JSONSerialization.jsonObject(with: Data(input.utf8)) as! [String: Any]
        #expect(parsed?["request_id"] as? String == original["request_id"] as? String)
        // No address is left anywhere but in the allow-listed field.
        for s in strings(in: parsed ?? [:]) {
          var found: [DetectorMatch] = []
          Array(s.utf8).withUnsafeBytes { EmailDetector().detect(in: $0, rule: 0, into: &found) }
          #expect(found.isEmpty, "\(action): \(s) in \(event.text)")
        }
      }
    }
  }
}
