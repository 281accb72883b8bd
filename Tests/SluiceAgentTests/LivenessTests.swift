import Logging
import ServiceLifecycle
import Synchronization
import Testing

@testable import SluiceAgent

/// Liveness: the watchdog's judgement of loops, and `/healthz` (with `/readyz`) on an admin
/// server run in-process, failing while a registered loop is stuck.
@Suite(.timeLimit(.minutes(2)))
struct LivenessTests {
  @Test func busyBeyondTheStallLimitIsStuck() {
    let watchdog = Watchdog(stallAfter: .seconds(5))
    let loop = watchdog.register(name: "pipeline", kind: "processor")
    loop.busy()
    let now = ContinuousClock.now
    #expect(watchdog.check(now: now + .seconds(1)).map(\.state) == [.busy])
    #expect(watchdog.isAlive(now: now + .seconds(1)))
    let later = watchdog.check(now: now + .seconds(30))
    #expect(later.map(\.state) == [.stuck])
    #expect(later[0].secondsSinceBeat >= 30)
    #expect(!watchdog.isAlive(now: now + .seconds(30)))
    loop.beat()  // progress: alive again
    #expect(watchdog.isAlive(now: .now + .seconds(1)))
  }

  @Test func idleForAnyLengthIsAlive() {
    let watchdog = Watchdog(stallAfter: .seconds(5))
    watchdog.register(name: "app", kind: "source").idle()
    #expect(watchdog.check(now: .now + .seconds(3600)).map(\.state) == [.idle])
    #expect(watchdog.isAlive(now: .now + .seconds(3600)))
  }

  @Test func finishedWhileNotStoppingIsDeadAndWhileStoppingIsNot() {
    let watchdog = Watchdog(stallAfter: .seconds(5))
    let early = watchdog.register(name: "journal", kind: "source")
    early.finished()
    #expect(watchdog.check().map(\.state) == [.dead])
    #expect(!watchdog.isAlive())
    watchdog.beginStopping()
    #expect(watchdog.check().map(\.state) == [.finished])
    #expect(watchdog.isAlive())
  }

  @Test func theLivenessReportNamesEachStuckOrDeadLoop() {
    let watchdog = Watchdog(stallAfter: .seconds(5))
    watchdog.register(name: "pipeline", kind: "processor").busy()
    watchdog.register(name: "app", kind: "source").idle()
    watchdog.register(name: "journal", kind: "source").finished()
    let report = LivenessReport(watchdog: watchdog, now: .now + .seconds(20))
    #expect(!report.isAlive)
    let lines = report.body.split(separator: "\n")
    #expect(lines.count == 2, "\(report.body)")
    #expect(lines[0] == "stuck: processor pipeline, busy for 20s without progress (stall limit 5s)")
    #expect(lines[1] == "dead: source journal, its loop returned 20s ago while the agent was not stopping")
    #expect(LivenessReport(watchdog: Watchdog()).body == "ok\n")
  }

  /// The admin server run in-process on port 0: `/healthz` answers 503 naming the loop once
  /// its heartbeat has been busy past a short stall limit, and 200 again once it moves on.
  @Test func healthzFailsWhileALoopIsStuck() async throws {
    let health = AgentHealth(watchdog: Watchdog(stallAfter: .milliseconds(300)))
    let loop = health.watchdog.register(name: "pipeline", kind: "processor")
    loop.idle()
    var admin = AdminConfig()
    admin.address = "127.0.0.1:0"
    let bound = Mutex<Int?>(nil)
    let server = try AdminServer.make(
      config: admin, metrics: AgentMetrics(), health: health, logger: Logger(label: "test"),
      onListening: { _, port in bound.withLock { $0 = port } })
    let group = ServiceGroup(services: [server], logger: Logger(label: "test"))
    let running = Task { try await group.run() }
    defer { running.cancel() }
    let port = try #require(await Self.waitFor(timeout: .seconds(60)) { bound.withLock { $0 } })

    let alive = try await AdminRequests.send("/healthz", port: port)
    #expect(alive.status == 200)
    #expect(alive.body == "ok\n")

    loop.busy()  // and no beat follows
    var answer = alive
    _ = try await eventually(timeout: .seconds(30)) {
      answer = try await AdminRequests.send("/healthz", port: port)
      return answer.status == 503
    }
    #expect(answer.status == 503)
    #expect(answer.body.hasPrefix("stuck: processor pipeline, busy for "), "\(answer.body)")
    let readiness = try await AdminRequests.readiness(port: port)
    #expect(readiness.httpStatus == 503)
    #expect(readiness.components["pipeline"]?.kind == "processor")
    #expect(readiness.components["pipeline"]?.status == "unhealthy")

    loop.idle()
    #expect(try await AdminRequests.send("/healthz", port: port).status == 200)
    #expect(try await AdminRequests.readiness(port: port).httpStatus == 200)
    await group.triggerGracefulShutdown()
    try await running.value
  }

  /// Polls `value` until it is not nil or `timeout` passes.
  static func waitFor<T: Sendable>(timeout: Duration, _ value: @Sendable () -> T?) async -> T? {
    var found: T?
    _ = try? await eventually(timeout: timeout, interval: .milliseconds(10)) {
      found = value()
      return found != nil
    }
    return found
  }
}
