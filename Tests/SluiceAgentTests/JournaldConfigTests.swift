import Foundation
import Testing

@testable import SluiceAgent

/// `type: journald` decodes and checks itself; the envelope only picks the kind.
@Suite("journald config")
struct JournaldConfigTests {
  static func parse(_ settings: String) throws -> JournaldSourceConfig {
    let entry = settings.isEmpty ? "" : ", " + settings
    let c = try ConfigLoader.parse(
      yaml: "sources: [{name: j, type: journald\(entry)}]\nsinks: [{name: o, type: console}]")
    #expect(c.sources[0].type == "journald")
    return try #require(c.sources[0].settings(as: JournaldSourceConfig.self))
  }

  @Test func defaults() throws {
    let j = try Self.parse("")
    #expect(j.path == nil)
    #expect(j.readFrom == .end)
    #expect(j.units.isEmpty && j.identifiers.isEmpty && j.matches.isEmpty && j.priority == nil)
    #expect(j.fields == JournaldSourceConfig.defaultFields)
    #expect(j.fields.map(\.key).contains("journald.unit"))
    #expect(j.maxFieldBytes.bytes == 1 << 20)
  }

  @Test func settingsInBothForms() throws {
    let j = try Self.parse(
      "path: /var/log/journal, units: [nginx, cron.timer], identifiers: [sshd], priority: warning, matches: ['_TRANSPORT=kernel'], read_from: beginning, fields: [_SYSTEMD_UNIT, CODE_FILE], max_field_bytes: 64KiB"
    )
    #expect(j.path == "/var/log/journal")
    #expect(j.unitValues == ["nginx.service", "cron.timer"])
    #expect(j.priority == JournalPriority(4))
    #expect(j.fields.map(\.key) == ["journald.unit", "journald.code_file"])
    #expect(j.maxFieldBytes.bytes == 65536)
    let m = try Self.parse("priority: 3, fields: {_SYSTEMD_UNIT: service.unit, _PID: process.pid}")
    #expect(m.priority == JournalPriority(3))
    #expect(m.fields.map(\.key) == ["process.pid", "service.unit"])
  }

  @Test(arguments: [
    ("includ: [x]", "sources[0].includ", "unknown key"),
    ("priority: loud", "sources[0].priority", "not a priority"),
    ("priority: 9", "sources[0].priority", "0 (emerg) to 7"),
    ("matches: [kernel]", "sources[0].matches[0]", "FIELD=value"),
    ("matches: ['lower=x']", "sources[0].matches[0]", "FIELD=value"),
    ("fields: [message]", "sources[0].fields[0]", "not a journal field name"),
    ("fields: [MESSAGE]", "sources[0].fields[0]", "always kept"),
    ("fields: [__CURSOR]", "sources[0].fields[0]", "address field"),
    ("fields: {_PID: pid, PID: pid}", "sources[0].fields", "two fields map"),
    ("max_field_bytes: 10", "sources[0].max_field_bytes", "at least 256"),
    ("path: ''", "sources[0].path", "must not be empty"),
    ("read_from: middle", "sources[0].read_from", "invalid value"),
    ("units: ['']", "sources[0].units[0]", "must not be empty"),
  ])
  func mistakesNameTheKey(settings: String, path: String, message: String) throws {
    do {
      _ = try Self.parse(settings)
      Issue.record("accepted: \(settings)")
    } catch let error as ConfigError {
      #expect(error.path == path, "\(error)")
      #expect(error.message.contains(message), "\(error)")
    }
  }

  @Test func unknownTypesListTheKnownOnes() throws {
    do {
      _ = try ConfigLoader.parse(yaml: "sources: [{name: a, type: kafka}]\nsinks: [{name: o, type: console}]")
      Issue.record("accepted")
    } catch {
      #expect(error.path == "sources[0].type")
      #expect(error.message.contains("file, journald"), "\(error)")
    }
  }
}
