import Foundation
import Logging

/// `type: journald`: reads the systemd journal through libsystemd's sd-journal. Every key is
/// documented in docs/sources.md.
public struct JournaldSourceConfig: SourceSettings, Equatable {
  public static let typeName = "journald"

  public var name: String
  /// A journal directory (the host's `/var/log/journal` or `/run/log/journal` mounted into
  /// a pod, or any directory of `.journal` files); nil reads the local machine's journal.
  public var path: String?
  /// Only entries of these systemd units (`_SYSTEMD_UNIT`; a name without a suffix gets
  /// `.service`, as with `journalctl -u`) — or of ``identifiers``, if both are given.
  public var units: [String]
  /// Only entries with these `SYSLOG_IDENTIFIER`s — or of ``units``, if both are given.
  public var identifiers: [String]
  /// Only entries at this priority or more severe (`PRIORITY` 0 … this).
  public var priority: JournalPriority?
  /// Raw `FIELD=value` matches, as `journalctl` takes them: one field's values are
  /// alternatives, different fields must all match.
  public var matches: [String]
  /// Where a first start begins (a saved cursor always resumes).
  public var readFrom: ReadFrom
  /// Journal fields copied into each event, and the key each gets (`journald.<key>`).
  public var fields: [FieldMapping]
  /// Longer field values (MESSAGE included) are cut to this size and the event is marked
  /// `"_truncated": true`.
  public var maxFieldBytes: ByteSize
  /// Joining the MESSAGEs of one unit (or identifier) into one event — a stack trace logged
  /// line by line — as for files (off if absent).
  public var multiline: MultilineConfig?

  /// One kept journal field.
  public struct FieldMapping: Sendable, Equatable {
    /// The journal's name, e.g. `_SYSTEMD_UNIT`.
    public var field: String
    /// The key in the event, e.g. `journald.unit`.
    public var key: String
  }

  /// The fields kept when `fields` is not set, with their keys.
  public static let defaultFields: [FieldMapping] = [
    ("_SYSTEMD_UNIT", "unit"), ("SYSLOG_IDENTIFIER", "identifier"), ("_HOSTNAME", "hostname"), ("_PID", "pid"),
    ("_COMM", "comm"), ("_BOOT_ID", "boot_id"), ("_TRANSPORT", "transport"),
  ].map { FieldMapping(field: $0.0, key: "journald.\($0.1)") }

  /// The key a journal field gets when `fields` lists it by name only: the default's key for
  /// the default fields, else `journald.` and the name in lower case (`CODE_FILE` →
  /// `journald.code_file`, `_SYSTEMD_SLICE` → `journald._systemd_slice`).
  static func defaultKey(for field: String) -> String {
    defaultFields.first { $0.field == field }?.key ?? "journald.\(field.lowercased())"
  }

  enum CodingKeys: String, CodingKey, CaseIterable {
    case name, path, units, identifiers, priority, matches, fields, multiline
    case readFrom = "read_from", maxFieldBytes = "max_field_bytes"
  }

  public init(from decoder: any Decoder) throws {
    try decoder.rejectUnknownSourceKeys(CodingKeys.self)
    let c = try decoder.container(keyedBy: CodingKeys.self)
    name = try c.decode(String.self, forKey: .name)
    path = try c.decodeIfPresent(String.self, forKey: .path)
    units = try c.decodeIfPresent([String].self, forKey: .units) ?? []
    identifiers = try c.decodeIfPresent([String].self, forKey: .identifiers) ?? []
    priority = try c.decodeIfPresent(JournalPriority.self, forKey: .priority)
    matches = try c.decodeIfPresent([String].self, forKey: .matches) ?? []
    readFrom = try c.decodeIfPresent(ReadFrom.self, forKey: .readFrom) ?? .end
    maxFieldBytes = try c.decodeIfPresent(ByteSize.self, forKey: .maxFieldBytes) ?? ByteSize(bytes: 1 << 20)
    multiline = try c.decodeIfPresent(MultilineConfig.self, forKey: .multiline)
    if c.holdsList(forKey: .fields), let names = try c.decodeIfPresent([String].self, forKey: .fields) {
      // `fields: [_SYSTEMD_UNIT, CODE_FILE]`
      fields = names.map { FieldMapping(field: $0, key: Self.defaultKey(for: $0)) }
    } else if c.contains(.fields) {
      // `fields: {_SYSTEMD_UNIT: unit, CODE_FILE: source.file}` (keys given in full)
      let map = try c.decode([String: String].self, forKey: .fields)
      fields = map.keys.sorted().map { FieldMapping(field: $0, key: map[$0]!) }
    } else {
      fields = Self.defaultFields
    }
  }

  /// `MESSAGE`, `_SYSTEMD_UNIT`: upper case letters, digits and `_`, not starting with a
  /// digit (the journal's own rule for field names).
  static func isFieldName(_ s: String) -> Bool {
    guard let first = s.utf8.first, !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first), s.utf8.count <= 64
    else { return false }
    return s.utf8.allSatisfy {
      (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0)
        || $0 == UInt8(ascii: "_")
    }
  }

  public func validate(at: String, into issues: inout ConfigIssues) {
    if let path, path.isEmpty { issues.add("\(at).path", "must not be empty (omit it for the local journal)") }
    for (i, u) in units.enumerated() where u.isEmpty { issues.add("\(at).units[\(i)]", "must not be empty") }
    for (i, u) in identifiers.enumerated() where u.isEmpty {
      issues.add("\(at).identifiers[\(i)]", "must not be empty")
    }
    for (i, m) in matches.enumerated() {
      if let eq = m.firstIndex(of: "="), Self.isFieldName(String(m[..<eq])) { continue }
      issues.add("\(at).matches[\(i)]", "'\(m)' is not FIELD=value (e.g. _TRANSPORT=kernel)")
    }
    var keys = Set<String>()
    for (i, f) in fields.enumerated() {
      // What is read (the journal field) and where it goes (the key) are checked apart.
      if !Self.isFieldName(f.field) {
        issues.add("\(at).fields[\(i)]", "'\(f.field)' is not a journal field name (A-Z, 0-9, _)")
      } else if f.field.hasPrefix("__") {
        issues.add(
          "\(at).fields[\(i)]",
          "'\(f.field)' is an address field, not data; the timestamp is always kept as `timestamp`")
      } else if f.field == "MESSAGE" || f.field == "PRIORITY" {
        issues.add("\(at).fields[\(i)]", "\(f.field) is always kept (as `message` / `level`)")
      }
      if f.key.isEmpty {
        issues.add("\(at).fields.\(f.field)", "the key must not be empty")
      } else if !keys.insert(f.key).inserted {
        issues.add("\(at).fields", "two fields map to the key '\(f.key)'")
      }
    }
    multiline?.validate(at: "\(at).multiline", into: &issues)
    if maxFieldBytes.bytes < 256 { issues.add("\(at).max_field_bytes", "must be at least 256 bytes") }
  }

  /// `_SYSTEMD_UNIT` values: `nginx` → `nginx.service`; names with a unit suffix unchanged.
  var unitValues: [String] {
    let suffixes = [
      ".service", ".socket", ".target", ".device", ".mount", ".automount", ".swap", ".timer", ".path", ".slice",
      ".scope",
    ]
    return units.map { u in suffixes.contains { u.hasSuffix($0) } ? u : u + ".service" }
  }

  public func makeSource(index: Int, metrics: AgentMetrics, health: AgentHealth, logger: Logger) -> any Source {
    JournaldSource(
      index: index, config: self, counters: JournaldSourceCounters(metrics, source: name),
      health: health.board.component(name: name, kind: .source), watchdog: health.watchdog, logger: logger)
  }
}

/// A syslog priority, 0 (emerg) to 7 (debug); written in config as a number or a name.
public struct JournalPriority: Sendable, Equatable, Codable {
  public var value: Int

  /// The names, by value; also the `level` an entry of that priority gets.
  public static let names = ["emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"]
  static let aliases = ["emergency": 0, "critical": 2, "error": 3, "warn": 4, "informational": 6]

  public init(_ value: Int) { self.value = value }

  public init(from decoder: any Decoder) throws {
    let c = try decoder.singleValueContainer()
    if let n = try? c.decode(Int.self) {
      guard (0...7).contains(n) else {
        throw DecodingError.dataCorruptedError(in: c, debugDescription: "a priority is 0 (emerg) to 7 (debug)")
      }
      value = n
      return
    }
    let s = try c.decode(String.self).lowercased()
    guard let v = Self.names.firstIndex(of: s) ?? Self.aliases[s] else {
      throw DecodingError.dataCorruptedError(
        in: c, debugDescription: "'\(s)' is not a priority (\(Self.names.joined(separator: ", ")), or 0-7)")
    }
    value = v
  }
}
