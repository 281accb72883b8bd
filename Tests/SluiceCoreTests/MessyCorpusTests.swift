import Foundation
import Testing

@testable import SluiceCore

/// The messy corpus (``MessyCorpus``) through the whole engine with the agent's default
/// policy, as the agent runs it: each line parsed (a JSON object kept, anything else wrapped
/// as `{"message": …}`), then redacted; text lines are also redacted unparsed, as a raw line.
///
/// Scored per rule and per context (printed as a table): recall — a label counts as found
/// when a marker of one of its rules stands exactly where it was, with the expected text on
/// both sides — must be 100 %; and every line must come out exactly as labelled, so a trap
/// line is unchanged, no marker is added (no false positive) and none is too wide or narrow.
@Suite("Messy redaction corpus")
struct MessyCorpusTests {
  static let contexts = ["json", "nested", "embedded", "logfmt", "text", "long"]

  struct Tally {
    var labels = 0
    var found = 0
  }

  @Test func defaultPolicyRedactsEveryFormInEveryContextExactly() throws {
    let samples = try MessyCorpus.load()
    #expect(samples.count >= 900)
    var redactor = Redactor(policy: .default)
    let scanner = JSONScanner()
    var byRuleAndContext: [String: [String: Tally]] = [:]
    var byFamilyAndContext: [String: [String: Tally]] = [:]
    var linesPerFamilyAndContext: [String: [String: Int]] = [:]
    var falsePositives: [String: Int] = [:]
    var missed: [String] = []
    var inexact: [String] = []
    var longest = 0
    var staleTapes: [String] = []

    for s in samples {
      longest = max(longest, s.text.count)
      linesPerFamilyAndContext[s.family, default: [:]][s.context, default: 0] += 1
      // Parsed, as the agent does.
      var event = Event()
      s.text.withUnsafeBytes { event.load($0) }
      _ = event.parse(using: scanner)
      redactor.redact(&event, scanner: scanner)
      // The redactor carries the tape over instead of rescanning: it must be what a scan gives.
      var rescanned: [JSONToken] = []
      try scanner.scan(event.bytes, into: &rescanned)
      if rescanned != event.tape { staleTapes.append("\(s.family):\(s.line)") }
      let expected: String
      if s.isJSON {
        expected = try #require(MessyCorpus.canonicalJSON(Array(s.tokenised.utf8)), "\(s.family):\(s.line) is not JSON")
      } else {
        let wrapped = try JSONSerialization.data(withJSONObject: ["message": s.tokenised])
        expected = try #require(MessyCorpus.canonicalJSON(Array(wrapped)))
      }
      let actual = try #require(MessyCorpus.canonicalJSON(event.bytes), "\(s.family):\(s.line): output is not JSON")
      var outcomes = [MessyCorpus.judge(s, expectedTokenised: expected, actual: actual)]
      // Unparsed, as a raw line.
      if !s.isJSON {
        var raw = Event()
        s.text.withUnsafeBytes { raw.load($0) }
        redactor.redact(&raw, scanner: scanner)
        outcomes.append(
          MessyCorpus.judge(s, expectedTokenised: s.tokenised, actual: String(decoding: raw.bytes, as: UTF8.self)))
      }
      for (pass, o) in outcomes.enumerated() {
        let whereAt = "\(s.family):\(s.line) [\(s.context)\(pass == 1 ? ", raw" : "")]"
        for (k, label) in s.labels.enumerated() {
          let rule = o.found[k] ?? label.rules[0]
          byRuleAndContext[rule, default: [:]][s.context, default: Tally()].labels += 1
          byFamilyAndContext[s.family, default: [:]][s.context, default: Tally()].labels += 1
          if o.found[k] != nil {
            byRuleAndContext[rule, default: [:]][s.context, default: Tally()].found += 1
            byFamilyAndContext[s.family, default: [:]][s.context, default: Tally()].found += 1
          } else {
            missed.append("\(whereAt) \(label.rules): \(Self.clip(o.actual))")
          }
        }
        for (rule, n) in o.extra { falsePositives[rule, default: 0] += n }
        if !o.exact {
          inexact.append("\(whereAt)\n    expected \(Self.clip(o.expected))\n    actual   \(Self.clip(o.actual))")
        }
      }
    }

    print("messy corpus: \(samples.count) lines, longest \(longest) bytes; recall per rule and context (found/labels)")
    print(Self.table(byRuleAndContext))
    print("per family:")
    print(Self.table(byFamilyAndContext))
    print("false positives per rule: \(falsePositives.isEmpty ? "none" : "\(falsePositives)")")
    for m in missed.prefix(10) { print("  missed: " + m) }
    for m in inexact.prefix(10) { print("  inexact: " + m) }

    #expect(missed.isEmpty, "\(missed.count) labels missed")
    #expect(falsePositives.isEmpty, "false positives: \(falsePositives)")
    #expect(inexact.isEmpty, "\(inexact.count) lines not redacted exactly as labelled")
    #expect(longest > 65536, "no line longer than 64 KiB")
    #expect(staleTapes.isEmpty, "tape differs from a rescan after redaction: \(staleTapes.prefix(5))")
    // Every family in every context, with labels (traps with lines).
    for (family, perContext) in linesPerFamilyAndContext {
      for c in Self.contexts {
        #expect(perContext[c, default: 0] >= 10, "\(family) has \(perContext[c, default: 0]) lines in \(c)")
        if family != "traps" {
          #expect(byFamilyAndContext[family]?[c]?.labels ?? 0 >= 10, "\(family) has too few labels in \(c)")
        }
      }
    }
    for rule in ["email", "url_credentials", "secret_pair", "field", "phone", "card"] {
      #expect(byRuleAndContext[rule] != nil, "no labels of \(rule)")
    }
  }

  static func clip(_ s: String) -> String {
    s.utf8.count <= 400 ? s : String(s.prefix(180)) + " … " + String(s.suffix(180))
  }

  static func table(_ rows: [String: [String: Tally]]) -> String {
    var out = "  " + "".padding(toLength: 16, withPad: " ", startingAt: 0)
    for c in contexts { out += c.padding(toLength: 11, withPad: " ", startingAt: 0) }
    out += "all"
    for (name, perContext) in rows.sorted(by: { $0.key < $1.key }) {
      out += "\n  " + name.padding(toLength: 16, withPad: " ", startingAt: 0)
      var total = Tally()
      for c in contexts {
        let t = perContext[c] ?? Tally()
        total.labels += t.labels
        total.found += t.found
        out += (t.labels == 0 ? "-" : "\(t.found)/\(t.labels)").padding(toLength: 11, withPad: " ", startingAt: 0)
      }
      out += String(format: "%.1f%%", total.labels == 0 ? 100 : 100 * Double(total.found) / Double(total.labels))
    }
    return out
  }
}
