import Foundation

@testable import SluiceCore

/// The labelled redaction corpus under `Tests/SluiceCoreTests/RedactionCorpus/*.txt`.
///
/// Format, one sample per line (`#` starts a comment line; blank lines are skipped): the text
/// of one string value, with each sensitive span written `«rule:text»` — or
/// `«rule1|rule2:text»` when either rule may claim it (a bearer token that is also a JWT).
/// A line without spans is a trap: nothing in it may be matched. The markers are removed
/// before detection; `\t`, `\n` and `\\` in a line stand for a tab, a newline and a backslash.
struct CorpusSample {
  var file: String
  var line: Int
  var text: [UInt8]
  var spans: [(rules: Set<String>, range: Range<Int>)]
}

enum RedactionCorpus {
  static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("RedactionCorpus")

  /// Every sample of every corpus file, or of the files named (e.g. `["card.txt"]`).
  static func load(files: [String]? = nil) throws -> [CorpusSample] {
    let names =
      try files
      ?? FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".txt") }.sorted()
    var samples: [CorpusSample] = []
    for name in names {
      let text = try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
      for (k, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
        if line.isEmpty || line.hasPrefix("#") { continue }
        samples.append(try parse(String(line), file: name, line: k + 1))
      }
    }
    return samples
  }

  struct FormatError: Error, CustomStringConvertible {
    var description: String
  }

  static func parse(_ line: String, file: String, line number: Int) throws -> CorpusSample {
    var out: [UInt8] = []
    var spans: [(Set<String>, Range<Int>)] = []
    var open: (rules: Set<String>, start: Int)?
    var chars = Array(line.unicodeScalars)[...]
    while let c = chars.popFirst() {
      switch c {
      case "«":
        guard open == nil, let colon = chars.firstIndex(of: ":") else {
          throw FormatError(description: "\(file):\(number): bad «")
        }
        let rules = String(String.UnicodeScalarView(chars[chars.startIndex..<colon])).split(separator: "|").map(
          String.init)
        chars = chars[(colon + 1)...]
        open = (Set(rules), out.count)
      case "»":
        guard let o = open else { throw FormatError(description: "\(file):\(number): » without «") }
        spans.append((o.rules, o.start..<out.count))
        open = nil
      case "\\":
        switch chars.popFirst() {
        case "t": out.append(0x09)
        case "n": out.append(0x0A)
        case "\\": out.append(UInt8(ascii: "\\"))
        case let other?: out.append(UInt8(ascii: "\\")); out.append(contentsOf: String(other).utf8)
        case nil: out.append(UInt8(ascii: "\\"))
        }
      default:
        out.append(contentsOf: String(c).utf8)
      }
    }
    if open != nil { throw FormatError(description: "\(file):\(number): « not closed") }
    return CorpusSample(file: file, line: number, text: out, spans: spans)
  }

  /// Per-rule figures over a corpus.
  struct Score {
    var rule: String
    /// Spans labelled with this rule, and how many were wholly covered by its matches.
    var positives = 0
    var found = 0
    /// Samples with no span of this rule, and how many had a match of it outside every span.
    var negatives = 0
    var falsePositiveSamples = 0
    var misses: [String] = []
    var falseHits: [String] = []

    var recall: Double { positives == 0 ? 1 : Double(found) / Double(positives) }
    var falsePositiveRate: Double { negatives == 0 ? 0 : Double(falsePositiveSamples) / Double(negatives) }
  }

  /// Runs `detectors` (each on the whole text, as the redactor does) over every sample.
  static func score(_ samples: [CorpusSample], detectors: [any Detector]) -> [String: Score] {
    var scores: [String: Score] = [:]
    for d in detectors { scores[d.name] = Score(rule: d.name) }
    for s in samples {
      var matches: [DetectorMatch] = []
      s.text.withUnsafeBytes { raw in
        for (rule, d) in detectors.enumerated() { d.detect(in: raw, rule: rule, into: &matches) }
      }
      let show = { (r: Range<Int>) in "\(s.file):\(s.line): \(String(decoding: s.text[r], as: UTF8.self))" }
      for (rule, d) in detectors.enumerated() {
        let mine = matches.filter { $0.rule == rule }
        let spans = s.spans.filter { $0.rules.contains(d.name) }
        for span in spans {
          scores[d.name]!.positives += 1
          // Wholly covered: every byte of the span is inside one of this rule's matches.
          let covered = span.range.allSatisfy { i in mine.contains { $0.range.contains(i) } }
          if covered { scores[d.name]!.found += 1 } else { scores[d.name]!.misses.append(show(span.range)) }
        }
        if spans.isEmpty {
          scores[d.name]!.negatives += 1
          let stray = mine.filter { m in !s.spans.contains { $0.range.overlaps(m.range) } }
          if !stray.isEmpty {
            scores[d.name]!.falsePositiveSamples += 1
            scores[d.name]!.falseHits.append(contentsOf: stray.map { show($0.range) })
          }
        }
      }
    }
    return scores
  }
}
