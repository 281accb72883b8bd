import Foundation
import SluiceCore
import Testing

/// The DaemonSet's security context, tried for real: the built agent runs the base
/// ConfigMap's configuration in a private mount namespace laid out like the pod — a
/// read-only root file system, the container logs mounted read-only at /var/log/pods and
/// owned by another user with mode 0640, a writable /var/lib/sluice — as uid 0 with every
/// capability but DAC_READ_SEARCH removed from its bounding set and no_new_privs set, as
/// the kubelet would start it. Without DAC_READ_SEARCH it cannot read the logs; with it, it
/// ships them, and writes nothing but its state directory.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct PodSecurityTests {
  /// The port of the ConfigMap's admin address (`${POD_IP}:9464`).
  static let adminPort = 9464

  /// Adds a container's log to `dir/pods` in the kubelet's layout: owned by uid 1000, 0640
  /// files in 0750 directories. The tree is made aside and renamed into place, so the agent
  /// (which picks up new files: `read_from: end` applies to files present at its start)
  /// never sees it with other owners or modes.
  static func writeContainerLog(_ dir: TempDirectory, lines: Int) throws {
    let podName = "shop_checkout-7d9f_0c4e2a7b-1111-2222-3333-444455556666"
    let staging = dir.path + "/staging/" + podName
    let containerDir = staging + "/checkout"
    try FileManager.default.createDirectory(atPath: containerDir, withIntermediateDirectories: true)
    var text = ""
    for n in 0..<lines {
      let level = n % 5 == 0 ? "error" : "info"
      text +=
        #"2026-12-04T10:00:00.\#(100_000 + n)Z stdout F {"level":"\#(level)","message":"order \#(n) for buyer\#(n)@example.com","service":"checkout"}"#
        + "\n"
    }
    let file = containerDir + "/0.log"
    try text.write(toFile: file, atomically: false, encoding: .utf8)
    for (path, mode) in [(staging, 0o750), (containerDir, 0o750), (file, 0o640)] {
      #expect(chown(path, 1000, 1000) == 0 && chmod(path, mode_t(mode)) == 0, "\(path)")
    }
    #expect(rename(staging, dir.path + "/pods/" + podName) == 0)
  }

  /// The agent, started as described above; `capabilities` is the bounding set setpriv
  /// leaves (e.g. `-all,+dac_read_search`).
  static func startPod(_ dir: TempDirectory, receiver: TestReceiver, capabilities: String) throws -> Process {
    let rendering = try Manifests.render("k8s")
    let (config, environment) = try Manifests.agentFiles(of: rendering, in: dir.url)
    // The sink's URL is a cluster address; everything else of the ConfigMap stays as it is.
    let sink = config + "/50-sink.yaml"
    let text = try String(contentsOfFile: sink, encoding: .utf8)
    #expect(text.contains("http://log-gateway.logging.svc:8080/ingest"))
    try text.replacingOccurrences(of: "http://log-gateway.logging.svc:8080/ingest", with: receiver.url)
      .write(toFile: sink, atomically: true, encoding: .utf8)
    var env = environment
    env.removeValue(forKey: "SLUICE_DATA_DIR")  // the pod's own: /var/lib/sluice
    try FileManager.default.createDirectory(atPath: dir.path + "/pods", withIntermediateDirectories: true)
    try FileManager.default.createDirectory(atPath: dir.path + "/state", withIntermediateDirectories: true)
    let script = """
      set -e
      mount -t tmpfs -o size=16m tmpfs /var/log
      mkdir -p /var/log/pods /var/log/containers /var/log/journal
      mount --bind "$1/pods" /var/log/pods
      mount -o remount,bind,ro /var/log/pods
      mount -t tmpfs -o size=1m tmpfs /var/lib
      mkdir /var/lib/sluice
      mount --bind "$1/state" /var/lib/sluice
      mount -o remount,bind,ro /
      exec setpriv --no-new-privs --inh-caps=-all --bounding-set="$2" -- "$3" agent --config-dir "$4"
      """
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
    process.arguments = [
      "--mount", "--propagation", "private", "/bin/sh", "-c", script, "pod", dir.path, capabilities,
      AgentProcess.binary.path, config,
    ]
    process.environment = env
    FileManager.default.createFile(atPath: dir.path + "/agent.log", contents: nil)
    process.standardError = try FileHandle(forWritingTo: dir.file("agent.log"))
    process.standardOutput = FileHandle.nullDevice
    try process.run()
    return process
  }

  static func readiness() async throws -> AdminRequests.Readiness? {
    try? await AdminRequests.readiness(port: adminPort)
  }

  /// Waits until the pod's admin endpoint answers; fails the test (with the agent's log) if
  /// the agent exits or does not answer in 30 s.
  static func waitUntilStarted(_ pod: Process, log: () -> String) async throws {
    let started = try await eventually(timeout: .seconds(30), interval: .milliseconds(50)) {
      try await Self.readiness() != nil || !pod.isRunning
    }
    try #require(started && pod.isRunning, "the agent did not start: \(log())")
  }

  static func stop(_ process: Process) async -> Int32 {
    process.terminate()
    while process.isRunning { try? await Task.sleep(for: .milliseconds(20)) }
    return process.terminationStatus
  }

  @Test func withDACReadSearchAloneTheAgentShipsTheNodesContainerLogs() async throws {
    try #require(getuid() == 0, "needs root, as the DaemonSet's pod runs as uid 0")
    let dir = try TempDirectory()
    let receiver = try await TestReceiver.start()
    defer { receiver.stop() }
    let pod = try Self.startPod(dir, receiver: receiver, capabilities: "-all,+dac_read_search")
    let log = { (try? String(contentsOfFile: dir.path + "/agent.log", encoding: .utf8)) ?? "" }
    try await Self.waitUntilStarted(pod, log: log)

    try Self.writeContainerLog(dir, lines: 50)
    #expect(await receiver.waitForEvents(50, timeout: .seconds(60)), "\(receiver.lines.count) shipped; \(log())")
    let events = receiver.lines.compactMap { try? JSONValue.parse($0) }
    #expect(events.count == 50)
    #expect(events.allSatisfy { $0["k8s.namespace.name"] == "shop" && $0["k8s.container.name"] == "checkout" })
    #expect(events.allSatisfy { $0["k8s.pod.name"] == "checkout-7d9f" && $0["k8s.node.name"] == "node-1" })
    #expect(!receiver.lines.contains { $0.contains("@example.com") }, "an e-mail left the node")
    #expect(receiver.requests.allSatisfy { $0.authorization == "Bearer replace-me" && $0.contentEncoding == "gzip" })
    let ready = try #require(await Self.readiness())
    #expect(ready.status == "healthy", "\(ready.components)")

    #expect(await Self.stop(pod) == 0, "\(log())")
    // State went where the pod keeps it, and only there: the root file system was read-only.
    #expect(FileManager.default.fileExists(atPath: dir.path + "/state/checkpoints.json"))
    #expect(FileManager.default.fileExists(atPath: dir.path + "/state/buffer/backend"))
    #expect(!log().contains("Read-only file system"), "\(log())")
  }

  @Test func withoutDACReadSearchTheLogsCannotBeReadAndReadinessSaysSo() async throws {
    try #require(getuid() == 0, "needs root, as the DaemonSet's pod runs as uid 0")
    let dir = try TempDirectory()
    let receiver = try await TestReceiver.start()
    defer { receiver.stop() }
    let pod = try Self.startPod(dir, receiver: receiver, capabilities: "-all")
    let log = { (try? String(contentsOfFile: dir.path + "/agent.log", encoding: .utf8)) ?? "" }
    try await Self.waitUntilStarted(pod, log: log)
    try Self.writeContainerLog(dir, lines: 5)
    var reason = ""
    let degraded = try await eventually(timeout: .seconds(30), interval: .milliseconds(100)) {
      guard let ready = try await Self.readiness(), let pods = ready.components["pods"] else { return false }
      reason = pods.reason ?? ""
      return pods.status == "degraded"
    }
    #expect(degraded, "\(log())")
    #expect(reason.contains("Permission denied"), "\(reason)")
    #expect(receiver.lines.isEmpty)
    #expect(await Self.stop(pod) == 0, "\(log())")
  }
}
