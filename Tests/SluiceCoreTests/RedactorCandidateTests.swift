import Testing

@testable import SluiceCore

/// A detector that flags one word (``WordDetector``), and declares what a text must contain
/// for it to look.
private struct GatedWordDetector: Detector {
  let name: String
  let word: [UInt8]
  let requires: ByteClasses
  var minimumLength = 1
  var minimumDigits = 0
  var minimumStandaloneDigits = 0
  /// Texts this detector was shown (to check which detectors the prefilter lets run).
  let seen: SeenTexts

  func detect(in text: UnsafeRawBufferPointer, rule: Int, into matches: inout [DetectorMatch]) {
    seen.add(name)
    WordDetector(String(decoding: word, as: UTF8.self)).detect(in: text, rule: rule, into: &matches)
  }
}

private final class SeenTexts: @unchecked Sendable {
  private(set) var names: [String] = []
  func add(_ name: String) { names.append(name) }
  func reset() { names.removeAll() }
}

@Suite("Redactor: which detectors run")
struct RedactorCandidateTests {
  /// A detector runs exactly when the text holds every class it requires. (The words are
  /// never found, so each text is scanned once.)
  @Test func onlyDetectorsWhoseClassesArePresentRun() {
    let seen = SeenTexts()
    let detectors: [any Detector] = [
      GatedWordDetector(name: "digits", word: Array("nowhere".utf8), requires: [.digit], seen: seen),
      GatedWordDetector(name: "upper-at", word: Array("nowhere".utf8), requires: [.upper, .at], seen: seen),
      GatedWordDetector(name: "any", word: Array("nowhere".utf8), requires: [], seen: seen),
      GatedWordDetector(name: "colon", word: Array("nowhere".utf8), requires: [.colon, .lower], seen: seen),
    ]
    var redactor = Redactor(detectors: detectors)
    let cases: [(String, [String])] = [
      ("plain words zz", ["any"]),
      ("code 7777 zz", ["digits", "any"]),
      ("X@ here 7777", ["digits", "upper-at", "any"]),
      ("key a:b", ["any", "colon"]),
      ("A:B", ["any"]),  // colon without a lower-case letter
    ]
    for (text, expected) in cases {
      seen.reset()
      var event = structuredEvent("{\"m\":\"\(text)\"}")
      _ = redactor.redact(&event, scanner: JSONScanner())
      #expect(seen.names == expected, "\(text)")
    }
  }

  /// Length and digit thresholds, below and above 64.
  @Test func lengthAndDigitThresholds() {
    let seen = SeenTexts()
    let detectors: [any Detector] = [
      GatedWordDetector(name: "len10", word: [0], requires: [], minimumLength: 10, seen: seen),
      GatedWordDetector(name: "len100", word: [0], requires: [], minimumLength: 100, seen: seen),
      GatedWordDetector(name: "digits3", word: [0], requires: [], minimumDigits: 3, seen: seen),
      GatedWordDetector(name: "digits70", word: [0], requires: [], minimumDigits: 70, seen: seen),
      GatedWordDetector(name: "alone3", word: [0], requires: [], minimumStandaloneDigits: 3, seen: seen),
      GatedWordDetector(name: "alone70", word: [0], requires: [], minimumStandaloneDigits: 70, seen: seen),
    ]
    var redactor = Redactor(detectors: detectors)
    let cases: [(String, [String])] = [
      ("short", []),
      ("ten bytes!", ["len10"]),
      ("12 digits 3", ["len10", "digits3", "alone3"]),
      (String(repeating: "x", count: 99), ["len10"]),
      (String(repeating: "x", count: 100), ["len10", "len100"]),
      (String(repeating: "7", count: 69), ["len10", "digits3", "alone3"]),
      (String(repeating: "7", count: 70), ["len10", "digits3", "digits70", "alone3", "alone70"]),
      (String(repeating: "7", count: 100), ["len10", "len100", "digits3", "digits70", "alone3", "alone70"]),
      // Digits after letters do not stand alone; after a separator they do.
      ("id_12 v3 ab45", ["len10", "digits3"]),
      ("id 123 v3 ab45", ["len10", "digits3", "alone3"]),
      (String(repeating: "a7", count: 75), ["len10", "len100", "digits3", "digits70"]),
      (String(repeating: "-7", count: 70), ["len10", "len100", "digits3", "digits70", "alone3", "alone70"]),
    ]
    for (text, expected) in cases {
      seen.reset()
      var event = structuredEvent("{\"m\":\"\(text)\"}")
      _ = redactor.redact(&event, scanner: JSONScanner())
      #expect(seen.names == expected, "\(text.count) bytes")
    }
  }

  /// With more than 64 detectors the redactor tests each in turn; all still run and match.
  @Test func moreThanSixtyFourDetectors() {
    let seen = SeenTexts()
    var detectors: [any Detector] = (0..<70).map {
      GatedWordDetector(
        name: "w\($0)", word: Array("word\($0)x".utf8), requires: [.lower, .digit], minimumLength: 6, seen: seen)
    }
    detectors.append(EmailDetector())
    var redactor = Redactor(detectors: detectors)
    var event = structuredEvent(#"{"m":"word3x and word69x mail jane@example.com"}"#)
    #expect(redactor.redact(&event, scanner: JSONScanner()) == 3)
    let text = String(decoding: event.bytes, as: UTF8.self)
    #expect(text.contains("[REDACTED:w3]") && text.contains("[REDACTED:w69]") && text.contains("[REDACTED:email]"))
    #expect(Set(seen.names).count == 70)
  }
}

@Suite("KeyBytes")
struct KeyBytesTests {
  /// `equal` agrees with a byte-by-byte comparison at every length and difference position,
  /// and equal bytes hash equal.
  @Test func equalAndHashAgreeWithTheBytes() {
    var generator = SystemRandomNumberGenerator()
    for n in 0...40 {
      let a = (0..<n).map { _ in UInt8.random(in: 0...255, using: &generator) }
      a.withUnsafeBytes { x in
        let copy = Array(a)
        copy.withUnsafeBytes { y in
          #expect(
            KeyBytes.equal(
              x.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!, y.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!, n))
          #expect(KeyBytes.hash(x) == KeyBytes.hash(y))
        }
        for k in 0..<n {
          var b = a
          b[k] ^= 0x20
          b.withUnsafeBytes { y in
            #expect(!KeyBytes.equal(x.baseAddress!, y.baseAddress!, n), "length \(n), byte \(k)")
          }
        }
      }
    }
  }

  /// Keys that differ in one byte, or only in length, rarely share a hash (none here).
  @Test func similarKeysHashApart() {
    var keys = Set<String>()
    for base in ["level", "user_agent", "http.request.method", "kubernetes.pod.labels.app", "a", ""] {
      var variants = [base, base + "x", String(base.dropLast())]
      for k in 0..<base.utf8.count {
        var b = Array(base.utf8)
        b[k] ^= 1
        variants.append(String(decoding: b, as: UTF8.self))
      }
      keys.formUnion(variants)
    }
    var hashes = Set<UInt64>()
    for k in keys { Array(k.utf8).withUnsafeBytes { hashes.insert(KeyBytes.hash($0)) } }
    #expect(hashes.count == keys.count)
  }
}

@Suite("SecretPairDetector prefilter")
struct SecretPairPrefilterTests {
  /// `requiresAny` (`=` or `:`) is safe: called directly, without the prefilter, the detector
  /// finds nothing in texts that have neither, however secret-looking their words; with one
  /// of them it does.
  @Test func nothingWithoutASeparator() {
    let detector = SecretPairDetector()
    #expect(detector.requiresAny == [.equals, .colon])
    let words = [
      "password", "PASSWORD", "token", "api_key", "X-Api-Key", "Cookie", "set-cookie", "secret", "hunter2",
      "s3cr3t!", "\"", "'", " ", "=>", "[", "]", "&", ";", ",", "?", "--", "\\\"", "Bearer", "abc123XYZ",
    ]
    var generator = SystemRandomNumberGenerator()
    var found = 0
    for _ in 0..<20_000 {
      var text = ""
      for _ in 0..<Int.random(in: 1...8, using: &generator) { text += words.randomElement(using: &generator)! }
      var matches: [DetectorMatch] = []
      let plain = text.replacingOccurrences(of: "=", with: "")
      Array(plain.utf8).withUnsafeBytes { detector.detect(in: $0, rule: 0, into: &matches) }
      #expect(matches.isEmpty, "\(plain)")
      var withSeparator: [DetectorMatch] = []
      Array(text.utf8).withUnsafeBytes { detector.detect(in: $0, rule: 0, into: &withSeparator) }
      found += withSeparator.count
    }
    #expect(found > 0)  // the generator does produce pairs the detector finds
  }
}

@Suite("SSNDetector prefilter")
struct SSNPrefilterTests {
  /// `requiresAny` (`-` or a letter) is safe: texts of digits, spaces, dots, `+`, `:`, `/`, `=`
  /// and quotes never hold an SSN the detector finds, while the same digits after `ssn ` do.
  @Test func nothingInBareNumbers() {
    let detector = SSNDetector()
    #expect(detector.requiresAny == [.dash, .lower, .upper])
    let pieces = ["123456789", "123 45 6789", "078051120", "219099999", " ", ".", ":", "=", "\"", "+", "/", "0", "42"]
    var generator = SystemRandomNumberGenerator()
    var withKeyword = 0
    for _ in 0..<20_000 {
      var text = ""
      for _ in 0..<Int.random(in: 1...5, using: &generator) { text += pieces.randomElement(using: &generator)! }
      var matches: [DetectorMatch] = []
      Array(text.utf8).withUnsafeBytes { detector.detect(in: $0, rule: 0, into: &matches) }
      #expect(matches.isEmpty, "\(text)")
      var keyed: [DetectorMatch] = []
      Array(("ssn " + text).utf8).withUnsafeBytes { detector.detect(in: $0, rule: 0, into: &keyed) }
      withKeyword += keyed.count
    }
    #expect(withKeyword > 0)
  }
}

@Suite("Standalone-digit prefilter")
struct StandaloneDigitsPrefilterTests {
  /// `minimumStandaloneDigits` is safe for the phone, SSN and card detectors: called directly,
  /// without the prefilter, none of them finds anything in a text without `%` with fewer
  /// standalone digits (digits in runs not after a letter or `_`) than it declares. The texts glue numbers in
  /// every documented form to letters, ids and separators; some do match, and some are ones
  /// the prefilter now skips although their digit count alone would not.
  @Test func detectorsFindNothingBelowTheirThreshold() {
    let detectors: [any Detector] = [PhoneDetector(), SSNDetector(), PaymentCardDetector()]
    let pieces = [
      "+1 (415) 555-2671", "415-555-2671", "(415)555-2671", "tel 555-2671", "phone:4155552671", "0044 20 7946 0958",
      "+44 20 7946 0958", "01 23 45 67 89", "x204", " ext. 12", "4111 1111 1111 1111", "4111111111111111",
      "5500-0000-0000-0004", "536-22-8841", "ssn 536228841", "SSN: 536 22 8841", "dcac", "v", "_", "id_", "a", "Z",
      "-", " ", ".", "(", ")", "+", ":", "=", "0", "42", "18688", "7da96", "%2B",
    ]
    var generator = SplitMix64(seed: 19)
    var found = [0, 0, 0]
    var skippedByThisPrefilterOnly = 0
    for _ in 0..<60_000 {
      var text = ""
      for _ in 0..<Int.random(in: 1...6, using: &generator) { text += pieces.randomElement(using: &generator)! }
      let bytes = Array(text.utf8)
      let (_, digits, standalone) = bytes.withUnsafeBytes { ByteClasses.scan($0) }
      for (k, detector) in detectors.enumerated() {
        var matches: [DetectorMatch] = []
        bytes.withUnsafeBytes { detector.detect(in: $0, rule: 0, into: &matches) }
        found[k] += matches.count
        if standalone < detector.minimumStandaloneDigits && !text.contains("%") {
          #expect(matches.isEmpty, "\(detector.name): \(text)")
          if digits >= detector.minimumDigits { skippedByThisPrefilterOnly += 1 }
        }
      }
    }
    #expect(found.allSatisfy { $0 > 0 }, "\(found)")
    #expect(skippedByThisPrefilterOnly > 0)
  }
}

/// Flags `word` and records every text it is shown.
private struct RecordingWordDetector: Detector {
  let name = "word"
  let word: String
  let seen: SeenTexts

  func detect(in text: UnsafeRawBufferPointer, rule: Int, into matches: inout [DetectorMatch]) {
    seen.add(String(decoding: text, as: UTF8.self))
    WordDetector(word).detect(in: text, rule: rule, into: &matches)
  }
}

@Suite("Redactor: passes after the first")
struct RedactorLaterPassTests {
  /// A second pass looks again at the values the first changed, and at no other (the others
  /// were found clean and have not changed).
  @Test func laterPassesLookOnlyAtChangedValues() {
    let seen = SeenTexts()
    var redactor = Redactor(detectors: [RecordingWordDetector(word: "secret", seen: seen)])
    var event = structuredEvent(#"{"a":"one secret here","b":"plain words","c":{"d":"more plain text"}}"#)
    #expect(redactor.redact(&event, scanner: JSONScanner()) == 1)
    #expect(event.text == #"{"a":"one [REDACTED:word] here","b":"plain words","c":{"d":"more plain text"}}"#)
    #expect(
      seen.names == ["one secret here", "plain words", "more plain text", "one [REDACTED:word] here"], "\(seen.names)")
  }

  /// The fuzzing case of `passesRepeatUntilNothingIsLeft` inside a structured event, beside
  /// other values: the second pass, on the changed value alone, still finds the credential.
  @Test func aSecondPassOnTheChangedValueFindsWhatTheFirstMadeVisible() {
    var redactor = Redactor(policy: .default)
    var event = structuredEvent(
      #"{"level":"info","m":"auth Bearer mple.coa=cdopqrsHHtob@example.com done","n":"call +1 415 555 2671"}"#)
    #expect(redactor.redact(&event, scanner: JSONScanner()) == 3)
    #expect(
      event.text
        == #"{"level":"info","m":"auth Bearer [REDACTED:bearer][REDACTED:email] done","n":"call [REDACTED:phone]"}"#)
    #expect(redactor.redact(&event, scanner: JSONScanner()) == 0)
  }

  /// With a detector limited to some fields, later passes walk the whole event again (they
  /// need each value's path) and give the same result.
  @Test func scopedDetectorsStillSeeTheirFields() {
    let seen = SeenTexts()
    var redactor = Redactor(
      policy: RedactionPolicy(detectors: [
        .init(RecordingWordDetector(word: "secret", seen: seen), fields: [FieldPattern("a")]), .init(EmailDetector()),
      ]))
    var event = structuredEvent(#"{"a":"secret x@example.com","b":"secret too"}"#)
    #expect(redactor.redact(&event, scanner: JSONScanner()) == 2)
    #expect(event.text == #"{"a":"[REDACTED:word] [REDACTED:email]","b":"secret too"}"#)
    #expect(seen.names == ["secret x@example.com", "[REDACTED:word] [REDACTED:email]"], "\(seen.names)")
  }
}
