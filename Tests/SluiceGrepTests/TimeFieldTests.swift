import SluiceCore
import Testing

@testable import SluiceGrep

/// 2026-12-01T10:00:00Z.
let dec1At10: Int64 = 1_796_119_200 * 1_000_000_000

@Suite("TimeField")
struct TimeFieldTests {
  @Test(
    "auto-detection finds each key", arguments: ["timestamp", "ts", "time", "@timestamp", "t", "date"])
  func eachKey(key: String) {
    let event = Event(#"{"msg":"x","\#(key)":"2026-12-01T10:00:00Z"}"#)
    #expect(TimeField(name: nil).nanoseconds(in: event) == dec1At10)
  }

  @Test(
    "epoch numbers in each unit, as numbers and as strings",
    arguments: [
      ("1796119200", dec1At10), ("1796119200.5", dec1At10 + 500_000_000),
      ("1796119200123", dec1At10 + 123_000_000), ("1796119200123456", dec1At10 + 123_456_000),
      ("1796119200123456789", dec1At10 + 123_456_789),
    ])
  func epochUnits(literal: String, expected: Int64) {
    let field = TimeField(name: nil)
    #expect(field.nanoseconds(in: Event(#"{"ts":\#(literal)}"#)) == expected)
    #expect(field.nanoseconds(in: Event(#"{"ts":"\#(literal)"}"#)) == expected)
  }

  @Test("journald's realtime keys are microseconds, the source's first")
  func journald() {
    let field = TimeField(name: nil)
    #expect(field.nanoseconds(in: Event(#"{"__REALTIME_TIMESTAMP":"1796119200000001"}"#)) == dec1At10 + 1_000)
    let both = Event(
      #"{"__REALTIME_TIMESTAMP":"1796119200000001","_SOURCE_REALTIME_TIMESTAMP":"1796119100000000","MESSAGE":"m"}"#)
    #expect(field.nanoseconds(in: both) == dec1At10 - 100_000_000_000)
    // Small values are still microseconds, whatever their magnitude says.
    #expect(field.nanoseconds(in: Event(#"{"__REALTIME_TIMESTAMP":"5"}"#)) == 5_000)
    #expect(field.nanoseconds(in: Event(#"{"__REALTIME_TIMESTAMP":"x5"}"#)) == nil)
  }

  @Test("the keys are tried in order; a value that is not a time is passed over")
  func order() {
    let field = TimeField(name: nil)
    let both = Event(#"{"time":"2026-12-01T10:00:01Z","timestamp":"2026-12-01T10:00:00Z"}"#)
    #expect(field.nanoseconds(in: both) == dec1At10)
    let badFirst = Event(#"{"timestamp":"soon","ts":{"a":1},"t":"2026-12-01T10:00:00Z"}"#)
    #expect(field.nanoseconds(in: badFirst) == dec1At10)
    let journalLast = Event(#"{"__REALTIME_TIMESTAMP":"1","date":"2026-12-01T10:00:00Z"}"#)
    #expect(field.nanoseconds(in: journalLast) == dec1At10)
  }

  @Test("offsets and fractions")
  func offsets() {
    #expect(
      TimeField(name: nil).nanoseconds(in: Event(#"{"ts":"2026-12-01T11:00:00.25+01:00"}"#)) == dec1At10 + 250_000_000)
  }

  @Test("a named field, also a dotted path, is the only one read")
  func named() {
    let event = Event(#"{"ts":"2026-12-01T09:00:00Z","http":{"start":"2026-12-01T10:00:00Z"},"a.b":1796119200}"#)
    #expect(TimeField(name: "http.start").nanoseconds(in: event) == dec1At10)
    #expect(TimeField(name: "a.b").nanoseconds(in: event) == dec1At10)
    #expect(TimeField(name: "ts").nanoseconds(in: event) == dec1At10 - 3_600_000_000_000)
    #expect(TimeField(name: "missing").nanoseconds(in: event) == nil)
    #expect(TimeField(name: "__REALTIME_TIMESTAMP").nanoseconds(in: Event(#"{"ts":1}"#)) == nil)
  }

  @Test("no time: none of the keys, not a time, or not structured")
  func none() {
    let field = TimeField(name: nil)
    #expect(field.nanoseconds(in: Event(#"{"msg":"x"}"#)) == nil)
    #expect(field.nanoseconds(in: Event(#"{"ts":true,"time":null,"t":[1]}"#)) == nil)
    #expect(field.nanoseconds(in: Event()) == nil)
  }

  @Test("a decoded line's time falls back to its CRI prefix")
  func criFallback() {
    let field = TimeField(name: nil)
    let plain = decode("2026-12-01T10:00:00Z stdout F hello")
    #expect(field.nanoseconds(of: plain.kind, event: plain.event, decoder: plain.decoder) == dec1At10)
    let own = decode(#"2026-12-01T10:00:00Z stdout F {"ts":"2026-12-01T09:00:00Z"}"#)
    #expect(field.nanoseconds(of: own.kind, event: own.event, decoder: own.decoder) == dec1At10 - 3_600_000_000_000)
    let logfmtNoTime = decode("2026-12-01T10:00:00Z stdout F a=1")
    #expect(
      field.nanoseconds(of: logfmtNoTime.kind, event: logfmtNoTime.event, decoder: logfmtNoTime.decoder) == dec1At10)
    let bare = decode("hello")
    #expect(field.nanoseconds(of: bare.kind, event: bare.event, decoder: bare.decoder) == nil)
  }
}
