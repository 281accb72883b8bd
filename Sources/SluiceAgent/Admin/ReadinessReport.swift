import SluiceCore

/// What `/readyz` answers: every component on the ``HealthBoard`` and every loop the
/// ``Watchdog`` knows, with one overall status — 200 unless some component is unhealthy.
///
/// A loop that is stuck or dead makes its component unhealthy (a loop with no component of
/// its own, such as the processor, is listed as one). The body is JSON:
/// `{"status":"degraded","components":[{"name":"backend","kind":"sink","status":"degraded","reason":"…"}]}`,
/// `reason` being null for a healthy component.
struct ReadinessReport {
  struct Entry: Equatable {
    var name: String
    var kind: String
    var status: HealthBoard.Status
    var reason: String?
  }

  let components: [Entry]

  init(board: HealthBoard, watchdog: Watchdog, now: ContinuousClock.Instant = .now) {
    var entries = board.components(now: now).map {
      Entry(name: $0.name, kind: $0.kind.rawValue, status: $0.status, reason: $0.reason)
    }
    for loop in watchdog.check(now: now) {
      let problem = loop.problem(stallAfter: watchdog.stallAfter)
      if let k = entries.firstIndex(where: { $0.name == loop.name && $0.kind == loop.kind }) {
        guard let problem else { continue }
        entries[k].status = .unhealthy
        entries[k].reason = [entries[k].reason, problem].compactMap { $0 }.joined(separator: "; ")
      } else {
        entries.append(
          Entry(name: loop.name, kind: loop.kind, status: problem == nil ? .healthy : .unhealthy, reason: problem))
      }
    }
    components = entries
  }

  /// The worst status of any component.
  var status: HealthBoard.Status { components.map(\.status).max() ?? .healthy }

  /// Ready unless a component is unhealthy (degraded components still serve).
  var isReady: Bool { status != .unhealthy }

  var json: [UInt8] {
    var out: [UInt8] = []
    JSONWriter.appendRaw("{\"status\":", to: &out)
    JSONWriter.appendString(status.rawValue, to: &out)
    JSONWriter.appendRaw(",\"components\":[", to: &out)
    for (k, c) in components.enumerated() {
      if k > 0 { out.append(UInt8(ascii: ",")) }
      JSONWriter.appendRaw("{\"name\":", to: &out)
      JSONWriter.appendString(c.name, to: &out)
      JSONWriter.appendRaw(",\"kind\":", to: &out)
      JSONWriter.appendString(c.kind, to: &out)
      JSONWriter.appendRaw(",\"status\":", to: &out)
      JSONWriter.appendString(c.status.rawValue, to: &out)
      JSONWriter.appendRaw(",\"reason\":", to: &out)
      if let reason = c.reason {
        JSONWriter.appendString(reason, to: &out)
      } else {
        JSONWriter.appendRaw("null", to: &out)
      }
      out.append(UInt8(ascii: "}"))
    }
    JSONWriter.appendRaw("]}\n", to: &out)
    return out
  }
}
