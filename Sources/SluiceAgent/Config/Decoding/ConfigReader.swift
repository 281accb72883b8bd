import Foundation
import SluiceCore
import Yams

#if canImport(Glibc)
  import Glibc
#endif

/// What reading a configuration found: the configuration when it has no problem, and every
/// problem otherwise, in file order (line, then column).
public struct ConfigReadResult: Sendable {
  public var config: AgentConfig?
  public var errors: [ConfigError]

  public init(config: AgentConfig?, errors: [ConfigError]) {
    self.config = config
    self.errors = errors
  }
}

extension ConfigLoader {
  /// Reads a YAML file and reports every problem in it at once.
  public static func read(
    path: String, environment: [String: String] = ProcessInfo.processInfo.environment
  )
    -> ConfigReadResult
  {
    read(files: [path], environment: environment)
  }

  /// Reads and merges several YAML files in order (see ``ConfigFragments`` for the merge
  /// rule); a problem names the file it is in.
  public static func read(
    files: [String], environment: [String: String] = ProcessInfo.processInfo.environment
  )
    -> ConfigReadResult
  {
    var texts: [(String, String)] = []
    for path in files {
      do {
        texts.append((path, try String(contentsOfFile: path, encoding: .utf8)))
      } catch {
        return ConfigReadResult(
          config: nil,
          errors: [
            ConfigError(
              path: "", message: "cannot read \(path): \((error as NSError).localizedDescription)", file: path)
          ])
      }
    }
    return read(texts: texts, environment: environment)
  }

  /// The `*.yaml` and `*.yml` files of a directory, in name order.
  public static func fragments(in directory: String) throws(ConfigError) -> [String] {
    do {
      let names = try FileManager.default.contentsOfDirectory(atPath: directory)
      return names.filter { ($0.hasSuffix(".yaml") || $0.hasSuffix(".yml")) && !$0.hasPrefix(".") }.sorted()
        .map { (directory as NSString).appendingPathComponent($0) }
    } catch {
      throw ConfigError(
        path: "", message: "cannot read directory \(directory): \((error as NSError).localizedDescription)")
    }
  }

  /// Reads YAML text: parses it, decodes it with ``ConfigDecoder`` (types, unknown keys,
  /// required keys, interpolation), runs every component's checks (``check(_:)``) and gives
  /// each problem the line and column of the value it is about.
  public static func read(
    yaml: String, file: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment
  ) -> ConfigReadResult {
    read(texts: [(file, yaml)], environment: environment)
  }

  static func read(texts: [(String?, String)], environment: [String: String]) -> ConfigReadResult {
    var fragments = ConfigFragments()
    var syntax: [ConfigError] = []
    for (file, text) in texts {
      do {
        try fragments.add(text: text, file: file)
      } catch {
        syntax.append(error)
      }
    }
    if !syntax.isEmpty { return ConfigReadResult(config: nil, errors: syntax) }
    guard let root = fragments.root else {
      return ConfigReadResult(
        config: nil, errors: [ConfigError(path: "", message: "the configuration is empty", file: texts.last?.0)])
    }
    let state = ConfigDecodingState(environment: environment, locate: { fragments.locate(line: $0) })
    state.note("", value: root.mark)
    let decoder = ConfigDecoder(node: root, state: state)
    var config: AgentConfig?
    do {
      config = try AgentConfig(from: decoder)
    } catch let error as DecodingError {
      state.record(error, at: [])
    } catch is ConfigDecodingAbandoned {
      // Recorded where it happened.
    } catch {
      state.report("", "\(error)", at: root.mark)
    }
    var errors = state.problems
    if let config {
      var issues = check(config)
      if let problem = dataDirProblem(config.dataDir) { issues.add("data_dir", problem) }
      for issue in issues.errors where !state.isUnderFailed(issue.path) {
        errors.append(state.error(issue.path, issue.message, at: state.position(of: issue.path)))
      }
    }
    errors = sorted(errors, files: texts.map(\.0))
    return ConfigReadResult(config: errors.isEmpty ? config : nil, errors: errors)
  }

  /// Why the agent could not keep its checkpoints and buffers in `dataDir`, if it could not:
  /// it must be a writable directory, or creatable under the nearest existing one.
  static func dataDirProblem(_ dataDir: String) -> String? {
    guard !dataDir.isEmpty else { return nil }  // check(_:) reports it
    var isDirectory: ObjCBool = false
    var path = dataDir
    while !FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
      let parent = PathName.parent(path)
      if parent == path || parent.isEmpty { return nil }
      path = parent
    }
    guard isDirectory.boolValue else {
      return path == dataDir ? "'\(dataDir)' is not a directory" : "cannot be created: '\(path)' is not a directory"
    }
    guard access(path, W_OK | X_OK) == 0 else {
      return path == dataDir
        ? "'\(dataDir)' is not writable by this user"
        : "cannot be created: '\(path)' is not writable by this user"
    }
    return nil
  }

  /// File order: by file (in the order read), line and column; problems without a
  /// position last, in the order found.
  static func sorted(_ errors: [ConfigError], files: [String?] = []) -> [ConfigError] {
    var fileOrder: [String: Int] = [:]
    for f in files.compactMap({ $0 }) where fileOrder[f] == nil { fileOrder[f] = fileOrder.count }
    return errors.enumerated().sorted { a, b in
      let ka = (a.element.file.flatMap { fileOrder[$0] } ?? 0, a.element.line ?? .max, a.element.column ?? .max)
      let kb = (b.element.file.flatMap { fileOrder[$0] } ?? 0, b.element.line ?? .max, b.element.column ?? .max)
      return ka != kb ? ka < kb : a.offset < b.offset
    }.map(\.element)
  }
}

/// YAML syntax errors as one plain sentence, with the line and a caret under the column.
enum YAMLSyntax {
  static func error(_ error: any Error, text: String, file: String?) -> ConfigError {
    guard let yaml = error as? YamlError else {
      return ConfigError(path: "", message: "not valid YAML: \(error)", file: file)
    }
    let problem: String
    let mark: Mark?
    switch yaml {
    case .scanner(_, let p, let m, _), .parser(_, let p, let m, _), .composer(_, let p, let m, _):
      problem = p
      mark = m
    case .reader(let p, _, _, _):
      problem = p
      mark = nil
    case .duplicatedKeysInMapping(let keys, let context):
      let names = keys.sorted().map { "'\($0)'" }.joined(separator: ", ")
      var e = ConfigError(
        path: "",
        message:
          "YAML syntax error: the key \(names) appears more than once in this mapping (a later value would silently win)",
        file: file, line: context.mark.line, column: context.mark.column)
      e.excerpt = excerpt(text, line: context.mark.line, column: context.mark.column)
      return e
    default:
      problem = "\(yaml)"
      mark = nil
    }
    var e = ConfigError(
      path: "", message: "YAML syntax error: \(sentence(for: problem))", file: file, line: mark?.line,
      column: mark?.column)
    if let mark { e.excerpt = excerpt(text, line: mark.line, column: mark.column) }
    return e
  }

  /// libyaml's problem in words an operator acts on.
  static func sentence(for problem: String) -> String {
    let known: [(String, String)] = [
      ("mapping values are not allowed", "a ': ' is not allowed here; quote the value if it contains ': '"),
      ("found character that cannot start any token", "this character cannot start a value; quote the value"),
      ("found a tab character", "a tab indents this line; YAML indents with spaces"),
      ("did not find expected key", "this line's indentation does not match the keys above it"),
      ("could not find expected ':'", "a key is missing its ':'"),
      ("did not find expected ',' or ']'", "a '[' list is not closed with ']'"),
      ("did not find expected ',' or '}'", "a '{' mapping is not closed with '}'"),
      ("found unexpected end of stream", "the file ends inside a quoted value"),
      ("block sequence entries are not allowed", "a '- ' list item is not allowed here; check the indentation"),
      ("did not find expected '-' indicator", "this line's indentation does not match the list above it"),
      ("found undefined tag handle", "an unknown '!' tag"),
      ("found unknown escape character", "an unknown backslash escape in a double-quoted value"),
      ("did not find expected node content", "a value is missing here"),
    ]
    for (libyaml, words) in known where problem.contains(libyaml) { return words }
    return problem
  }

  /// The offending line and a caret under the column (columns count Unicode scalars).
  static func excerpt(_ text: String, line: Int, column: Int) -> String {
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    guard line >= 1, line <= lines.count else { return "" }
    let content = String(lines[line - 1]).replacingOccurrences(of: "\r", with: "")
    let number = "\(line)"
    let pad = String(repeating: " ", count: number.count)
    // Keep tabs under tabs so the caret lines up in a terminal.
    let lead = content.unicodeScalars.prefix(max(0, column - 1)).map { $0 == "\t" ? "\t" : " " }.joined()
    return "  \(number) | \(content)\n  \(pad) | \(lead)^"
  }
}
