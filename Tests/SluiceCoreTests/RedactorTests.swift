import Testing

@testable import SluiceCore

/// The substrings of `text` the email detector flags, checking the match invariants on the way.
private func emails(in text: String, sourceLocation: SourceLocation = #_sourceLocation) -> [String] {
  var matches: [DetectorMatch] = []
  let bytes = Array(text.utf8)
  bytes.withUnsafeBytes { EmailDetector().detect(in: $0, rule: 3, into: &matches) }
  for (k, m) in matches.enumerated() {
    #expect(m.rule == 3, sourceLocation: sourceLocation)
    #expect(m.range.lowerBound >= 0 && m.range.upperBound <= bytes.count, sourceLocation: sourceLocation)
    if k > 0 {
      #expect(matches[k - 1].range.upperBound <= m.range.lowerBound, "overlap", sourceLocation: sourceLocation)
    }
  }
  return matches.map { String(decoding: bytes[$0.range], as: UTF8.self) }
}

private let marker = "[REDACTED:email]"

private func emailRedactor() -> Redactor { Redactor(detectors: [EmailDetector()]) }

/// A test detector that flags every occurrence of one word.
struct WordDetector: Detector {
  let name: String
  let word: [UInt8]

  init(_ word: String) {
    name = "word-\(word)"
    self.word = Array(word.utf8)
  }

  func detect(in text: UnsafeRawBufferPointer, rule: Int, into matches: inout [DetectorMatch]) {
    var i = 0
    while i + word.count <= text.count {
      if text[i..<(i + word.count)].elementsEqual(word) {
        matches.append(DetectorMatch(range: i..<(i + word.count), rule: rule))
        i += word.count
      } else {
        i += 1
      }
    }
  }
}

// MARK: - EmailDetector

@Suite("EmailDetector")
struct EmailDetectorTests {
  @Test(
    "finds addresses",
    arguments: [
      ("user alice@example.com logged in", ["alice@example.com"]),
      ("to=<bob.smith+tag@mail.example.co.uk>", ["bob.smith+tag@mail.example.co.uk"]),
      (
        "from a@example.org, cc b_c%d@sub-domain.example.io; bcc Z9@EXAMPLE.COM",
        ["a@example.org", "b_c%d@sub-domain.example.io", "Z9@EXAMPLE.COM"]
      ),
      ("a@example.com,b@example.com", ["a@example.com", "b@example.com"]),
      ("contact: alice@example.com.", ["alice@example.com"]),
      ("(alice@example.com)", ["alice@example.com"]),
      (#""grace@example.com""#, ["grace@example.com"]),
      ("mailto:carol@example.net?subject=hi", ["carol@example.net"]),
      ("...dave@example.com", ["dave@example.com"]),
      ("eve@example.com-", ["eve@example.com"]),
      ("first.last@my-host.example", ["first.last@my-host.example"]),
      ("caf\u{E9} frank@example.com \u{1F600}", ["frank@example.com"]),
      ("alice@example.com", ["alice@example.com"]),
      ("o'brien@example.ie wrote", ["o'brien@example.ie"]),
      ("'jane@example.com'", ["jane@example.com"]),
      ("JANE.DOE@EXAMPLE.COM", ["JANE.DOE@EXAMPLE.COM"]),
      ("hi jane@studio.photography", ["jane@studio.photography"]),
      ("?email=jane.doe@example.com&x=1", ["jane.doe@example.com"]),
      ("to=x!y#z$w*v^u`t~s@example.org;", ["x!y#z$w*v^u`t~s@example.org"]),
      ("ftp://jane@example.com@files.example.net/", ["jane@example.com"]),
      ("*bob@example.com*", ["bob@example.com"]),
    ])
  func positives(_ text: String, _ expected: [String]) {
    #expect(emails(in: text) == expected)
  }

  @Test(
    "ignores things that are not addresses",
    arguments: [
      "@handle", "ping @handle now", "foo@bar", "a@b.c", "x@1.2.3.4", "user@localhost", "a@b..com", "a@-b.com",
      "a@example.c0m", "a@.com", ".@example.com", "user@@example.com", "@", "", "no at sign here", "a@", "@example.com",
      "systemd getty@tty1.service", "user@1000.Service", "icon@2x.png", "logo@3x.WEBP",
      "git@github.com:org/repo.git", "ssh://git@github.com/org/repo", "https://deploy@ci.example.com/builds",
      "postgres://app:S3cr3t@db.example.com/x", "scp backup@host.example.com:~/dump.sql .",
    ])
  func negatives(_ text: String) {
    #expect(emails(in: text) == [])
  }

  @Test func matchesNeverOverlap() {
    // The second address would start inside the first if the local part were scanned back
    // past the end of the previous match.
    #expect(emails(in: "a@example.com@b.com") == ["a@example.com"])
    #expect(emails(in: "x@a.io@b.io@c.io") == ["x@a.io", "b.io@c.io"])
    #expect(emails(in: "a@example.com+b@example.org") == ["a@example.com", "b@example.org"])
  }

  @Test func randomAtHeavyTextGivesOrderedNonOverlappingMatches() {
    var rng = SplitMix64(seed: 0xA7A7)
    let pieces = ["a", "b.", "@", "@", ".", "-", "+", "_", " ", "1", "example.com", "io", "<", ">", "\u{E9}", "x@y."]
    var found = 0
    for _ in 0..<3000 {
      let text = (0..<rng.below(14)).map { _ in pieces[rng.below(pieces.count)] }.joined()
      let hits = emails(in: text)  // checks order, bounds and overlap
      for hit in hits {
        #expect(hit.contains("@") && !hit.hasPrefix("@") && !hit.hasSuffix("."), "\(hit) in \(text)")
      }
      found += hits.count
    }
    #expect(found > 150)
  }

  @Test func aNonMatchDoesNotHideALaterMatch() {
    #expect(emails(in: "@handle foo@bar x@1.2.3.4 then real@example.com") == ["real@example.com"])
  }
}

// MARK: - Redactor

@Suite("Redactor")
struct RedactorTests {
  @Test func redactsStringValuesAtAnyDepthAndLeavesKeys() throws {
    var redactor = emailRedactor()
    var event = structuredEvent(
      #"{"user":"alice@example.com","nested":{"list":["x","bob@example.org ok",{"deep":"c@example.net"}]},"#
        + #""alice@example.com":"key stays","n":1}"#)
    let replaced = redactor.redact(&event, scanner: JSONScanner())
    #expect(replaced == 3)
    #expect(redactor.counts == [3])
    #expect(
      event.text
        == #"{"user":"[REDACTED:email]","nested":{"list":["x","[REDACTED:email] ok",{"deep":"[REDACTED:email]"}]},"#
        + #""alice@example.com":"key stays","n":1}"#)
    // The event stays structured and its tape matches the new bytes.
    #expect(event.isStructured)
    checkWholeTape(event.tape, byteCount: event.bytes.count)
    #expect(event.value(forKey: "nested.list") == ["x", .string("\(marker) ok"), ["deep": .string(marker)]])
    #expect(event.value(forKey: "alice@example.com") == "key stays")
  }

  @Test func severalAddressesInOneString() {
    var redactor = emailRedactor()
    var event = structuredEvent(#"{"msg":"from a@example.com to b@example.org, cc c@example.net"}"#)
    #expect(redactor.redact(&event, scanner: JSONScanner()) == 3)
    #expect(event.text == #"{"msg":"from [REDACTED:email] to [REDACTED:email], cc [REDACTED:email]"}"#)
  }

  @Test func escapedAddressIsFound() throws {
    var redactor = emailRedactor()
    var event = structuredEvent(#"{"msg":"mail a\u0040example.com now\n","other":"x\"y","n":"caf\u00e9"}"#)
    #expect(redactor.redact(&event, scanner: JSONScanner()) == 1)
    #expect(isValidJSON(event.bytes))
    #expect(
      try JSONValue.parse(event.bytes) == ["msg": .string("mail \(marker) now\n"), "other": "x\"y", "n": "caf\u{E9}"])
    // Only the string that had a match is rewritten; the rest keeps its original escapes.
    #expect(event.text == #"{"msg":"mail [REDACTED:email] now\n","other":"x\"y","n":"caf\u00e9"}"#)
  }

  @Test func escapedStringsAreReEscaped() throws {
    var redactor = emailRedactor()
    var event = structuredEvent(#"{"m":"\"q\" \\ \t caf\u00e9 \ud83d\ude00 bob@example.com\u0001"}"#)
    #expect(redactor.redact(&event, scanner: JSONScanner()) == 1)
    #expect(isValidJSON(event.bytes))
    #expect(try JSONValue.parse(event.bytes) == ["m": .string("\"q\" \\ \t caf\u{E9} \u{1F600} \(marker)\u{1}")])
  }

  @Test func layoutOutsideTheValuesIsKept() {
    var redactor = emailRedactor()
    var event = structuredEvent(#" { "a" : "x@example.com" , "b" : [ "y@example.com" ] , "c" : 2 } "#)
    #expect(redactor.redact(&event, scanner: JSONScanner()) == 2)
    #expect(event.text == #" { "a" : "[REDACTED:email]" , "b" : [ "[REDACTED:email]" ] , "c" : 2 } "#)
  }

  @Test func noMatchLeavesTheEventUntouched() {
    var redactor = emailRedactor()
    let text = #"{"alice@example.com":1,"msg":"@handle foo@bar","n":2}"#
    var event = structuredEvent(text)
    #expect(redactor.redact(&event, scanner: JSONScanner()) == 0)
    #expect(event.text == text)
    #expect(redactor.counts == [0])
  }

  @Test func redactionIsIdempotent() {
    var redactor = emailRedactor()
    var event = structuredEvent(#"{"a":"alice@example.com","b":["bob@example.org"],"c":"x\u0040example.com"}"#)
    #expect(redactor.redact(&event, scanner: JSONScanner()) == 3)
    let once = event.bytes
    #expect(redactor.redact(&event, scanner: JSONScanner()) == 0)
    #expect(event.bytes == once)
    #expect(redactor.counts == [3])
  }

  @Test func countsAccumulateAndTakeCountsResets() {
    var redactor = emailRedactor()
    var first = structuredEvent(#"{"a":"a@example.com b@example.com"}"#)
    var second = structuredEvent(#"{"a":"c@example.com"}"#)
    #expect(redactor.counts == [0])
    redactor.redact(&first, scanner: JSONScanner())
    #expect(redactor.counts == [2])
    redactor.redact(&second, scanner: JSONScanner())
    #expect(redactor.counts == [3])
    #expect(redactor.takeCounts() == [3])
    #expect(redactor.counts == [0])
    #expect(redactor.takeCounts() == [0])
  }

  @Test func rawEventsAreRedactedToo() {
    var redactor = emailRedactor()
    var event = rawEvent("alice@example.com and bob@example.org said hi")
    #expect(redactor.redact(&event, scanner: JSONScanner()) == 2)
    #expect(event.text == "[REDACTED:email] and [REDACTED:email] said hi")
    #expect(!event.isStructured)
    #expect(redactor.counts == [2])

    // Raw bytes are not JSON-escaped or repaired, just redacted.
    var bytes = rawEvent([0xFF, 0x20] + Array("x@example.com\"".utf8))
    #expect(redactor.redact(&bytes, scanner: JSONScanner()) == 1)
    #expect(bytes.bytes == [0xFF, 0x20] + Array("[REDACTED:email]\"".utf8))

    // An unparsed JSON line is redacted as text.
    var json = rawEvent(#"{"e":"a@example.com"}"#)
    #expect(redactor.redact(&json, scanner: JSONScanner()) == 1)
    #expect(json.text == #"{"e":"[REDACTED:email]"}"#)
    #expect(!json.isStructured)

    var clean = rawEvent("nothing to see")
    #expect(redactor.redact(&clean, scanner: JSONScanner()) == 0)
    #expect(clean.text == "nothing to see")
    #expect(redactor.takeCounts() == [4])
  }

  @Test func chainedAddressesDoNotCrash() throws {
    var redactor = emailRedactor()
    var event = structuredEvent(#"{"m":"a@example.com@b.com","n":"x@a.io@b.io@c.io"}"#)
    #expect(redactor.redact(&event, scanner: JSONScanner()) == 3)
    #expect(event.text == #"{"m":"[REDACTED:email]@b.com","n":"[REDACTED:email]@[REDACTED:email]"}"#)
    var raw = rawEvent("from a@example.com@b.com")
    #expect(redactor.redact(&raw, scanner: JSONScanner()) == 1)
    #expect(raw.text == "from [REDACTED:email]@b.com")
  }

  @Test func passesRepeatUntilNothingIsLeft() {
    // Found by fuzzing: `mple.coa=` is a bearer credential only once the address after it is a
    // marker, so one pass left it and a second masked it. Redaction repeats until a pass
    // finds nothing, so redacting the output again changes nothing.
    var redactor = Redactor(policy: .default)
    var raw = rawEvent("auth Bearer mple.coa=cdopqrsHHtob@example.com done")
    #expect(redactor.redact(&raw, scanner: JSONScanner()) == 2)
    #expect(raw.text == "auth Bearer [REDACTED:bearer][REDACTED:email] done")
    #expect(redactor.redact(&raw, scanner: JSONScanner()) == 0)
  }

  @Test func wrappedLinesAreRedacted() {
    var redactor = emailRedactor()
    var event = Event("login by alice@example.com from 10.0.0.1")
    #expect(redactor.redact(&event, scanner: JSONScanner()) == 1)
    #expect(event.text == #"{"message":"login by [REDACTED:email] from 10.0.0.1"}"#)
  }

  @Test func severalDetectorsWithOverlaps() {
    var redactor = Redactor(detectors: [EmailDetector(), WordDetector("example"), WordDetector("secret")])
    var event = structuredEvent(#"{"m":"alice@example.com secret","k":"example","z":"none"}"#)
    #expect(redactor.redact(&event, scanner: JSONScanner()) == 3)
    // "example" inside the address overlaps the email match and is dropped.
    #expect(event.text == #"{"m":"[REDACTED:email] [REDACTED:word-secret]","k":"[REDACTED:word-example]","z":"none"}"#)
    #expect(redactor.counts == [1, 1, 1])
    #expect(redactor.takeCounts() == [1, 1, 1])
    #expect(redactor.counts == [0, 0, 0])
  }

  @Test func randomAtHeavyTextIsRedactedSafely() throws {
    var rng = SplitMix64(seed: 0x40A7)
    let pieces = ["a", "b.", "@", "@", ".", "-", "+", " ", "example.com", "io", "\"", "\\", "\n", "\u{E9}"]
    var redactor = emailRedactor()
    for _ in 0..<2000 {
      let text = (0..<rng.below(14)).map { _ in pieces[rng.below(pieces.count)] }.joined()
      let expectedCount = emails(in: text).count
      var raw = rawEvent(text)
      #expect(redactor.redact(&raw, scanner: JSONScanner()) == expectedCount)
      #expect(emails(in: raw.text).isEmpty, "\(text) -> \(raw.text)")
      var event = structuredEvent(JSONValue.object([JSONMember("m", .string(text))]).jsonText)
      #expect(redactor.redact(&event, scanner: JSONScanner()) == expectedCount)
      let redacted = try #require(event.value(forKey: "m")?.stringValue)
      #expect(redacted == raw.text, "\(text)")
      #expect(emails(in: redacted).isEmpty, "\(text) -> \(redacted)")
    }
  }

  /// Replaces the strings of `value` using `transform`, keeping keys.
  private static func mapStrings(_ value: JSONValue, _ transform: (String) -> String) -> JSONValue {
    switch value {
    case .string(let s): .string(transform(s))
    case .array(let items): .array(items.map { mapStrings($0, transform) })
    case .object(let members): .object(members.map { JSONMember($0.key, mapStrings($0.value, transform)) })
    default: value
    }
  }

  @Test func randomDocumentsStayValidAndLoseEveryAddress() throws {
    var rng = SplitMix64(seed: 0x5EC12E7)
    var redactor = emailRedactor()
    var total = 0
    for round in 0..<500 {
      // Plant addresses in some of the strings of a random document.
      var planted = 0
      let value = Self.mapStrings(.array([randomValue(&rng), randomValue(&rng)])) { s in
        guard rng.oneIn(2) else { return s }
        planted += 1
        return s + " user\(round)@example.com " + s
      }
      let document = JSONValue.object([JSONMember("doc", value), JSONMember("user@example.com", "key")])
      var event = structuredEvent(document.jsonText)
      let replaced = redactor.redact(&event, scanner: JSONScanner())
      #expect(replaced == planted)
      total += planted
      let redacted = try JSONValue.parse(event.bytes)
      let expected = Self.mapStrings(document) { $0.replacing("user\(round)@example.com", with: marker) }
      #expect(redacted == expected)
      checkWholeTape(event.tape, byteCount: event.bytes.count)
      let once = event.bytes
      #expect(redactor.redact(&event, scanner: JSONScanner()) == 0)
      #expect(event.bytes == once)
    }
    #expect(total > 100)
    #expect(redactor.takeCounts() == [total])
  }
}
