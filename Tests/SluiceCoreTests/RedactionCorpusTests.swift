import Foundation
import Testing

@testable import SluiceCore

/// The labelled corpus against every built-in detector at once (so one detector's false
/// positives on another's lines count too): recall and false-positive rate per rule, printed,
/// with recall ≥ 99 % and false positives ≤ 0.5 % required.
@Suite("Redaction corpus")
struct RedactionCorpusTests {
  @Test func everyDetectorMeetsItsRecallAndFalsePositiveTargets() throws {
    let samples = try RedactionCorpus.load()
    #expect(samples.count > 2000)
    let scores = RedactionCorpus.score(samples, detectors: BuiltinDetectors.all)
    print("redaction corpus: \(samples.count) samples, \(samples.filter { $0.spans.isEmpty }.count) traps")
    for name in BuiltinDetectors.names {
      let s = try #require(scores[name])
      print(
        "  \(name.padding(toLength: 12, withPad: " ", startingAt: 0)) recall \(String(format: "%.4f", s.recall))"
          + " (\(s.found)/\(s.positives))  false positives \(String(format: "%.4f", s.falsePositiveRate))"
          + " (\(s.falsePositiveSamples)/\(s.negatives))")
      for m in s.misses.prefix(5) { print("    missed: \(m)") }
      for f in s.falseHits.prefix(5) { print("    false hit: \(f)") }
      #expect(s.positives >= 80, "\(name): only \(s.positives) labelled spans")
      #expect(s.recall >= 0.99, "\(name): recall \(s.recall)")
      #expect(s.falsePositiveRate <= 0.005, "\(name): false-positive rate \(s.falsePositiveRate)")
    }
  }

  /// Through the whole engine (all detectors, overlaps resolved): no labelled text survives
  /// in any line, and trap lines come out unchanged.
  @Test func theRedactorLeavesNoLabelledTextAndTrapsUnchanged() throws {
    let samples = try RedactionCorpus.load()
    var redactor = Redactor(detectors: BuiltinDetectors.all)
    var leaked: [String] = []
    var changedTraps: [String] = []
    for s in samples {
      var event = Event()
      s.text.withUnsafeBytes { event.load($0) }
      redactor.redact(&event, scanner: JSONScanner())
      if s.spans.isEmpty {
        if event.bytes != s.text { changedTraps.append("\(s.file):\(s.line): \(event.text)") }
        continue
      }
      for span in s.spans where span.range.count >= 6 {
        let secret = Array(s.text[span.range])
        if event.bytes.firstRange(of: secret) != nil { leaked.append("\(s.file):\(s.line): \(event.text)") }
      }
    }
    #expect(leaked.isEmpty, "\(leaked.count) lines kept labelled text: \(leaked.prefix(5))")
    // The per-detector false-positive limits allow a few; the engine adds none of its own.
    #expect(changedTraps.count <= samples.count / 200, "\(changedTraps.count) traps changed: \(changedTraps.prefix(5))")
  }
}
