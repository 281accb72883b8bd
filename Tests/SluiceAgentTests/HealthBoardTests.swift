import SluiceCore
import Testing

@testable import SluiceAgent

/// The readiness board in-process: conditions and their escalation, a sink's delivery and
/// buffer reports, and the `/readyz` report built from the board and the watchdog.
@Suite struct HealthBoardTests {
  @Test func aComponentIsTheWorstOfItsConditions() {
    let board = HealthBoard()
    let sink = board.component(name: "out", kind: .sink)
    let source = board.component(name: "app", kind: .source)
    #expect(
      board.components() == [
        .init(name: "out", kind: .sink, status: .healthy, reason: nil),
        .init(name: "app", kind: .source, status: .healthy, reason: nil),
      ])
    source.set("open", .degraded, reason: "cannot open /x: Permission denied")
    sink.set("buffer", .degraded, reason: "buffer 90% full")
    sink.set("other", .unhealthy, reason: "broken")
    #expect(board.status() == .unhealthy)
    #expect(board.components()[0].status == .unhealthy)
    #expect(board.components()[0].reason == "buffer 90% full; broken")
    sink.clear("other")
    sink.set("buffer", .healthy, reason: "")
    source.clear("open")
    #expect(board.status() == .healthy)
    #expect(board.components().allSatisfy { $0.reason == nil })
    // Registering again is the same component.
    board.component(name: "out", kind: .sink).set("buffer", .degraded, reason: "again")
    #expect(board.components().count == 2)
    #expect(board.components()[0].status == .degraded)
  }

  @Test func aFailingConditionEscalatesOnceItHasLastedItsLimit() {
    let board = HealthBoard()
    let sink = board.component(name: "backend", kind: .sink)
    let start = ContinuousClock.now
    sink.failing("delivery", reason: "connection refused", unhealthyAfter: .seconds(2), now: start)
    // Repeated failures keep the first time and take the latest reason.
    sink.failing("delivery", reason: "timed out", unhealthyAfter: .seconds(2), now: start + .seconds(1))
    let early = board.components(now: start + .milliseconds(1500))[0]
    #expect(early.status == .degraded)
    #expect(early.reason == "failing for 1.5s: timed out")
    let late = board.components(now: start + .seconds(75))[0]
    #expect(late.status == .unhealthy)
    #expect(late.reason == "failing for 75s (unhealthy_after 2s): timed out")
    sink.clear("delivery")
    #expect(board.components(now: start + .seconds(80))[0].status == .healthy)
  }

  @Test func sinkHealthFollowsDeliveriesAndBufferFill() {
    let board = HealthBoard()
    let health = SinkHealth(
      component: board.component(name: "out", kind: .sink), unhealthyAfter: .seconds(60), maxEvents: 100,
      maxBytes: 1000)
    health.delivered()
    #expect(board.status() == .healthy)
    health.deliveryFailed(reason: "503")
    #expect(board.components()[0].status == .degraded)
    #expect(board.components()[0].reason?.hasSuffix(": 503") == true)
    health.delivered()
    #expect(board.status() == .healthy)

    health.bufferFill(events: 80, bytes: 800)  // exactly 80 %: not above
    #expect(board.status() == .healthy)
    health.bufferFill(events: 83, bytes: 10)
    #expect(board.components()[0] == .init(name: "out", kind: .sink, status: .degraded, reason: "buffer 83% full"))
    health.bufferFill(events: 1, bytes: 950)  // bytes count too
    #expect(board.components()[0].reason == "buffer 95% full")
    health.bufferFill(events: 0, bytes: 0)
    #expect(board.status() == .healthy)

    // A disk buffer is capped in bytes only.
    let disk = SinkHealth(
      component: board.component(name: "disk", kind: .sink), unhealthyAfter: .seconds(60), maxEvents: nil,
      maxBytes: 1000)
    disk.bufferFill(events: 1_000_000, bytes: 100)
    #expect(board.status() == .healthy)
    disk.bufferFill(events: 1, bytes: 810)
    #expect(board.components()[1].reason == "buffer 81% full")
  }

  @Test func unhealthyAfterIsASinkKeyOfAtLeastOneSecond() throws {
    let base = "sources: [{name: app, type: file, include: [/tmp/x.log]}]\n"
    let defaulted = try ConfigLoader.parse(yaml: base + "sinks: [{name: out, type: console}]")
    #expect(defaulted.sinks[0].unhealthyAfter == .seconds(60))
    let set = try ConfigLoader.parse(yaml: base + "sinks: [{name: out, type: console, unhealthy_after: 2s}]")
    #expect(set.sinks[0].unhealthyAfter == .seconds(2))
    #expect {
      try ConfigLoader.parse(yaml: base + "sinks: [{name: out, type: console, unhealthy_after: 500ms}]")
    } throws: { error in
      (error as? ConfigError)?.pathAndMessage == "sinks[0].unhealthy_after: must be at least 1s"
    }
  }

  @Test func theReadinessReportListsComponentsAndStuckLoops() throws {
    let board = HealthBoard()
    let watchdog = Watchdog(stallAfter: .seconds(5))
    board.component(name: "out", kind: .sink).set("buffer", .degraded, reason: "buffer 90% full")
    _ = board.component(name: "app", kind: .source)
    let source = watchdog.register(name: "app", kind: "source")
    let processor = watchdog.register(name: "pipeline", kind: "processor")
    source.idle()
    processor.busy()
    let now = ContinuousClock.now

    let fine = ReadinessReport(board: board, watchdog: watchdog, now: now)
    #expect(fine.status == .degraded)
    #expect(fine.isReady)
    let json = try JSONValue.parse(String(decoding: fine.json, as: UTF8.self))
    #expect(json["status"]?.stringValue == "degraded")
    guard case .array(let components)? = json["components"] else {
      Issue.record("no components: \(json)")
      return
    }
    #expect(components.count == 3)
    #expect(components[0] == ["name": "out", "kind": "sink", "status": "degraded", "reason": "buffer 90% full"])
    #expect(components[1] == ["name": "app", "kind": "source", "status": "healthy", "reason": nil])
    #expect(components[2] == ["name": "pipeline", "kind": "processor", "status": "healthy", "reason": nil])

    let stuck = ReadinessReport(board: board, watchdog: watchdog, now: now + .seconds(30))
    #expect(!stuck.isReady)
    #expect(stuck.components[2].status == .unhealthy)
    #expect(stuck.components[2].reason?.hasPrefix("stuck: processor pipeline, busy for ") == true)
    #expect(stuck.components[1].status == .healthy, "an idle loop is alive")
  }
}
