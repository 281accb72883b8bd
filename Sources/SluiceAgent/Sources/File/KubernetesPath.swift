import SluiceCore

/// Pod and container identity read from the kubelet's log file layout — no API-server calls.
///
/// - `…/pods/<namespace>_<pod>_<pod uid>/<container>/<restart>.log`
/// - `…/containers/<pod>_<namespace>_<container>-<container id>.log` (symlinks into the above)
///
/// Namespaces, pod and container names cannot contain `_`, so the parts split cleanly. Any
/// prefix is accepted (`/var/log`, or a host mount such as `/host/var/log`).
public struct KubernetesMetadata: Sendable, Equatable {
  public var namespace: String
  public var podName: String
  public var podUID: String?
  public var containerName: String
  public var containerID: String?

  /// The metadata for `path`, or nil if it is not in a kubelet layout.
  public static func parse(path: String) -> KubernetesMetadata? {
    let parts = path.split(separator: "/", omittingEmptySubsequences: true)
    guard parts.count >= 2, parts.last!.hasSuffix(".log") || parts.last!.contains(".log.") else { return nil }
    // …/pods/<ns>_<pod>_<uid>/<container>/<n>.log
    if parts.count >= 4 && parts[parts.count - 4] == "pods" {
      let pod = parts[parts.count - 3].split(separator: "_", omittingEmptySubsequences: false)
      let container = parts[parts.count - 2]
      guard pod.count == 3, pod.allSatisfy({ !$0.isEmpty }), !container.isEmpty else { return nil }
      return KubernetesMetadata(
        namespace: String(pod[0]), podName: String(pod[1]), podUID: String(pod[2]),
        containerName: String(container), containerID: nil)
    }
    // …/containers/<pod>_<ns>_<container>-<id>.log
    if parts[parts.count - 2] == "containers" {
      let name = parts.last!.dropLast(4)  // ".log"
      let fields = name.split(separator: "_", omittingEmptySubsequences: false)
      guard fields.count == 3, let dash = fields[2].lastIndex(of: "-") else { return nil }
      let container = fields[2][..<dash]
      let id = fields[2][fields[2].index(after: dash)...]
      guard !fields[0].isEmpty, !fields[1].isEmpty, !container.isEmpty, id.count >= 12,
        id.allSatisfy({ $0.isHexDigit })
      else { return nil }
      return KubernetesMetadata(
        namespace: String(fields[1]), podName: String(fields[0]), podUID: nil, containerName: String(container),
        containerID: String(id))
    }
    return nil
  }

  /// `"k8s.namespace.name":"…","k8s.pod.name":"…",…` (OpenTelemetry semantic-convention
  /// names), without a leading comma, with `k8s.node.name` if `node` is set.
  public func encodedFields(node: String?) -> [UInt8] {
    var out: [UInt8] = []
    func member(_ key: StaticString, _ value: String) {
      if !out.isEmpty { out.append(UInt8(ascii: ",")) }
      out.append(UInt8(ascii: "\""))
      JSONWriter.appendRaw(key, to: &out)
      out.append(UInt8(ascii: "\""))
      out.append(UInt8(ascii: ":"))
      JSONWriter.appendString(value, to: &out)
    }
    member("k8s.namespace.name", namespace)
    member("k8s.pod.name", podName)
    if let podUID { member("k8s.pod.uid", podUID) }
    member("k8s.container.name", containerName)
    if let containerID { member("container.id", containerID) }
    if let node, !node.isEmpty { member("k8s.node.name", node) }
    return out
  }
}
