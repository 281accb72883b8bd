import Foundation
import SluiceCore

/// Where the default metrics find an event's service and level.
///
/// `service` is the first non-empty string (or number) among ``serviceKeys`` — `service`,
/// `service.name` (flat, as OpenTelemetry and ECS write it, or nested), `k8s.container.name`
/// (added for container logs under /var/log/pods), `journald.unit` — else the source's name.
///
/// `level` is the event's level in any schema Sluice reads (``Event/level``), normalised to
/// swift-log's seven names; failing that, a numeric syslog priority in `priority`,
/// `syslog.priority`, `syslog.severity` or `level` (0–2 critical, 3 error, 4 warning,
/// 5 notice, 6 info, 7 debug); else `unknown`. The error family is error and critical: the
/// names err, error, fatal, critical, crit, alert, emerg, panic and priority ≤ 3.
enum ServiceAndLevel {
  static let serviceKeys = ["service", "service.name", "k8s.container.name", "journald.unit"]
  static let priorityKeys = ["priority", "syslog.priority", "syslog.severity", "level"]
  /// Label values by level index (``LogLevel/rawValue``; 7 is unknown).
  static let levelNames: [[UInt8]] = LogLevel.allCases.map { Array($0.name.utf8) } + [Array("unknown".utf8)]
  static let unknownLevel = LogLevel.allCases.count

  /// The tape index of the service value, or nil if the event has none (use the source name).
  static func serviceIndex(in event: Event) -> Int? {
    for key in serviceKeys {
      guard let i = event.valueIndex(at: key) else { continue }
      let t = event.tape[i]
      if (t.kind == .string && t.end > t.start) || t.kind == .number { return i }
    }
    return nil
  }

  /// The level index: a ``LogLevel`` raw value, or ``unknownLevel``.
  static func levelIndex(of event: Event) -> Int {
    if let level = event.level { return Int(level.rawValue) }
    for key in priorityKeys {
      guard let i = event.valueIndex(at: key), event.tape[i].kind == .number else { continue }
      let t = event.tape[i]
      guard t.end == t.start + 1 else { continue }
      switch event.bytes[Int(t.start)] {
      case UInt8(ascii: "0")...UInt8(ascii: "2"): return Int(LogLevel.critical.rawValue)
      case UInt8(ascii: "3"): return Int(LogLevel.error.rawValue)
      case UInt8(ascii: "4"): return Int(LogLevel.warning.rawValue)
      case UInt8(ascii: "5"): return Int(LogLevel.notice.rawValue)
      case UInt8(ascii: "6"): return Int(LogLevel.info.rawValue)
      case UInt8(ascii: "7"): return Int(LogLevel.debug.rawValue)
      default: continue
      }
    }
    return unknownLevel
  }

  static func isError(levelIndex: Int) -> Bool {
    levelIndex != unknownLevel && levelIndex >= Int(LogLevel.error.rawValue)
  }
}
