import Foundation
import SluiceCore
import Testing

@testable import SluiceAgent

/// Each wire format through the real agent: the request's headers and its decoded payload.
/// (The exact bytes of each encoding are pinned in EncodingTests.)
@Suite(.timeLimit(.minutes(2)))
struct SinkEncodingEndToEndTests {
  static let events = [
    #"{"timestamp":"2026-11-23T10:00:00.5Z","level":"error","message":"payment failed","seq":0,"k8s.namespace.name":"shop","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"00f067aa0ba902b7"}"#,
    #"{"timestamp":"2026-11-23T10:00:01Z","level":"info","message":"ok","seq":1,"k8s.namespace.name":"shop"}"#,
    #"{"timestamp":"2026-11-23T10:00:02Z","level":"error","message":"again","seq":2,"k8s.namespace.name":"shop"}"#,
  ]

  func obj(_ pairs: [(String, JSONValue)]) -> JSONValue { .object(pairs.map { JSONMember($0.0, $0.1) }) }

  /// Ships the three events through a sink with `settings`; returns the one request's
  /// content type and decompressed body.
  static func ship(_ settings: String) async throws -> (String?, [UInt8]) {
    let dir = try TempDirectory()
    let receiver = try await TestReceiver.start()
    defer { receiver.stop() }
    try dir.append(events.joined(separator: "\n") + "\n", to: "logs/app.log")
    try """
    data_dir: \(dir.path)/data
    sources: [{name: app, type: file, include: ["\(dir.path)/logs/*.log"], read_from: beginning, poll_interval: 20ms}]
    pipeline: [{type: parse}]
    sinks:
      - {name: out, type: http, url: "\(receiver.url)", batch: {max_events: 3, max_age: 2s}, \(settings)}
    admin: {address: "127.0.0.1:0"}
    """.write(to: dir.file("agent.yaml"), atomically: true, encoding: .utf8)
    let agent = try AgentProcess(config: dir.file("agent.yaml"))
    // One request arrives (the test receiver counts its body's lines).
    #expect(await receiver.waitForEvents(1, timeout: .seconds(30)))
    #expect(await agent.terminate() == 0)
    let request = try #require(receiver.requests.first)
    if settings.contains("compression: none") {
      #expect(request.contentEncoding == nil)
      return (request.contentType, request.rawBody)
    }
    #expect(request.contentEncoding == "gzip")
    return (request.contentType, try TestReceiver.gunzip(request.rawBody))
  }

  @Test func loki() async throws {
    let (type, body) = try await Self.ship("encoding: loki, loki: {labels: {job: shop}, label_fields: {level: level}}")
    #expect(type == "application/json")
    let push = try JSONValue.parse(body)
    guard case .array(let streams) = push["streams"] else { Issue.record("no streams: \(push)"); return }
    #expect(streams.count == 2)
    let error = streams.first { $0["stream"]?["level"] == "error" }
    #expect(error?["stream"] == obj([("job", .string("shop")), ("level", .string("error"))]))
    guard case .array(let values) = error?["values"] else { Issue.record("no values"); return }
    #expect(values.count == 2, "both error events, in order")
    #expect(values.first?.arrayFirst == .string("1795428000500000000"))
    if case .array(let pair) = values.first, case .string(let line) = pair.last {
      #expect(line == Self.events[0])
    } else {
      Issue.record("malformed value \(String(describing: values.first))")
    }
  }

  @Test func otlp() async throws {
    let (type, body) = try await Self.ship("encoding: otlp, otlp: {resource: {deployment.environment: test}}")
    #expect(type == "application/json")
    let request = try JSONValue.parse(body)
    guard case .array(let resources) = request["resourceLogs"], let resource = resources.first else {
      Issue.record("no resourceLogs: \(request)")
      return
    }
    let attributes = resource["resource"]?["attributes"]
    #expect(
      attributes
        == .array([
          obj([("key", .string("deployment.environment")), ("value", obj([("stringValue", .string("test"))]))]),
          obj([("key", .string("k8s.namespace.name")), ("value", obj([("stringValue", .string("shop"))]))]),
        ]))
    guard case .array(let scopes) = resource["scopeLogs"], case .array(let records) = scopes.first?["logRecords"] else {
      Issue.record("no logRecords")
      return
    }
    #expect(records.count == 3)
    #expect(records[0]["severityNumber"] == 17)
    #expect(records[0]["severityText"] == "error")
    #expect(records[0]["body"] == obj([("stringValue", .string("payment failed"))]))
    #expect(records[0]["traceId"] == "4bf92f3577b34da6a3ce929d0e0e4736")
    #expect(records[0]["timeUnixNano"] == "1795428000500000000")
    #expect(records[1]["severityNumber"] == 9)
  }

  @Test func elasticsearchAndJSONArray() async throws {
    let (esType, es) = try await Self.ship("encoding: elasticsearch, elasticsearch: {index: \"logs-%Y.%m.%d\"}")
    #expect(esType == "application/x-ndjson")
    let lines = es.split(separator: 0x0A).map { String(decoding: $0, as: UTF8.self) }
    #expect(lines.count == 6)
    #expect(lines[0] == #"{"create":{"_index":"logs-2026.11.23"}}"#)
    #expect(lines[1] == Self.events[0])

    let (arrayType, array) = try await Self.ship("encoding: json_array, compression: none")
    #expect(arrayType == "application/json")
    #expect(String(decoding: array, as: UTF8.self) == "[" + Self.events.joined(separator: ",") + "]")
  }

  @Test func shippedConfigurationsAreValid() throws {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent()
    let agent = try ConfigLoader.load(path: root.appendingPathComponent("config/agent.yaml").path)
    #expect(agent.sinks[0].buffer.type == .disk, "the DaemonSet configuration buffers on disk")
    #expect(agent.shutdownGrace < .seconds(30), "inside the pod's termination grace period")
    _ = try ConfigLoader.load(path: root.appendingPathComponent("config/demo.yaml").path)
  }
}
