/// A configuration problem, with where it is: the key path, and the file, line and column
/// when the problem was found in a document.
public struct ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
  /// Dotted path of the offending key, e.g. `sinks[0].url`; empty for the whole file.
  public var path: String
  public var message: String
  /// The file the configuration was read from, if any.
  public var file: String?
  /// 1-based line and column (in Unicode scalars) of the offending value or key.
  public var line: Int?
  public var column: Int?
  /// For a YAML syntax error: the offending line with a caret under the column.
  public var excerpt: String?

  public init(path: String, message: String, file: String? = nil, line: Int? = nil, column: Int? = nil) {
    self.path = path
    self.message = message
    self.file = file
    self.line = line
    self.column = column
  }

  /// `path: message`, after `file:line:col: ` where those are known.
  public var description: String {
    var out = ""
    if let file { out += "\(file):" }
    if let line {
      out += "\(line):"
      if let column { out += "\(column):" }
    }
    if !out.isEmpty { out += " " }
    out += pathAndMessage
    if let excerpt, !excerpt.isEmpty { out += "\n" + excerpt }
    return out
  }

  /// `path: message` without the position.
  public var pathAndMessage: String { path.isEmpty ? message : "\(path): \(message)" }
}
