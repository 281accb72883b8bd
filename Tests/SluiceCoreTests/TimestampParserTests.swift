import Testing

@testable import SluiceCore

/// A small deterministic generator (SplitMix64), so failures reproduce.
private func parse(_ text: String) -> Int64? {
  TimestampParser.nanoseconds(rfc3339: text)
}

private func epochLiteral(_ text: String) -> Int64? {
  Array(text.utf8).withUnsafeBytes { TimestampParser.nanoseconds(epochLiteral: $0) }
}

/// 2024-05-01T12:00:00Z.
private let may1Noon: Int64 = 1_714_564_800 * 1_000_000_000

@Suite("TimestampParser")
struct TimestampParserTests {
  @Test(
    "RFC 3339 and ISO 8601 forms",
    arguments: [
      ("2024-05-01T12:00:00Z", may1Noon),
      ("2024-05-01t12:00:00z", may1Noon),
      ("2024-05-01 12:00:00Z", may1Noon),
      ("2024-05-01T12:00:00", may1Noon),  // no zone: UTC
      ("2024-05-01T14:00:00+02:00", may1Noon),
      ("2024-05-01T14:00:00+0200", may1Noon),
      ("2024-05-01T14:00:00+02", may1Noon),
      ("2024-05-01T06:30:00-05:30", may1Noon),
      ("2024-05-01T12:00:00-00:00", may1Noon),
      ("2024-05-01T12:00:00.1Z", may1Noon + 100_000_000),
      ("2024-05-01T12:00:00,25Z", may1Noon + 250_000_000),
      ("2024-05-01T12:00:00.000001Z", may1Noon + 1_000),
      ("2024-05-01T12:00:00.123456789Z", may1Noon + 123_456_789),
      ("2024-05-01T12:00:00.123456789999Z", may1Noon + 123_456_789),  // truncated, not rounded
      ("2024-05-01T12:00:00.000000000000000001Z", may1Noon),
      ("2024-05-01T14:00:00.5+02:00", may1Noon + 500_000_000),
      ("1970-01-01T00:00:00Z", 0),
      ("1969-12-31T23:59:59.5Z", -500_000_000),
      ("1970-01-01T00:00:00+01:00", -3_600_000_000_000),
      ("2000-02-29T00:00:00Z", 951_782_400_000_000_000),
      ("2024-02-29T23:59:59Z", 1_709_251_199_000_000_000),
      ("2016-12-31T23:59:60Z", 1_483_228_800_000_000_000),  // leap second: the next minute's first
      ("2262-04-11T23:47:16.854775807Z", Int64.max),
      ("1677-09-21T00:12:43.145224192Z", Int64.min),
    ] as [(String, Int64)])
  func validForms(_ text: String, _ expected: Int64) {
    #expect(parse(text) == expected, "\(text)")
  }

  @Test(
    "invalid or out-of-range text gives nil",
    arguments: [
      "", "2024", "2024-05-01", "2024-05-01T12:00", "2024-05-01T12:00Z", "2024-13-01T00:00:00Z",
      "2024-00-10T00:00:00Z", "2024-05-00T00:00:00Z", "2024-05-32T00:00:00Z", "2024-04-31T00:00:00Z",
      "2023-02-29T00:00:00Z", "1900-02-29T00:00:00Z", "2024-02-30T00:00:00Z", "2024-05-01T24:00:00Z",
      "2024-05-01T12:60:00Z", "2024-05-01T12:00:61Z", "2024-05-01X12:00:00Z", "2024/05/01T12:00:00Z",
      "2024-05-01T12:00:00.Z", "2024-05-01T12:00:00.", "2024-05-01T12:00:00ZZ", "2024-05-01T12:00:00Z ",
      " 2024-05-01T12:00:00Z", "2024-05-01T12:00:00+24:00", "2024-05-01T12:00:00+02:60",
      "2024-05-01T12:00:00+2:00", "2024-05-01T12:00:00+02:0", "2024-05-01T12:00:00+02:", "2024-05-01T12:00:00+",
      "2024-05-01T12:00:00 +02:00", "2024-05-01T12:00:00UTC", "2024-5-01T12:00:00Z", "24-05-01T12:00:00Z",
      "2024-05-01T1:00:00Z", "2024-05-01T12:00:00.12a4Z", "+2024-05-01T12:00:00Z", "2024-05-01T12:00:0aZ",
      "2262-04-11T23:47:16.854775808Z", "1677-09-21T00:12:43.145224191Z", "1500-01-01T00:00:00Z",
      "9999-12-31T23:59:59Z", "0000-01-01T00:00:00Z",
    ])
  func invalid(_ text: String) {
    #expect(parse(text) == nil, "\(text)")
  }

  @Test("round trips against RFC3339 formatting of random instants")
  func roundTrips() {
    var rng = SplitMix64(seed: 0x5EED)
    // Keep a day's margin from Int64's ends so that zone offsets stay in range.
    let limit: Int64 = Int64.max - 86_400 * 1_000_000_000
    for _ in 0..<5_000 {
      let ns = Int64.random(in: -limit...limit, using: &rng)
      let micros = ns.dividedWithFloor(by: 1_000)
      let text = RFC3339.string(nanoseconds: ns)  // …ffffffZ: microseconds, floored
      #expect(parse(text) == micros * 1_000, "\(text)")

      // Nine fraction digits: exact.
      let subMicro = ns - micros * 1_000
      let nanoText = String(text.dropLast()) + String(subMicro + 1_000).dropFirst() + "Z"
      #expect(parse(nanoText) == ns, "\(nanoText)")

      // The same instant written in another zone.
      let offsetMinutes = Int64.random(in: -(23 * 60 + 59)...(23 * 60 + 59), using: &rng)
      let local = RFC3339.string(nanoseconds: ns + offsetMinutes * 60_000_000_000)
      let sign = offsetMinutes < 0 ? "-" : "+"
      let h = abs(offsetMinutes) / 60
      let m = abs(offsetMinutes) % 60
      let hh: String = (h < 10 ? "0" : "") + String(h)
      let mm: String = (m < 10 ? "0" : "") + String(m)
      let zone: String = sign + hh + ":" + mm
      let zoned = String(local.dropLast()) + zone
      #expect(parse(zoned) == micros * 1_000, "\(zoned)")
      // A space for the T, and no colon in the zone.
      let spaced = zoned.replacingFirst("T", with: " ").replacingLast(":", with: "")
      #expect(parse(spaced) == micros * 1_000, "\(spaced)")
    }
  }

  @Test("days from civil agrees with RFC3339's civil-from-days")
  func daysFromCivil() {
    #expect(TimestampParser.daysFromCivil(year: 1970, month: 1, day: 1) == 0)
    #expect(TimestampParser.daysFromCivil(year: 1969, month: 12, day: 31) == -1)
    #expect(TimestampParser.daysFromCivil(year: 2000, month: 3, day: 1) == 11_017)
    #expect(TimestampParser.daysFromCivil(year: 1, month: 1, day: 1) == -719_162)
    var rng = SplitMix64(seed: 42)
    for _ in 0..<5_000 {
      let days = Int64.random(in: -1_000_000...1_000_000, using: &rng)
      let (y, m, d) = RFC3339.civil(fromDays: days)
      #expect(TimestampParser.daysFromCivil(year: y, month: m, day: d) == days)
    }
    #expect(TimestampParser.isLeapYear(2000))
    #expect(TimestampParser.isLeapYear(2024))
    #expect(!TimestampParser.isLeapYear(1900))
    #expect(!TimestampParser.isLeapYear(2023))
  }

  @Test func utcDate() {
    #expect(TimestampParser.utcDate(nanoseconds: may1Noon) == (2024, 5, 1))
    #expect(TimestampParser.utcDate(nanoseconds: 0) == (1970, 1, 1))
    #expect(TimestampParser.utcDate(nanoseconds: -1) == (1969, 12, 31))
    #expect(TimestampParser.utcDate(nanoseconds: 951_782_400_000_000_000 - 1) == (2000, 2, 28))
    #expect(TimestampParser.utcDate(nanoseconds: Int64.max) == (2262, 4, 11))
  }

  @Test(
    "epoch numbers: the unit follows the magnitude",
    arguments: [
      (1_714_564_800, 1_714_564_800_000_000_000),  // seconds
      (1_714_564_800_123, 1_714_564_800_123_000_000),  // milliseconds
      (1_714_564_800_123_456, 1_714_564_800_123_456_000),  // microseconds
      (1_714_564_800_123_456_789, 1_714_564_800_123_456_789),  // nanoseconds
      (0, 0),
      (-86_400, -86_400_000_000_000),
      (99_999_999_999, nil),  // seconds, but past 2262
      (100_000_000_000, 100_000_000_000_000_000),  // the first millisecond count
      (Int64.max, Int64.max),
    ] as [(Int64, Int64?)])
  func epochIntegers(_ number: Int64, _ expected: Int64?) {
    #expect(TimestampParser.nanoseconds(epoch: number) == expected)
    #expect(epochLiteral(String(number)) == expected)
  }

  @Test func epochDoubles() {
    #expect(TimestampParser.nanoseconds(epoch: 1_714_564_800.5) == 1_714_564_800_500_000_000)
    #expect(TimestampParser.nanoseconds(epoch: 1_714_564_800_123.0) == 1_714_564_800_123_000_000)
    #expect(TimestampParser.nanoseconds(epoch: 1_714_564_800_123.5) == 1_714_564_800_123_500_000)
    #expect(TimestampParser.nanoseconds(epoch: 1_714_564_800_123_456.0) == 1_714_564_800_123_456_000)
    #expect(TimestampParser.nanoseconds(epoch: 1.7145648001234568e18) == 1_714_564_800_123_456_768)
    #expect(TimestampParser.nanoseconds(epoch: -1.5) == -1_500_000_000)
    #expect(TimestampParser.nanoseconds(epoch: .nan) == nil)
    #expect(TimestampParser.nanoseconds(epoch: .infinity) == nil)
    #expect(TimestampParser.nanoseconds(epoch: 1e19) == nil)
    #expect(TimestampParser.nanoseconds(epoch: 9e10) == nil)  // seconds past 2262
  }

  @Test(
    "epoch literals are read exactly",
    arguments: [
      ("1714564800.123456789", Int64?(1_714_564_800_123_456_789)),
      ("1714564800.1234567891", 1_714_564_800_123_456_789),
      ("1714564800123.456", 1_714_564_800_123_456_000),
      ("1714564800123456.7", 1_714_564_800_123_456_700),
      ("1.7145648e9", 1_714_564_800_000_000_000),
      ("1.7145648E+12", 1_714_564_800_000_000_000),
      ("17145648001234567890e-1", 1_714_564_800_123_456_789),
      ("0.000001", 1_000),
      ("-0.5", -500_000_000),
      ("-0", 0),
      ("007", 7_000_000_000),
      ("", nil), ("-", nil), ("1.", nil), (".5", nil), ("1e", nil), ("1e+", nil), ("12a", nil), ("1.5.5", nil),
      ("+5", nil), ("1 ", nil), ("1e400", nil), ("99999999999999999999999", nil),
    ])
  func epochLiterals(_ text: String, _ expected: Int64?) {
    #expect(epochLiteral(text) == expected, "\(text)")
  }

  @Test("JSON values: strings, numbers and nothing else")
  func jsonValues() throws {
    let json =
      Array(
        #"{"a":"2024-05-01T12:00:00Z","b":1714564800,"c":"1714564800123","d":true,"e":null,"#.utf8)
      + Array(#""f":"2024-05-01T14:00:00\u002B02:00","g":{"x":1},"h":"yesterday","i":1714564800.25}"#.utf8)
    var tape: [JSONToken] = []
    try JSONScanner().scan(json, into: &tape)
    func value(_ key: String) -> Int64? {
      json.withUnsafeBytes { raw -> Int64? in
        guard let v = JSONTape.lookup(path: key, inObjectAt: 0, tape: tape, bytes: raw) else {
          Issue.record("no \(key)")
          return nil
        }
        return TimestampParser.nanoseconds(jsonValueAt: v, tape: tape, bytes: raw)
      }
    }
    #expect(value("a") == may1Noon)
    #expect(value("b") == may1Noon)
    #expect(value("c") == may1Noon + 123_000_000)
    #expect(value("d") == nil)
    #expect(value("e") == nil)
    #expect(value("f") == may1Noon)
    #expect(value("g") == nil)
    #expect(value("h") == nil)
    #expect(value("i") == may1Noon + 250_000_000)
    json.withUnsafeBytes { raw in
      #expect(TimestampParser.nanoseconds(jsonValueAt: 999, tape: tape, bytes: raw) == nil)
    }
  }

  @Test("the first key that reads as a time wins")
  func firstOf() throws {
    let json = Array(#"{"msg":"x","time":"not a time","log":{"ts":"2024-05-01T12:00:00Z"},"ts":1714564801}"#.utf8)
    var tape: [JSONToken] = []
    try JSONScanner().scan(json, into: &tape)
    json.withUnsafeBytes { raw in
      let found = TimestampParser.nanoseconds(firstOf: ["timestamp", "time", "ts"], tape: tape, bytes: raw)
      #expect(found?.nanoseconds == may1Noon + 1_000_000_000)
      #expect(found.map { tape[$0.valueIndex].kind } == .number)
      let nested = TimestampParser.nanoseconds(firstOf: ["log.ts"], tape: tape, bytes: raw)
      #expect(nested?.nanoseconds == may1Noon)
      #expect(TimestampParser.nanoseconds(firstOf: ["time", "nope"], tape: tape, bytes: raw) == nil)
    }
  }
}

extension String {
  fileprivate func replacingFirst(_ target: Character, with replacement: String) -> String {
    guard let i = firstIndex(of: target) else { return self }
    return String(self[..<i]) + replacement + String(self[index(after: i)...])
  }

  fileprivate func replacingLast(_ target: Character, with replacement: String) -> String {
    guard let i = lastIndex(of: target) else { return self }
    return String(self[..<i]) + replacement + String(self[index(after: i)...])
  }
}
