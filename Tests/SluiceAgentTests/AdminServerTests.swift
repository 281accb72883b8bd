import Foundation
import Testing

/// The admin endpoint of the built `sluice agent`, scraped live: the exposition passes
/// `promtool check metrics` after events went through every step and every sink type,
/// OpenMetrics is served when asked for, methods and paths are checked, and the process
/// metrics are there and plausible.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct AdminServerTests {
  static let promtool = "/usr/bin/promtool"

  /// An agent that has shipped `events` lines (errors, warnings, emails to redact) through
  /// parse → redact → metrics to an http, a file and a console sink.
  struct Running {
    let dir: TempDirectory
    let receiver: TestReceiver
    let agent: AgentProcess
    let port: Int

    static func start(events: Int = 200) async throws -> Running {
      let dir = try TempDirectory()
      let receiver = try await TestReceiver.start()
      var text = ""
      for n in 0..<events {
        let level = n % 7 == 0 ? "error" : (n % 5 == 0 ? "warn" : "info")
        text +=
          #"{"level":"\#(level)","service":"checkout","msg":"order \#(n) for user\#(n)@example.com","duration_ms":\#(n % 300),"debug":1}"#
          + "\n"
      }
      text += "not json at all\n"
      try dir.append(text, to: "logs/app.log")
      let config = dir.file("agent.yaml")
      try """
      data_dir: \(dir.path)/data
      sources:
        - {name: app, type: file, include: ["\(dir.path)/logs/*.log"], read_from: beginning, poll_interval: 20ms}
      pipeline:
        - {type: parse}
        - {type: filter, drop: 'msg=never'}
        - {type: set, fields: {cluster: prod}}
        - {type: remove, fields: [debug]}
        - {type: redact}
        - {type: metrics}
        - type: metrics
          name: derived
          rules:
            - {name: checkout_errors_total, match: 'level>=error', labels: {service: "@service", cluster: cluster}}
            - {name: order_duration_seconds, type: histogram, field: duration_ms, scale: 0.001, buckets: [0.01, 0.1, 0.25], labels: {level: "@level"}}
            - {name: order_duration_seconds_total, type: sum, field: duration_ms, scale: 0.001}
      sinks:
        - name: backend
          type: http
          url: "\(receiver.url)"
          batch: {max_events: 50, max_age: 50ms}
        - {name: archive, type: file, path: "\(dir.path)/out.ndjson", batch: {max_age: 50ms}}
        - {name: screen, type: console, format: ndjson, batch: {max_age: 50ms}}
      admin: {address: "127.0.0.1:0"}
      shutdown_grace: 5s
      """.write(to: config, atomically: true, encoding: .utf8)
      let agent = try AgentProcess(config: config)
      let port = try #require(await agent.adminPort(), "agent did not start: \(agent.logLines)")
      #expect(await receiver.waitForEvents(events + 1, timeout: .seconds(60)), "only \(receiver.lines.count)")
      // Every sink has counted its deliveries (the receiver records a request before it answers).
      let delivered = try await DeliveryGuaranteeTests.waitForMetric("sluice_sink_events_total", port: port) {
        $0 >= Double(3 * (events + 1))
      }
      #expect(delivered == Double(3 * (events + 1)))
      return Running(dir: dir, receiver: receiver, agent: agent, port: port)
    }

    func stop() async {
      #expect(await agent.terminate() == 0, "agent log: \(agent.logLines.suffix(5))")
      receiver.stop()
    }
  }

  @Test func aLiveScrapePassesPromtool() async throws {
    try #require(
      FileManager.default.isExecutableFile(atPath: Self.promtool),
      "promtool is missing (scripts/test installs the Debian package prometheus)")
    let running = try await Running.start()
    let scrape = try await AdminRequests.send("/metrics", port: running.port)
    #expect(scrape.status == 200)
    #expect(scrape.header("Content-Type") == "text/plain; version=0.0.4; charset=utf-8")
    for family in [
      "sluice_source_lag_bytes", "sluice_sink_events_total", "sluice_redactions_total", "sluice_build_info",
      "process_cpu_seconds_total", "sluice_log_errors_total", "sluice_events_filtered_total", "checkout_errors_total",
      "order_duration_seconds", "order_duration_seconds_total",
    ] {
      #expect(scrape.body.contains("\n# TYPE \(family) "), "no \(family) in the scrape")
    }
    let (status, out, err) = try AgentProcess.run(
      tool: URL(fileURLWithPath: "/bin/sh"),
      ["-c", "curl -sf http://127.0.0.1:\(running.port)/metrics | \(Self.promtool) check metrics"])
    #expect(status == 0, "promtool check metrics: \(out)\(err)")
    await running.stop()
  }

  @Test func openMetricsIsServedWhenAcceptAsksForIt() async throws {
    let running = try await Running.start(events: 20)
    let answer = try await AdminRequests.send(
      "/metrics", port: running.port,
      headers: [("Accept", "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5")])
    #expect(answer.status == 200)
    #expect(answer.header("Content-Type") == "application/openmetrics-text; version=1.0.0; charset=utf-8")
    #expect(answer.body.hasSuffix("\n# EOF\n"))
    #expect(answer.body.contains("\n# TYPE sluice_sink_events counter\n"))
    #expect(answer.body.contains("\nsluice_sink_events_total{sink=\"backend\"} 21\n"), "\(answer.body.prefix(2000))")
    #expect(!answer.body.contains("# TYPE sluice_sink_events_total"))
    #expect(answer.body.contains("\n# TYPE process_cpu_seconds counter\n"))
    #expect(!answer.body.contains("\n\n"), "OpenMetrics has no blank lines")
    await running.stop()
  }

  @Test func onlyGetAndHeadOnKnownPaths() async throws {
    let running = try await Running.start(events: 5)
    let port = running.port
    let missing = try await AdminRequests.send("/nope", port: port)
    #expect(missing.status == 404)
    #expect(try await AdminRequests.send("/metrics/extra", port: port).status == 404)
    for path in ["/metrics", "/healthz", "/readyz"] {
      let post = try await AdminRequests.send(path, port: port, method: "POST")
      #expect(post.status == 405, "POST \(path)")
      #expect(post.header("Allow") == "GET, HEAD")
      #expect(try await AdminRequests.send(path, port: port, method: "DELETE").status == 405)
      let get = try await AdminRequests.send(path, port: port)
      #expect(get.status == 200, "GET \(path): \(get.body)")
      let head = try await AdminRequests.send(path, port: port, method: "HEAD")
      #expect(head.status == 200)
      #expect(head.body.isEmpty)
      #expect(head.header("Content-Type") == get.header("Content-Type"))
    }
    let healthz = try await AdminRequests.send("/healthz", port: port)
    #expect(healthz.body == "ok\n")
    let ready = try await AdminRequests.readiness(port: port)
    #expect(ready.status == "healthy")
    #expect(ready.components["backend"]?.kind == "sink")
    #expect(ready.components["archive"]?.status == "healthy")
    #expect(ready.components["app"]?.kind == "source")
    await running.stop()
  }

  @Test func processMetricsArePresentAndPlausible() async throws {
    let running = try await Running.start(events: 5)
    let body = try await AdminRequests.send("/metrics", port: running.port).body
    let rss = try #require(AdminRequests.sample("process_resident_memory_bytes", in: body))
    let virtual = try #require(AdminRequests.sample("process_virtual_memory_bytes", in: body))
    let fds = try #require(AdminRequests.sample("process_open_fds", in: body))
    let maxFDs = try #require(AdminRequests.sample("process_max_fds", in: body))
    let cpu = try #require(AdminRequests.sample("process_cpu_seconds_total", in: body))
    let start = try #require(AdminRequests.sample("process_start_time_seconds", in: body))
    #expect(rss > 1_000_000)
    #expect(virtual >= rss)
    #expect(fds > 3)
    #expect(maxFDs >= fds)
    #expect(cpu > 0)
    let now = Date().timeIntervalSince1970
    #expect(start <= now && start > now - 600, "started \(now - start)s ago?")
    #expect(body.contains("# TYPE process_cpu_seconds_total counter\n"))
    #expect(body.contains("# HELP process_resident_memory_bytes "))

    let (status, version, _) = try AgentProcess.run(["version"])
    #expect(status == 0)
    let expected = version.trimmingCharacters(in: .whitespacesAndNewlines).replacingOccurrences(of: "sluice ", with: "")
    #expect(body.contains("\nsluice_build_info{version=\"\(expected)\"} 1\n"), "version \(expected)")
    await running.stop()
  }
}
