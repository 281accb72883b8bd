import Testing

@testable import SluiceCore

/// The substrings of `text` that `detector` flags, checking on the way the invariants every
/// detector must keep: matches in bounds, ascending, not overlapping, tagged with the rule
/// given — and the prefilter (`requires`, `requiresAny`, `minimumDigits`,
/// `minimumStandaloneDigits`, `minimumLength` of the text) would have let the text through.
func found(_ detector: any Detector, _ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> [String] {
  found(detector, Array(text.utf8), sourceLocation: sourceLocation)
}

func found(_ detector: any Detector, _ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) -> [String] {
  var matches: [DetectorMatch] = []
  bytes.withUnsafeBytes { detector.detect(in: $0, rule: 7, into: &matches) }
  for (k, m) in matches.enumerated() {
    #expect(m.rule == 7, sourceLocation: sourceLocation)
    #expect(m.range.lowerBound >= 0 && m.range.upperBound <= bytes.count, sourceLocation: sourceLocation)
    if k > 0 {
      #expect(matches[k - 1].range.upperBound <= m.range.lowerBound, "overlap", sourceLocation: sourceLocation)
    }
  }
  if !matches.isEmpty {
    let (classes, digits, standalone) = bytes.withUnsafeBytes { ByteClasses.scan($0) }
    #expect(classes.isSuperset(of: detector.requires), "requires is too strict", sourceLocation: sourceLocation)
    #expect(
      detector.requiresAny.isEmpty || !classes.isDisjoint(with: detector.requiresAny), "requiresAny is too strict",
      sourceLocation: sourceLocation)
    #expect(digits >= detector.minimumDigits, "minimumDigits is too high", sourceLocation: sourceLocation)
    #expect(
      classes.contains(.percent) || standalone >= detector.minimumStandaloneDigits,
      "minimumStandaloneDigits is too high", sourceLocation: sourceLocation)
    #expect(bytes.count >= detector.minimumLength, "minimumLength is too high", sourceLocation: sourceLocation)
  }
  return matches.map { String(decoding: bytes[$0.range], as: UTF8.self) }
}

/// What `detector` keeps of `match` for the `partial` action.
func kept(_ detector: any Detector, _ match: String) -> String {
  var out: [UInt8] = []
  Array(match.utf8).withUnsafeBytes { detector.appendKept(from: $0, to: &out) }
  return String(decoding: out, as: UTF8.self)
}
