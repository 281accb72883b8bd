import Foundation

/// How `sluice validate` describes a configuration: one line for a valid one, JSON for CI.
public enum ConfigSummary {
  /// `2 sources (file, journald) → parse, redact, metrics → 1 sink (http, disk buffer)`.
  public static func line(_ c: AgentConfig) -> String {
    let sourceKinds = unique(c.sources.map(\.type)).joined(separator: ", ")
    let steps = c.pipeline.isEmpty ? "no steps" : c.pipeline.map(\.type).joined(separator: ", ")
    let sinks = c.sinks.map { s in
      s.buffer.type == .disk ? "\(s.type.rawValue), disk buffer" : s.type.rawValue
    }.joined(separator: "; ")
    return
      "\(count(c.sources.count, "source")) (\(sourceKinds)) → \(steps) → \(count(c.sinks.count, "sink")) (\(sinks))"
  }

  /// `{"valid": bool, "file": …, "summary": …, "errors": [{"file","line","column","path","message"}]}`.
  public static func json(_ result: ConfigReadResult, file: String, printed: Bool = false) -> String {
    var object: [String: Any] = ["file": file, "valid": result.config != nil]
    if let c = result.config {
      object["summary"] = line(c)
      if printed { object["config"] = ConfigPrinter.yaml(c) }
    }
    object["errors"] = result.errors.map { e -> [String: Any] in
      var o: [String: Any] = ["path": e.path, "message": e.message]
      if let f = e.file { o["file"] = f }
      if let l = e.line { o["line"] = l }
      if let c = e.column { o["column"] = c }
      return o
    }
    let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    return String(decoding: data, as: UTF8.self)
  }

  private static func count(_ n: Int, _ noun: String) -> String { "\(n) \(noun)\(n == 1 ? "" : "s")" }

  private static func unique(_ names: [String]) -> [String] {
    var seen = Set<String>()
    return names.filter { seen.insert($0).inserted }
  }
}
