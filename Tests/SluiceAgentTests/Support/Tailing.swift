import Foundation
import Logging
import Testing

@testable import SluiceAgent

/// A tailer for one `type: file` source, built from configuration text the way the agent
/// builds it: `settings` is the source's YAML flow-mapping entries after its name and type,
/// e.g. `include: ["/tmp/x/*.log"], read_from: beginning`.
func makeTailer(
  _ dir: TempDirectory, _ settings: String, resumeOffsets: [FileIdentity: UInt64] = [:],
  fingerprints: [FileIdentity: Fingerprint] = [:], rotateWait: Duration = .seconds(5)
) throws -> FileTailer {
  let config = try ConfigLoader.parse(
    yaml: """
      sources: [{name: app, type: file, \(settings)}]
      sinks: [{name: out, type: file, path: \(dir.path)/out.ndjson}]
      """)
  return FileTailer(
    sourceIndex: 0, config: try #require(config.sources[0].settings(as: FileSourceConfig.self)),
    resumeOffsets: resumeOffsets, resumeFingerprints: fingerprints,
    counters: FileSourceCounters(AgentMetrics(), source: "app"), logger: Logger(label: "test"), rotateWait: rotateWait)
}

/// The lines of `chunks`, as text, in order.
func lines(_ chunks: [SourceChunk]) -> [String] {
  var out: [String] = []
  for c in chunks { c.forEachLine { line, _ in out.append(String(decoding: line, as: UTF8.self)) } }
  return out
}
