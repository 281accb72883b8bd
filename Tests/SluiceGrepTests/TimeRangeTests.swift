import Testing

@testable import SluiceGrep

/// The fixed `now` of these tests: 2026-12-01T12:34:56.789Z.
private let now: Int64 = 1_796_128_496_789_000_000
private let second: Int64 = 1_000_000_000
private let minute = 60 * second
private let hour = 60 * minute
private let day = 24 * hour

private func bound(_ text: String) -> Int64? { try? TimeBound.parse(text, now: now) }

private let absoluteForms: [(String, Int64)] = [
  ("2026-12-01T10:00:00Z", dec1At10),
  ("2026-12-01T10:00:00.5Z", dec1At10 + 500_000_000),
  ("2026-12-01T10:00:00.123456789Z", dec1At10 + 123_456_789),
  ("2026-12-01T11:00:00+01:00", dec1At10),
  ("2026-12-01T05:00:00-05:00", dec1At10),
  ("2026-12-01t10:00:00z", dec1At10),
  ("2026-12-01", dec1At10 - 10 * hour),
  ("2026-12-01 10:00", dec1At10),
  ("2026-12-01T10:00", dec1At10),
  ("2026-12-01 10:00:00", dec1At10),
  ("2026-12-01T10:00:00", dec1At10),
  ("2026-12-01T10:00Z", dec1At10),
  ("2026-12-01 12:00+02:00", dec1At10),
  ("  2026-12-01T10:00:00Z  ", dec1At10),
  ("2024-02-29", 1_709_164_800 * second),
]

private let relativeForms: [(String, Int64)] = [
  ("90s", 90 * second), ("15m", 15 * minute), ("2h", 2 * hour), ("3d", 3 * day), ("1w", 7 * day),
  ("1h30m", 90 * minute), ("2d12h", 60 * hour), ("30m1h", 90 * minute), ("0s", 0),
  ("1w2d3h4m5s", 9 * day + 3 * hour + 4 * minute + 5 * second),
]

@Suite("TimeBound")
struct TimeRangeTests {
  @Test("absolute forms", arguments: absoluteForms)
  func absolute(text: String, expected: Int64) {
    #expect(bound(text) == expected)
  }

  @Test("relative forms", arguments: relativeForms)
  func relative(text: String, ago: Int64) {
    #expect(bound(text) == now - ago)
  }

  @Test("now, today, yesterday")
  func words() throws {
    let midnight = dec1At10 - 10 * hour
    #expect(bound("now") == now)
    #expect(bound("today") == midnight)
    #expect(bound("yesterday") == midnight - day)
    #expect(bound("Today") == midnight)
    // Before 1970, today is still the start of the UTC day.
    #expect(try TimeBound.parse("today", now: -1) == -day)
  }

  @Test(
    "errors say what was expected",
    arguments: [
      "", "soon", "15", "15x", "h", "2026-13-01", "2026-12-32", "2026-12-01T25:00", "2026-12-01 10", "1.5h",
      "-15m", "2026-12-01T10:00:00Q",
    ])
  func errors(text: String) {
    let error = #expect(throws: InputError.self) { try TimeBound.parse(text, now: now) }
    #expect(error?.path == text)
    #expect(error?.message.contains("expected") == true, "\(String(describing: error))")
  }

  @Test("an unknown unit is named")
  func unknownUnit() {
    let error = #expect(throws: InputError.self) { try TimeBound.parse("3y", now: now) }
    #expect(error?.message.hasPrefix("unknown time unit 'y'") == true)
  }

  @Test("too far back")
  func overflow() {
    let error = #expect(throws: InputError.self) { try TimeBound.parse("999999999999w", now: now) }
    #expect(error?.message == "time is too far back")
    #expect(throws: InputError.self) { try TimeBound.parse("99999999999999999999s", now: now) }
  }
}
