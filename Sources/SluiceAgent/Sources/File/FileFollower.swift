import Foundation
import Logging

/// Follows files for `sluice grep --follow`: the agent's ``FileTailer`` — rename and
/// copytruncate rotation, partial lines held until their newline, container log formats
/// unwrapped — without checkpoints or a pipeline. The files are read from their start, then
/// followed. Driven by one thread; not thread-safe.
public final class FileFollower {
  private let tailer: FileTailer
  /// How long ``wait()`` sleeps when nothing was read.
  public let pollInterval: Duration

  /// - Parameter paths: the files to follow (taken literally, not as globs; relative paths
  ///   are resolved against the current directory).
  public init(paths: [String], pollInterval: Duration = .milliseconds(100)) throws(ConfigError) {
    let cwd = FileManager.default.currentDirectoryPath
    let include = paths.map { path -> String in
      let absolute = path.hasPrefix("/") ? path : cwd + "/" + path
      // glob(3) reads a backslash as "the next character literally".
      var escaped = ""
      for c in absolute {
        if "*?[]\\".contains(c) { escaped.append("\\") }
        escaped.append(c)
      }
      return escaped
    }
    let list = include.map { "'" + $0.replacingOccurrences(of: "'", with: "''") + "'" }.joined(separator: ", ")
    let config = try ConfigLoader.parse(
      yaml: """
        data_dir: '\(NSTemporaryDirectory())'
        sources: [{name: follow, type: file, include: [\(list)], exclude: [], read_from: beginning,
                   max_line_bytes: 16MiB, kubernetes_metadata: false, rotate_wait: 5s}]
        sinks: [{name: out, type: console}]
        """, environment: [:])
    guard let settings = config.sources.first?.settings as? FileSourceConfig else {
      throw ConfigError(path: "sources[0]", message: "not a file source")
    }
    var logger = Logger(label: "sluice.grep.follow")
    logger.logLevel = .warning
    tailer = FileTailer(
      sourceIndex: 0, config: settings, resumeOffsets: [:],
      counters: FileSourceCounters(AgentMetrics(), source: "follow"),
      logger: logger, rotateWait: settings.rotateWait.duration)
    self.pollInterval = pollInterval
  }

  /// Calls `body` with every complete line read since the last call (the first call: what
  /// the files hold). Returns whether anything was read.
  @discardableResult
  public func poll(_ body: (UnsafeRawBufferPointer) -> Void) -> Bool {
    tailer.discover()
    var any = false
    while true {
      let chunks = tailer.poll()
      if chunks.isEmpty { break }
      any = true
      for chunk in chunks { chunk.forEachLine { line, _ in body(line) } }
    }
    return any
  }
}
