import SluiceCore

/// `--since` / `--until` values.
public enum TimeBound {
  /// What ``parse(_:now:)`` accepts, for error messages.
  static let expected =
    "expected an RFC 3339 time (2026-12-01T10:00:00Z), a date (2026-12-01), a date and time "
    + "(2026-12-01 10:00), a time before now (90s, 15m, 2h, 3d, 1w, 1h30m), now, today or yesterday"

  /// RFC 3339 (`2026-12-01T10:00:00Z`, offsets, fractions), a date (`2026-12-01`, midnight
  /// UTC), a date and time without zone (`2026-12-01 10:00`, `2026-12-01T10:00:00`, read as
  /// UTC — not the local time zone), relative times before `now` (`15m`, `2h`, `3d`, `90s`,
  /// `1w`, `1h30m`), `now`, `today`, `yesterday`. `now` is Unix nanoseconds. Errors say what
  /// was expected.
  ///
  /// - `today` and `yesterday` are the starts of those days in UTC.
  /// - Relative units: `s` seconds, `m` minutes, `h` hours, `d` days (24 h), `w` weeks; parts
  ///   may be combined, largest first or not (`1h30m`, `2d12h`); `0s` is `now`.
  /// - A date and time may omit the seconds (`2026-12-01T10:00Z`, `2026-12-01 10:00+02:00`).
  /// - Surrounding spaces are ignored; everything else is case-sensitive except the `T`/`Z`
  ///   of RFC 3339 and the words.
  /// - Errors are ``InputError``s whose `path` is the text given.
  public static func parse(_ text: String, now: Int64) throws(InputError) -> Int64 {
    let bytes = Array(text.utf8).trimmingSpaces()
    guard !bytes.isEmpty else { throw InputError(path: text, message: "empty time; \(expected)") }
    switch String(decoding: bytes, as: UTF8.self).lowercased() {
    case "now": return now
    case "today": return startOfDay(now)
    case "yesterday": return startOfDay(now) - nanosecondsPerDay
    default: break
    }
    if bytes[0] >= UInt8(ascii: "0") && bytes[0] <= UInt8(ascii: "9") && bytes.count >= 10
      && bytes[4] == UInt8(ascii: "-")
    {
      return try absolute(bytes, text: text)
    }
    return try relative(bytes, text: text, now: now)
  }

  static let nanosecondsPerDay: Int64 = 86_400_000_000_000

  /// Midnight UTC of the day holding `instant`.
  static func startOfDay(_ instant: Int64) -> Int64 {
    instant.dividedWithFloor(by: nanosecondsPerDay) * nanosecondsPerDay
  }

  /// A date, or a date and time with or without seconds, fraction and zone.
  private static func absolute(_ bytes: [UInt8], text: String) throws(InputError) -> Int64 {
    var b = bytes
    if b.count == 10 {
      b += Array("T00:00:00Z".utf8)
    } else if b.count >= 16 && b[13] == UInt8(ascii: ":") && (b.count == 16 || b[16] != UInt8(ascii: ":")) {
      b.insert(contentsOf: Array(":00".utf8), at: 16)  // no seconds
    }
    guard let ns = b.withUnsafeBytes({ TimestampParser.nanoseconds(rfc3339: $0) }) else {
      throw InputError(path: text, message: "not a valid date or time; \(expected)")
    }
    return ns
  }

  /// `<number><unit>` parts, subtracted from `now`.
  private static func relative(_ bytes: [UInt8], text: String, now: Int64) throws(InputError) -> Int64 {
    var i = 0
    var total: Int64 = 0
    while i < bytes.count {
      var amount: Int64 = 0
      let digitsStart = i
      while i < bytes.count, bytes[i] >= UInt8(ascii: "0") && bytes[i] <= UInt8(ascii: "9") {
        let (m, o1) = amount.multipliedReportingOverflow(by: 10)
        let (a, o2) = m.addingReportingOverflow(Int64(bytes[i] - UInt8(ascii: "0")))
        guard !o1 && !o2 else { throw InputError(path: text, message: "time is too far back") }
        amount = a
        i += 1
      }
      guard i > digitsStart, i < bytes.count else {
        throw InputError(path: text, message: "not a time; \(expected)")
      }
      let unit: Int64
      switch bytes[i] {
      case UInt8(ascii: "s"): unit = 1_000_000_000
      case UInt8(ascii: "m"): unit = 60_000_000_000
      case UInt8(ascii: "h"): unit = 3_600_000_000_000
      case UInt8(ascii: "d"): unit = nanosecondsPerDay
      case UInt8(ascii: "w"): unit = 7 * nanosecondsPerDay
      default:
        throw InputError(
          path: text, message: "unknown time unit '\(String(decoding: bytes[i...i], as: UTF8.self))'; \(expected)")
      }
      i += 1
      let (part, o1) = amount.multipliedReportingOverflow(by: unit)
      let (sum, o2) = total.addingReportingOverflow(part)
      guard !o1 && !o2 else { throw InputError(path: text, message: "time is too far back") }
      total = sum
    }
    let (result, overflow) = now.subtractingReportingOverflow(total)
    guard !overflow else { throw InputError(path: text, message: "time is too far back") }
    return result
  }
}

extension Array where Element == UInt8 {
  fileprivate func trimmingSpaces() -> [UInt8] {
    var start = startIndex
    var end = endIndex
    while start < end && (self[start] == 0x20 || self[start] == 0x09) { start += 1 }
    while end > start && (self[end - 1] == 0x20 || self[end - 1] == 0x09) { end -= 1 }
    return Array(self[start..<end])
  }
}
