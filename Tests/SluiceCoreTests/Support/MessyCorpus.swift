import Foundation

@testable import SluiceCore

/// The messy redaction corpus under `Tests/SluiceCoreTests/RedactionCorpus/messy/*.txt`,
/// written by `scripts/gen-redaction-corpus.py` (its header explains the forms).
///
/// A line is `<context>\t<text>`. In the text, `«rule:…»` (or `«rule1|rule2:…»`) marks bytes,
/// as written, that the redactor must replace with one marker of that rule; `{{pad:N}}` is N
/// bytes of PII-free filler. Nothing else is escaped: the text is the log line itself.
struct MessySample {
  struct Label {
    var rules: [String]
    /// What stands for the label in ``tokenised`` until it is compared.
    var token: String
  }

  var family: String
  var context: String
  var line: Int
  /// The log line, labels removed and filler expanded.
  var text: [UInt8]
  /// The log line with each label replaced by its token.
  var tokenised: String
  var labels: [Label]
  var isJSON: Bool { text.first == UInt8(ascii: "{") }
}

enum MessyCorpus {
  static let directory = RedactionCorpus.directory.appendingPathComponent("messy")

  static func load() throws -> [MessySample] {
    let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".txt") }
      .sorted()
    var samples: [MessySample] = []
    for name in names {
      let family = String(name.dropLast(4))
      let text = try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
      for (k, line) in text.split(separator: "\n", omittingEmptySubsequences: true).enumerated() {
        if line.hasPrefix("#") { continue }
        guard let tab = line.firstIndex(of: "\t") else {
          throw RedactionCorpus.FormatError(description: "\(name):\(k + 1): no context")
        }
        samples.append(
          try parse(
            String(line[line.index(after: tab)...]), family: family, context: String(line[..<tab]), line: k + 1))
      }
    }
    return samples
  }

  /// Filler for `{{pad:N}}`: words no detector matches.
  static func filler(_ count: Int) -> String {
    let words = "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor "
    var s = String(repeating: words, count: count / words.utf8.count + 1)
    s.removeLast(s.utf8.count - count)
    return s
  }

  static func expandPads(_ line: String) -> String {
    var out = ""
    var rest = Substring(line)
    while let open = rest.range(of: "{{pad:") {
      out += rest[..<open.lowerBound]
      guard let close = rest[open.upperBound...].range(of: "}}"), let n = Int(rest[open.upperBound..<close.lowerBound])
      else { break }
      out += filler(n)
      rest = rest[close.upperBound...]
    }
    return out + rest
  }

  static func parse(_ raw: String, family: String, context: String, line: Int) throws -> MessySample {
    var text = ""
    var tokenised = ""
    var labels: [MessySample.Label] = []
    var open: [String]?
    var chars = Substring(expandPads(raw))
    while let c = chars.popFirst() {
      switch c {
      case "«":
        guard open == nil, let colon = chars.firstIndex(of: ":") else {
          throw RedactionCorpus.FormatError(description: "\(family):\(line): bad «")
        }
        open = chars[..<colon].split(separator: "|").map(String.init)
        chars = chars[chars.index(after: colon)...]
        let token = "QZLABEL\(labels.count)QZ"
        labels.append(.init(rules: open!, token: token))
        tokenised += token
      case "»":
        guard open != nil else { throw RedactionCorpus.FormatError(description: "\(family):\(line): » without «") }
        open = nil
      default:
        text.append(c)
        if open == nil { tokenised.append(c) }
      }
    }
    if open != nil { throw RedactionCorpus.FormatError(description: "\(family):\(line): « not closed") }
    return MessySample(
      family: family, context: context, line: line, text: Array(text.utf8), tokenised: tokenised, labels: labels)
  }

  /// A JSON object line in one spelling (keys sorted, Foundation's escapes), so that lines
  /// that differ only in how their strings are escaped compare equal.
  static func canonicalJSON(_ bytes: [UInt8]) -> String? {
    guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)),
      let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
    else { return nil }
    return String(decoding: data, as: UTF8.self)
  }

  /// `[REDACTED:…]` markers, each written `[REDACTED]`, and how many there were per rule.
  static func normaliseMarkers(_ s: String) -> (text: String, perRule: [String: Int]) {
    var out = ""
    var perRule: [String: Int] = [:]
    var rest = Substring(s)
    while let open = rest.range(of: "[REDACTED:") {
      out += rest[..<open.lowerBound]
      guard let close = rest[open.upperBound...].firstIndex(of: "]") else { break }
      let rule = rest[open.upperBound..<close].split(separator: ":").first.map(String.init) ?? ""
      perRule[rule, default: 0] += 1
      out += "[REDACTED]"
      rest = rest[rest.index(after: close)...]
    }
    return (out + rest, perRule)
  }

  /// The outcome of one sample through the redactor.
  struct Outcome {
    /// Per label: the rule whose marker stands where the label was, or nil if none does.
    var found: [String?]
    /// The output equals the expected line, markers compared without their rule.
    var exact: Bool
    /// Markers of rules beyond what the labels expect (false positives), per rule.
    var extra: [String: Int]
    var expected: String
    var actual: String
  }

  /// Compares a redacted line (`actual`, in the same form as `expectedTokenised`: canonical
  /// JSON or raw text) with the labelled expectation.
  static func judge(_ sample: MessySample, expectedTokenised: String, actual: String) -> Outcome {
    var found: [String?] = []
    for (k, label) in sample.labels.enumerated() {
      // The expected text on each side of the label, up to the neighbouring labels.
      guard let at = expectedTokenised.range(of: label.token) else {
        found.append(nil)
        continue
      }
      var left = String(expectedTokenised[..<at.lowerBound].suffix(24))
      var right = String(expectedTokenised[at.upperBound...].prefix(24))
      if k > 0, let r = left.range(of: sample.labels[k - 1].token, options: .backwards) {
        left = String(left[r.upperBound...])
      }
      if let r = left.range(of: "QZ", options: .backwards) { left = String(left[r.upperBound...]) }
      if let r = right.range(of: "QZ") { right = String(right[..<r.lowerBound]) }
      found.append(label.rules.first { actual.contains(left + "[REDACTED:\($0)]" + right) })
    }
    var expected = expectedTokenised
    for label in sample.labels { expected = expected.replacingOccurrences(of: label.token, with: "[REDACTED]") }
    let (normal, perRule) = normaliseMarkers(actual)
    var wanted: [String: Int] = [:]
    for (k, label) in sample.labels.enumerated() { wanted[found[k] ?? label.rules[0], default: 0] += 1 }
    var extra: [String: Int] = [:]
    for (rule, n) in perRule where n > wanted[rule, default: 0] { extra[rule] = n - wanted[rule, default: 0] }
    return Outcome(found: found, exact: normal == expected, extra: extra, expected: expected, actual: actual)
  }
}
