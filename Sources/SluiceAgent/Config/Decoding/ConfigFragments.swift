import Foundation
import Yams

/// One or more YAML documents read as one configuration (`--config` plus the `*.yaml` snippets
/// of `--config-dir`, which a Kubernetes ConfigMap mounts), merged in the order given:
/// - mappings merge key by key, recursively;
/// - `sources`, `sinks` and `pipeline` are lists of named components: an entry whose `name`
///   an earlier file already has is merged into that entry (its keys win), a new name is
///   appended, and a `pipeline` step without a `name` is appended;
/// - any other value (a scalar, any other list) from a later file replaces the earlier one.
///
/// Each file is parsed as if it began on the line after the previous file's last line, so
/// every position in the merged document names one file; ``locate(line:)`` turns it back.
struct ConfigFragments {
  struct File {
    var name: String?
    var text: String
    /// Lines of earlier files: this file's line n is line `offset + n` of the whole.
    var offset: Int
  }

  private(set) var files: [File] = []
  private(set) var root: Node?

  static let namedLists: Set<String> = ["sources", "sinks", "pipeline"]

  /// Parses and merges one file. Throws the YAML syntax error (with its position in the
  /// file) if it does not parse.
  mutating func add(text: String, file: String?) throws(ConfigError) {
    let offset =
      files.last.map { $0.offset + $0.text.split(separator: "\n", omittingEmptySubsequences: false).count } ?? 0
    let entry = File(name: file, text: text, offset: offset)
    files.append(entry)
    let node: Node?
    do {
      // The basic resolver: ConfigDecoder reads each scalar's text itself, so Yams's default
      // resolver (seven regular expressions, compiled through ICU at first use) is not needed.
      node = try Yams.compose(yaml: String(repeating: "\n", count: offset) + text, .basic)
    } catch {
      var e = YAMLSyntax.error(error, text: String(repeating: "\n", count: offset) + text, file: file)
      if let line = e.line { e.line = line - offset }
      throw e
    }
    guard let node else { return }  // an empty file adds nothing
    if let root {
      self.root = Self.merge(root, node, path: "")
    } else {
      root = node
    }
  }

  /// The file and its own line number for a line of the merged document.
  func locate(line: Int) -> (file: String?, line: Int) {
    guard let f = files.last(where: { $0.offset < line }) else { return (files.first?.name, line) }
    return (f.name, line - f.offset)
  }

  private static func merge(_ old: Node, _ new: Node, path: String) -> Node {
    switch (old, new) {
    case (.mapping(let a), .mapping(let b)):
      var pairs: [(Node, Node)] = a.map { ($0.key, $0.value) }
      for (key, value) in b {
        guard let k = key.scalar?.string, let i = pairs.firstIndex(where: { $0.0.scalar?.string == k }) else {
          pairs.append((key, value))
          continue
        }
        pairs[i].1 = merge(pairs[i].1, value, path: path.isEmpty ? k : "\(path).\(k)")
      }
      return .mapping(Node.Mapping(pairs, a.tag, a.style, a.mark))
    case (.sequence(let a), .sequence(let b)) where namedLists.contains(path):
      var items = Array(a)
      for element in b {
        if let name = name(of: element), let i = items.firstIndex(where: { Self.name(of: $0) == name }) {
          items[i] = merge(items[i], element, path: "\(path)[\(i)]")
        } else {
          items.append(element)
        }
      }
      return .sequence(Node.Sequence(items, a.tag, a.style, a.mark))
    default:
      return new
    }
  }

  private static func name(of node: Node) -> String? {
    guard case .mapping(let m) = node else { return nil }
    return m["name"]?.scalar?.string
  }
}
