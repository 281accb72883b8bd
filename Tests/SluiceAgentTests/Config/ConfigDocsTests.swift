import Foundation
import Testing

@testable import SluiceAgent

/// docs/configuration.md is the complete reference: every key each configuration type reads
/// is documented in that type's section, so the two cannot drift apart.
@Suite("Config reference")
struct ConfigDocsTests {
  static let document: String = {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().deletingLastPathComponent()
    return (try? String(contentsOf: root.appendingPathComponent("docs/configuration.md"), encoding: .utf8)) ?? ""
  }()

  /// The text of the section whose heading starts with `heading`, up to the next heading of
  /// the same or a higher level.
  static func section(_ heading: String) -> String? {
    let lines = document.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    guard let start = lines.firstIndex(where: { $0.hasPrefix(heading) }) else { return nil }
    let level = heading.prefix { $0 == "#" }.count
    var end = lines.count
    for i in (start + 1)..<lines.count {
      let hashes = lines[i].prefix { $0 == "#" }.count
      if hashes > 0 && hashes <= level && lines[i].dropFirst(hashes).hasPrefix(" ") {
        end = i
        break
      }
    }
    return lines[start..<end].joined(separator: "\n")
  }

  static func keys<K: CodingKey & CaseIterable>(_ type: K.Type, prefix: String = "") -> [String] {
    K.allCases.map { prefix + $0.stringValue }
  }

  /// Each type's keys and the section that must document them (nested settings are written
  /// with their parent key, `batch.max_events`).
  static let sections: [(String, [String])] = [
    ("## Top level", keys(AgentConfig.CodingKeys.self)),
    ("## `sources[]` (`type: file`)", keys(FileSourceConfig.CodingKeys.self) + ["type"]),
    ("## `sources[]` (`type: journald`)", keys(JournaldSourceConfig.CodingKeys.self) + ["type"]),
    ("## `sinks[]`", keys(SinkConfig.CodingKeys.self)),
    ("## `sinks[]`", keys(BatchConfig.CodingKeys.self, prefix: "batch.")),
    ("## `sinks[]`", keys(RetryConfig.CodingKeys.self, prefix: "retry.")),
    ("## `sinks[]`", keys(AuthConfig.CodingKeys.self, prefix: "auth.")),
    ("## `sinks[]`", keys(TLSConfig.CodingKeys.self, prefix: "tls.")),
    ("## `sinks[]`", keys(LokiConfig.CodingKeys.self, prefix: "loki.")),
    ("## `sinks[]`", keys(ElasticsearchConfig.CodingKeys.self, prefix: "elasticsearch.")),
    ("## `sinks[]`", keys(OTLPConfig.CodingKeys.self, prefix: "otlp.")),
    ("## `sinks[]`", keys(BufferConfig.CodingKeys.self, prefix: "buffer.")),
    ("## `sinks[]`", keys(RotateConfig.CodingKeys.self, prefix: "rotate.")),
    ("## `admin`", keys(AdminConfig.CodingKeys.self)),
    ("### `metrics` options", keys(MetricsSettings.CodingKeys.self) + keys(MetricRule.CodingKeys.self)),
    ("### `redact` options", keys(RedactSettings.CodingKeys.self) + keys(RedactSettings.PatternSettings.CodingKeys.self)),
    ("## `pipeline[]`", TransformRegistry.typeNames + ["name", "type", "keep", "drop", "fields", "overwrite"]),
    ("## `sources[]` (`type: file`)", ["multiline"] + keys(MultilineConfig.CodingKeys.self, prefix: "multiline.")),
  ]

  @Test(arguments: 0..<sections.count)
  func everyKeyIsDocumentedInItsSection(_ index: Int) throws {
    let (heading, keys) = Self.sections[index]
    let text = try #require(Self.section(heading), "no section '\(heading)' in docs/configuration.md")
    for key in keys {
      #expect(text.contains("`\(key)`"), "`\(key)` is not documented under '\(heading)'")
    }
  }

  @Test func everyRegisteredKindHasASection() {
    for kind in SourceRegistry.typeNames {
      #expect(Self.section("## `sources[]` (`type: \(kind)`)") != nil, "source kind \(kind)")
    }
    for kind in TransformRegistry.typeNames {
      #expect(Self.section("## `pipeline[]`")?.contains("| `\(kind)` |") == true, "step kind \(kind)")
    }
  }
}
