import Foundation
import Logging

/// `type: file`: tails files matched by globs, through rotation, truncation and container
/// runtime formats. Every key is documented in docs/configuration.md.
public struct FileSourceConfig: SourceSettings, Equatable {
  public static let typeName = "file"

  public var name: String
  /// Glob patterns (`*`, `?`, `[...]`, and `**` for any depth) of files to tail.
  public var include: [String]
  public var exclude: [String]
  /// Where to start in a file seen for the first time (a checkpointed file always resumes).
  public var readFrom: ReadFrom
  public var pollInterval: ConfigDuration
  /// Longer lines are cut at this size and marked `"_truncated": true`.
  public var maxLineBytes: ByteSize
  /// How lines are framed: `auto` (container runtime formats in kubelet log layouts, plain
  /// elsewhere), `plain`, `cri` or `docker`.
  public var format: LineFormat
  /// Add `k8s.*` fields read from kubelet log paths.
  public var kubernetesMetadata: Bool
  /// `k8s.node.name`; defaults to the `NODE_NAME` environment variable (the DaemonSet sets it
  /// from `spec.nodeName`).
  public var nodeName: String?
  /// A last line without its newline is shipped after this long without growth (0: wait
  /// for the newline for ever).
  public var partialLineTimeout: ConfigDuration
  /// Joining stack traces and other multi-line events (off if absent).
  public var multiline: MultilineConfig?
  /// How long a rotated, moved or deleted file is kept open after it stops growing.
  public var rotateWait: ConfigDuration
  /// Wake on inotify events as well as on `poll_interval` (Linux; falls back to polling).
  public var inotify: Bool

  enum CodingKeys: String, CodingKey, CaseIterable {
    case name, include, exclude
    case readFrom = "read_from", pollInterval = "poll_interval", maxLineBytes = "max_line_bytes"
    case format, kubernetesMetadata = "kubernetes_metadata", nodeName = "node_name"
    case partialLineTimeout = "partial_line_timeout", multiline, rotateWait = "rotate_wait", inotify
  }

  public init(from decoder: any Decoder) throws {
    try decoder.rejectUnknownSourceKeys(CodingKeys.self)
    let c = try decoder.container(keyedBy: CodingKeys.self)
    name = try c.decode(String.self, forKey: .name)
    include = try c.decode([String].self, forKey: .include)
    exclude = try c.decodeIfPresent([String].self, forKey: .exclude) ?? ["*.gz"]
    readFrom = try c.decodeIfPresent(ReadFrom.self, forKey: .readFrom) ?? .end
    pollInterval = try c.decodeIfPresent(ConfigDuration.self, forKey: .pollInterval) ?? .milliseconds(250)
    maxLineBytes = try c.decodeIfPresent(ByteSize.self, forKey: .maxLineBytes) ?? ByteSize(bytes: 1 << 20)
    format = try c.decodeIfPresent(LineFormat.self, forKey: .format) ?? .auto
    kubernetesMetadata = try c.decodeIfPresent(Bool.self, forKey: .kubernetesMetadata) ?? true
    nodeName =
      try c.decodeIfPresent(String.self, forKey: .nodeName) ?? ProcessInfo.processInfo.environment["NODE_NAME"]
    partialLineTimeout = try c.decodeIfPresent(ConfigDuration.self, forKey: .partialLineTimeout) ?? .seconds(10)
    multiline = try c.decodeIfPresent(MultilineConfig.self, forKey: .multiline)
    rotateWait = try c.decodeIfPresent(ConfigDuration.self, forKey: .rotateWait) ?? .seconds(5)
    inotify = try c.decodeIfPresent(Bool.self, forKey: .inotify) ?? true
  }

  public func validate(at: String, into issues: inout ConfigIssues) {
    if include.isEmpty { issues.add("\(at).include", "at least one pattern is required") }
    for (key, patterns) in [("include", include), ("exclude", exclude)] {
      for (k, pattern) in patterns.enumerated() {
        if let problem = Glob.problem(in: pattern) { issues.add("\(at).\(key)[\(k)]", problem) }
      }
    }
    if pollInterval.nanoseconds < 1_000_000 { issues.add("\(at).poll_interval", "must be at least 1ms") }
    multiline?.validate(at: "\(at).multiline", into: &issues)
    if maxLineBytes.bytes < 256 { issues.add("\(at).max_line_bytes", "must be at least 256 bytes") }
  }

  public func makeSource(index: Int, metrics: AgentMetrics, health: AgentHealth, logger: Logger) -> any Source {
    FileSource(
      index: index, config: self, counters: FileSourceCounters(metrics, source: name),
      health: health.board.component(name: name, kind: .source), watchdog: health.watchdog, logger: logger)
  }
}
