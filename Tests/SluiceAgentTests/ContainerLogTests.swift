import Foundation
import Logging
import SluiceCore
import Testing

@testable import SluiceAgent

@Suite("Container log formats")
struct ContainerLogFormatTests {
  func cri(_ text: String) -> (time: String, stream: ContainerStream, partial: Bool, content: String)? {
    let bytes = Array(text.utf8)
    return bytes.withUnsafeBytes { raw in
      CRILine.parse(raw).map {
        (
          String(decoding: raw[$0.time], as: UTF8.self), $0.stream, $0.isPartial,
          String(decoding: raw[$0.content], as: UTF8.self)
        )
      }
    }
  }

  @Test func criLines() throws {
    let full = try #require(cri("2026-11-23T10:00:00.123456789Z stdout F {\"level\":\"info\",\"msg\":\"a b\"}"))
    #expect(full.time == "2026-11-23T10:00:00.123456789Z")
    #expect(full.stream == .stdout && !full.partial)
    #expect(full.content == "{\"level\":\"info\",\"msg\":\"a b\"}")
    let partial = try #require(cri("2026-11-23T10:00:00Z stderr P first half "))
    #expect(partial.stream == .stderr && partial.partial && partial.content == "first half ")
    #expect(try #require(cri("2026-11-23T10:00:00Z stdout F ")).content == "")
    #expect(try #require(cri("2026-11-23T10:00:00Z stdout F")).content == "")
    #expect(try #require(cri("2026-11-23T10:00:00Z stdout F:x y")).content == "y")  // more tags after F
    #expect(try #require(cri("2026-11-23T10:00:00+01:00 stdout F  two spaces")).content == " two spaces")
  }

  @Test(
    "not CRI",
    arguments: [
      "", "plain text line", "2026-11-23T10:00:00Z stdin F x", "2026-11-23T10:00:00Z stdout X x",
      "2026-11-23T10:00:00Z stdout", "2026-11-23T10:00:00Z stdout FF x", "{\"log\":\"x\"}", "2026 stdout F x",
    ])
  func notCRI(_ line: String) {
    #expect(cri(line) == nil)
  }

  @Test func dockerLines() throws {
    var docker = DockerJSONLine()
    var content: [UInt8] = []
    var time: [UInt8] = []
    let line = Array(#"{"log":"caf\u00e9 \"quoted\"\n","stream":"stderr","time":"2026-11-23T10:00:00.5Z"}"#.utf8)
    let c = try #require(line.withUnsafeBytes { docker.parse($0, content: &content, time: &time) })
    #expect(String(decoding: content, as: UTF8.self) == "café \"quoted\"")
    #expect(String(decoding: time, as: UTF8.self) == "2026-11-23T10:00:00.5Z")
    #expect(c.stream == .stderr && !c.isPartial)
    content.removeAll()
    let part = Array(#"{"log":"no newline yet","stream":"stdout","time":"t"}"#.utf8)
    let p = try #require(part.withUnsafeBytes { docker.parse($0, content: &content, time: &time) })
    #expect(p.isPartial && p.stream == .stdout)
    for bad in [#"{"stream":"stdout"}"#, #"{"log":5}"#, "[1]", "not json", #"{"log":"x""#] {
      #expect(Array(bad.utf8).withUnsafeBytes { docker.parse($0, content: &content, time: &time) } == nil)
    }
  }

  @Test func kubeletPaths() throws {
    let pods = try #require(
      KubernetesMetadata.parse(path: "/var/log/pods/shop_checkout-7d9f5-x2x_0b1c2d3e-aaaa-bbbb/server/3.log"))
    #expect(
      pods
        == KubernetesMetadata(
          namespace: "shop", podName: "checkout-7d9f5-x2x", podUID: "0b1c2d3e-aaaa-bbbb", containerName: "server",
          containerID: nil))
    let id = String(repeating: "ab12", count: 16)
    let containers = try #require(
      KubernetesMetadata.parse(path: "/host/var/log/containers/checkout-7d9f5-x2x_shop_server-\(id).log"))
    #expect(containers.namespace == "shop" && containers.podName == "checkout-7d9f5-x2x")
    #expect(containers.containerName == "server" && containers.containerID == id)
    for other in [
      "/var/log/app.log", "/var/log/pods/bad/server/0.log", "/var/log/containers/x.log",
      "/var/log/containers/a_b_c-nothex!.log", "/var/log/pods/ns_pod_uid/server/0.txt",
    ] {
      #expect(KubernetesMetadata.parse(path: other) == nil, "\(other)")
    }
    let fields = String(decoding: pods.encodedFields(node: "node-7"), as: UTF8.self)
    let parsed = try JSONValue.parse("{\(fields)}")
    #expect(parsed["k8s.namespace.name"] == "shop")
    #expect(parsed["k8s.pod.uid"] == "0b1c2d3e-aaaa-bbbb")
    #expect(parsed["k8s.container.name"] == "server")
    #expect(parsed["k8s.node.name"] == "node-7")
  }
}

/// The tailer on real files in kubelet layouts: records joined, checkpoints only at record
/// boundaries, metadata attached.
@Suite("Container log tailing")
struct ContainerLogTailingTests {

  func tailer(_ dir: TempDirectory, _ extra: String = "") throws -> FileTailer {
    try makeTailer(
      dir,
      #"include: ["\#(dir.path)/pods/*/*/*.log", "\#(dir.path)/containers/*.log"], read_from: beginning, node_name: node-1"#
        + extra)
  }

  func lines(_ chunks: [SourceChunk]) -> [(String, ContainerStream?, String)] {
    var out: [(String, ContainerStream?, String)] = []
    for c in chunks {
      c.forEachLine { line, _, k in
        let info = c.containerInfo(line: k)
        out.append(
          (
            String(decoding: line, as: UTF8.self), info?.stream,
            info.map { String(decoding: $0.time, as: UTF8.self) } ?? ""
          ))
      }
    }
    return out
  }

  @Test func criPartialRecordsAreJoinedAndCheckpointsStayOutsideThem() throws {
    let dir = try TempDirectory()
    let file = "pods/shop_web-1_uid-9/server/0.log"
    let t = try tailer(dir)
    try dir.append("2026-11-23T10:00:00.000000001Z stdout F one\n", to: file)
    try dir.append("2026-11-23T10:00:01Z stderr P two-a ", to: file)
    try dir.append("\n2026-11-23T10:00:02Z stderr P two-b ", to: file)
    let afterOne = UInt64("2026-11-23T10:00:00.000000001Z stdout F one\n".utf8.count)
    t.discover()
    var chunks = t.poll()
    #expect(lines(chunks).map(\.0) == ["one"])
    // The file ends inside a record: the checkpoint stays before it.
    #expect(chunks.last?.endOffset == afterOne)
    #expect(chunks.first?.fileFields.isEmpty == false)
    try dir.append("\n2026-11-23T10:00:03Z stderr F two-c\n2026-11-23T10:00:04Z stdout F {\"a\":1}\n", to: file)
    chunks = t.poll()
    let got = lines(chunks)
    #expect(got.map(\.0) == ["two-a two-b two-c", "{\"a\":1}"])
    #expect(got.map(\.1) == [.stderr, .stdout])
    #expect(got.map(\.2) == ["2026-11-23T10:00:01Z", "2026-11-23T10:00:04Z"])  // a record's first part
    let size = try FileManager.default.attributesOfItem(atPath: dir.file(file).path)[.size] as! UInt64
    #expect(chunks.last?.endOffset == size)
  }

  @Test func restartInsideARecordReadsItAgainWhole() throws {
    let dir = try TempDirectory()
    let file = "pods/shop_web-1_uid-9/server/0.log"
    let first = "2026-11-23T10:00:00Z stdout F done\n"
    try dir.append(first + "2026-11-23T10:00:01Z stdout P half \n", to: file)
    let t1 = try tailer(dir)
    t1.discover()
    let chunks = t1.poll()
    let checkpoint = try #require(chunks.last?.endOffset)
    #expect(checkpoint == UInt64(first.utf8.count))
    // "Restart": a new tailer resumes from the checkpoint; the record completes meanwhile.
    try dir.append("2026-11-23T10:00:02Z stdout F rest\n", to: file)
    let identity = try #require(FileTailer.identity(ofPath: dir.file(file).path))
    let t2 = try makeTailer(
      dir, #"include: ["\#(dir.path)/pods/*/*/*.log"], read_from: beginning"#, resumeOffsets: [identity: checkpoint])
    t2.discover()
    #expect(lines(t2.poll()).map(\.0) == ["half rest"])
  }

  @Test func dockerJSONFilesAndTheSymlinkedPathAreReadOnce() throws {
    let dir = try TempDirectory()
    let id = String(repeating: "0f", count: 32)
    let target = "pods/shop_web-1_uid-9/server/0.log"
    try dir.append(
      #"{"log":"part one ","stream":"stdout","time":"2026-11-23T10:00:00Z"}"# + "\n"
        + #"{"log":"and two\n","stream":"stdout","time":"2026-11-23T10:00:01Z"}"# + "\n"
        + #"{"log":"err\n","stream":"stderr","time":"2026-11-23T10:00:02Z"}"# + "\n", to: target)
    try FileManager.default.createDirectory(at: dir.file("containers"), withIntermediateDirectories: true)
    try FileManager.default.createSymbolicLink(
      atPath: dir.file("containers/web-1_shop_server-\(id).log").path, withDestinationPath: dir.file(target).path)
    let t = try tailer(dir)
    t.discover()
    let got = lines(t.poll())
    #expect(got.map(\.0) == ["part one and two", "err"])
    #expect(got.map(\.1) == [.stdout, .stderr])
  }

  @Test func malformedLinesAreShippedAsTheyAreAndCounted() throws {
    let dir = try TempDirectory()
    let file = "pods/shop_web-1_uid-9/server/0.log"
    try dir.append("2026-11-23T10:00:00Z stdout F ok\nsomething else entirely\n", to: file)
    let t = try tailer(dir)
    t.discover()
    let got = lines(t.poll())
    #expect(got.map(\.0) == ["ok", "something else entirely"])
    #expect(got.map(\.1) == [.stdout, nil])
  }

  @Test func aRecordLongerThanTheLimitIsCutAndMarked() throws {
    let dir = try TempDirectory()
    let file = "pods/shop_web-1_uid-9/server/0.log"
    let part = String(repeating: "x", count: 200)
    for _ in 0..<5 { try dir.append("2026-11-23T10:00:00Z stdout P \(part)\n", to: file) }
    try dir.append("2026-11-23T10:00:00Z stdout F end\n2026-11-23T10:00:01Z stdout F next\n", to: file)
    let t = try tailer(dir, ", max_line_bytes: 512")
    t.discover()
    let chunks = t.poll()
    var seen: [(Int, Bool)] = []
    for c in chunks { c.forEachLine { line, truncated, _ in seen.append((line.count, truncated)) } }
    #expect(seen.map(\.0) == [512, 4])
    #expect(seen.map(\.1) == [true, false])
  }

  /// The limit is on the line's content: the `\r` of a CRLF ending is not content, so a line
  /// of exactly `max_line_bytes` ending in CRLF is whole (it was cut and marked).
  @Test func aCRLFLineOfExactlyTheLimitIsNotTruncated() throws {
    let dir = try TempDirectory()
    let x = { (n: Int) in String(repeating: "x", count: n) }
    try dir.append(
      x(256) + "\r\n" + x(256) + "\n" + x(255) + "\r\n" + x(257) + "\r\n" + x(257) + "\n" + x(256) + "\r\r\n"
        + "end\r\n",
      to: "app/x.log")
    let t = try makeTailer(dir, #"include: ["\#(dir.path)/app/*.log"], read_from: beginning, max_line_bytes: 256"#)
    t.discover()
    var seen: [(Int, Bool)] = []
    for c in t.poll() { c.forEachLine { line, truncated, _ in seen.append((line.count, truncated)) } }
    #expect(seen.map(\.0) == [256, 256, 255, 256, 256, 256, 3])
    #expect(seen.map(\.1) == [false, false, false, true, true, true, false])
  }

  @Test func aLastLineWithoutNewlineIsShippedAfterTheTimeout() async throws {
    let dir = try TempDirectory()
    try dir.append("complete\nno newline", to: "app/x.log")
    let t = try makeTailer(
      dir, #"include: ["\#(dir.path)/app/*.log"], read_from: beginning, partial_line_timeout: 50ms"#)
    t.discover()
    #expect(lines(t.poll()).map(\.0) == ["complete"])
    try await Task.sleep(for: .milliseconds(80))
    let later = t.poll()
    #expect(lines(later).map(\.0) == ["no newline"])
    #expect(later.last?.endOffset == UInt64("complete\nno newline".utf8.count))
  }
}

/// The agent binary on a kubelet layout: CRI records joined, inner JSON parsed into fields,
/// `stream`, `timestamp` and `k8s.*` added, and emails inside still redacted.
@Suite("Container logs end to end")
struct ContainerLogEndToEndTests {
  @Test func criLogsBecomeStructuredEventsWithKubernetesFields() async throws {
    let dir = try TempDirectory()
    let file = "pods/shop_checkout-1_uid-42/server/0.log"
    try dir.append(
      """
      2026-11-23T10:00:00.1Z stdout F {"level":"error","message":"card declined","user":"ann@example.com"}
      2026-11-23T10:00:01.2Z stderr P plain text that was 
      2026-11-23T10:00:01.3Z stderr F split by the runtime
      2026-11-23T10:00:02Z stdout F {"timestamp":"2026-11-23T09:59:59Z","message":"own time","stream":"mine"}

      """, to: file)
    let out = dir.file("out.ndjson").path
    let config = dir.file("agent.yaml")
    try """
    data_dir: \(dir.path)/data
    sources:
      - {name: k8s, type: file, include: ["\(dir.path)/pods/*/*/*.log"], read_from: beginning, poll_interval: 20ms, node_name: node-a}
    pipeline: [{type: parse}, {type: redact}, {type: metrics}]
    sinks:
      - {name: out, type: file, path: \(out), compression: none, batch: {max_events: 1, max_age: 50ms}}
    admin: {address: "127.0.0.1:0"}
    """.write(to: config, atomically: true, encoding: .utf8)
    let agent = try AgentProcess(config: config)
    var lines: [String] = []
    _ = try await eventually(timeout: .seconds(60)) {
      lines = ((try? String(contentsOfFile: out, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
      return lines.count >= 3
    }
    #expect(await agent.terminate() == 0)
    try #require(lines.count == 3, "\(lines)")
    let events = try lines.map { try JSONValue.parse($0) }
    #expect(events[0]["message"] == "card declined")
    #expect(events[0]["user"] == "[REDACTED:email]")
    #expect(events[0]["stream"] == "stdout")
    #expect(events[0]["timestamp"] == "2026-11-23T10:00:00.1Z")
    #expect(events[0]["k8s.namespace.name"] == "shop")
    #expect(events[0]["k8s.pod.name"] == "checkout-1")
    #expect(events[0]["k8s.pod.uid"] == "uid-42")
    #expect(events[0]["k8s.container.name"] == "server")
    #expect(events[0]["k8s.node.name"] == "node-a")
    #expect(events[1]["message"] == "plain text that was split by the runtime")
    #expect(events[1]["stream"] == "stderr")
    #expect(events[1]["timestamp"] == "2026-11-23T10:00:01.2Z")
    // The service's own fields win over the runtime's.
    #expect(events[2]["timestamp"] == "2026-11-23T09:59:59Z")
    #expect(events[2]["stream"] == "mine")
    for line in lines { #expect(line.components(separatedBy: "\"stream\":").count == 2, "\(line)") }
  }
}

/// Hostile bytes in a plain file — NUL, invalid UTF-8, control characters, CRLF, a JSON-looking
/// line that is not JSON — all come out as valid JSON lines (checked with Python's parser),
/// with the text kept.
@Suite("Hostile input")
struct HostileInputTests {
  @Test func everyShippedLineIsValidJSON() async throws {
    let dir = try TempDirectory()
    var bytes: [UInt8] = []
    bytes += Array("nul\u{0}inside\n".utf8)
    bytes += Array("bad utf8 ".utf8) + [0xFF, 0xFE, 0xC3] + Array(" end\n".utf8)
    bytes += Array("bell\u{7}and esc\u{1B}[31m\r\n".utf8)
    bytes += Array("{\"broken\": json\n".utf8)
    bytes += Array("{\"ok\":\"caf\u{E9}\",\"n\":1}\n".utf8)
    FileManager.default.createFile(atPath: dir.file("app.log").path, contents: Data(bytes))
    let out = dir.file("out.ndjson").path
    let config = dir.file("agent.yaml")
    try """
    data_dir: \(dir.path)/data
    sources:
      - {name: app, type: file, include: ["\(dir.path)/app.log"], read_from: beginning, poll_interval: 20ms}
    pipeline: [{type: parse}, {type: redact}]
    sinks:
      - {name: out, type: file, path: \(out), compression: none, batch: {max_events: 1, max_age: 20ms}}
    admin: {address: "127.0.0.1:0"}
    """.write(to: config, atomically: true, encoding: .utf8)
    let agent = try AgentProcess(config: config)
    let port = try #require(await agent.adminPort())
    _ = try await eventually(timeout: .seconds(60)) {
      ((try? String(contentsOfFile: out, encoding: .utf8)) ?? "").split(separator: "\n").count >= 5
    }
    // The three bad bytes were repaired by the parse step's wrapping, and counted (they were
    // not, with a parse step configured).
    let repaired = try await EndToEndTests.metric("sluice_invalid_utf8_repaired_total", port: port)
    #expect(repaired == 3)
    #expect(await agent.terminate() == 0)
    let check = Process()
    check.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
    check.arguments = [
      "-c",
      """
      import json, sys
      rows = [json.loads(l) for l in open(sys.argv[1], encoding='utf-8')]
      print(json.dumps([r.get('message', r.get('ok')) for r in rows]))
      """, out,
    ]
    let pipe = Pipe()
    check.standardOutput = pipe
    try check.run()
    check.waitUntilExit()
    #expect(check.terminationStatus == 0)
    let printed = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    let messages = try JSONValue.parse(printed.trimmingCharacters(in: .whitespacesAndNewlines))
    #expect(
      messages
        == [
          "nul\u{0}inside", "bad utf8 \u{FFFD}\u{FFFD}\u{FFFD} end", "bell\u{7}and esc\u{1B}[31m", "{\"broken\": json",
          "caf\u{E9}",
        ])
  }
}
