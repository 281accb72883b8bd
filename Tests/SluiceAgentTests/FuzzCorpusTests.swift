import Foundation
import SluiceAgent
import SluiceCore
import SluiceGrep
import Testing

/// The fuzz targets' seed corpora and every input a fuzzer ever broke a property with
/// (`Fuzz/regressions/<target>/`, added when a finding is fixed) go through the same entry
/// points the fuzzers call (`scripts/fuzz`), in-process: each must keep its property.
@Suite("Fuzz corpora")
struct FuzzCorpusTests {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Fuzz")

  static let targets: [String: @Sendable (UnsafeRawBufferPointer) -> String?] = [
    "json": CoreFuzzing.json, "query": CoreFuzzing.query, "cri": CoreFuzzing.cri, "redact": CoreFuzzing.redact,
    "logfmt": GrepFuzzing.logfmt, "docker": AgentFuzzing.docker, "config": AgentFuzzing.config,
    "buffer": AgentFuzzing.diskBuffer,
  ]

  static func files(_ target: String) -> [URL] {
    ["corpus", "regressions"].flatMap { kind -> [URL] in
      let dir = root.appendingPathComponent(kind).appendingPathComponent(target)
      let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
      return names.sorted().map { dir.appendingPathComponent($0) }
    }
  }

  @Test(arguments: targets.keys.sorted())
  func everyCorpusInputKeepsItsProperty(_ target: String) throws {
    let run = try #require(Self.targets[target])
    let inputs = Self.files(target)
    #expect(inputs.count >= 3, "\(target) has a seed corpus")
    for file in inputs {
      let data = try Data(contentsOf: file)
      let problem = data.withUnsafeBytes { run($0) }
      #expect(problem == nil, "\(file.lastPathComponent): \(problem ?? "")")
    }
  }
}
