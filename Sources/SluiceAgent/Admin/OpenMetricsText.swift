/// Converts the Prometheus text format (version 0.0.4), as the registry writes it, into the
/// OpenMetrics 1.0.0 text format.
///
/// The two differ in little for the metrics the agent has: a counter family is named
/// without its `_total` suffix in its `# HELP` and `# TYPE` lines (its samples keep it), a
/// counter not named `…_total` becomes `unknown` (OpenMetrics requires the suffix on counter
/// samples), `untyped` is `unknown`, HELP texts escape `"` too, other comments and blank
/// lines go (OpenMetrics has none), and the exposition ends with `# EOF`. Samples carry no
/// timestamps here, so none are converted.
enum OpenMetricsText {
  /// The `Content-Type` of the converted exposition.
  static let contentType = "application/openmetrics-text; version=1.0.0; charset=utf-8"

  static func convert(_ prometheus: [UInt8]) -> [UInt8] {
    let lines = prometheus.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true)
    var types: [Substring: Substring] = [:]
    for line in lines {
      if let (name, type) = metadata(line, kind: "TYPE") { types[name] = type }
    }
    var out: [UInt8] = []
    out.reserveCapacity(prometheus.count + 16)
    for line in lines {
      if let (name, help) = metadata(line, kind: "HELP") {
        out += Array("# HELP \(familyName(name, type: types[name])) ".utf8)
        out += escapeHelp(help)
      } else if let (name, type) = metadata(line, kind: "TYPE") {
        out += Array("# TYPE \(familyName(name, type: type)) \(familyType(name, type: type))".utf8)
      } else if line.first == UInt8(ascii: "#") || line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) {
        continue
      } else {
        out += line
      }
      out.append(UInt8(ascii: "\n"))
    }
    out += Array("# EOF\n".utf8)
    return out
  }

  /// The name and the rest of a `# HELP name text` or `# TYPE name type` line.
  static func metadata(_ line: ArraySlice<UInt8>, kind: String) -> (Substring, Substring)? {
    let prefix = Array("# \(kind) ".utf8)
    guard line.starts(with: prefix) else { return nil }
    let text = Substring(decoding: line.dropFirst(prefix.count), as: UTF8.self)
    guard let space = text.firstIndex(of: " ") else { return (text, "") }
    return (text[..<space], text[text.index(after: space)...])
  }

  static func familyName(_ name: Substring, type: Substring?) -> Substring {
    type == "counter" && name.hasSuffix("_total") ? name.dropLast("_total".count) : name
  }

  static func familyType(_ name: Substring, type: Substring) -> Substring {
    switch type {
    case "counter": name.hasSuffix("_total") ? "counter" : "unknown"
    case "untyped": "unknown"
    default: type
    }
  }

  /// A HELP text with OpenMetrics escapes: the text format's `\\` and `\n` stay, `"` gets one.
  static func escapeHelp(_ help: Substring) -> [UInt8] {
    var out: [UInt8] = []
    var escaped = false
    for byte in help.utf8 {
      if escaped {
        out.append(byte)
        escaped = false
      } else if byte == UInt8(ascii: "\\") {
        out.append(byte)
        escaped = true
      } else {
        if byte == UInt8(ascii: "\"") { out.append(UInt8(ascii: "\\")) }
        out.append(byte)
      }
    }
    return out
  }
}
