import SluiceAgent
import SluiceCore
import SluiceGrep

/// The fuzz targets by name (`scripts/fuzz TARGET SECONDS`). Each entry point takes
/// arbitrary bytes and returns the property it found broken, or nil; a crash, a hang or
/// a sanitizer report is a finding too.
enum FuzzTargets {
  static let all: [String: @Sendable (UnsafeRawBufferPointer) -> String?] = [
    "json": CoreFuzzing.json,
    "query": CoreFuzzing.query,
    "cri": CoreFuzzing.cri,
    "redact": CoreFuzzing.redact,
    "logfmt": GrepFuzzing.logfmt,
    "docker": AgentFuzzing.docker,
    "config": AgentFuzzing.config,
    "buffer": AgentFuzzing.diskBuffer,
  ]
}
