import Foundation
import Yams

/// The effective configuration as YAML (`sluice validate --print`, `sluice agent
/// --print-config`): every key with its value after defaults, environment variables
/// interpolated, in a shape that reads back as the same configuration. Secrets are masked.
///
/// Secrets never come from the file itself (credentials are `*_file`/`*_env` names, which are
/// shown), but a value can hold one through interpolation — `headers: {Authorization: "Bearer
/// ${TOKEN}"}` — so every value under a key that names a secret is printed as ``mask``:
/// header names and keys containing auth, token, secret, password, passwd, cookie, api-key,
/// apikey, signature, session or credential (but not the `*_file`/`*_env` keys that say
/// where a secret is read from).
public enum ConfigPrinter {
  public static let mask = "****"

  public static func yaml(_ config: AgentConfig) -> String {
    do {
      let text = try YAMLEncoder().encode(config)
      guard let node = try Yams.compose(yaml: text) else { return text }
      return try Yams.serialize(node: masked(node, key: nil))
    } catch {
      return "# cannot print the configuration: \(error)\n"
    }
  }

  static func isSecretKey(_ key: String) -> Bool {
    let k = key.lowercased()
    if k.hasSuffix("_file") || k.hasSuffix("_env") { return false }
    return [
      "auth", "token", "secret", "password", "passwd", "cookie", "api-key", "api_key", "apikey", "signature",
      "session", "credential",
    ].contains { k.contains($0) }
  }

  private static func masked(_ node: Node, key: String?) -> Node {
    switch node {
    case .mapping(let m):
      var pairs: [(Node, Node)] = []
      for (k, v) in m {
        let name = k.scalar?.string ?? ""
        if isSecretKey(name), case .scalar = v, !(v.scalar?.string.isEmpty ?? true) {
          pairs.append((k, Node(mask)))
        } else {
          pairs.append((k, masked(v, key: name)))
        }
      }
      return .mapping(Node.Mapping(pairs, m.tag, m.style, m.mark))
    case .sequence(let s):
      return .sequence(Node.Sequence(s.map { masked($0, key: key) }, s.tag, s.style, s.mark))
    default:
      return node
    }
  }
}
