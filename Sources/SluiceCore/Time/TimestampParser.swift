/// Reads event timestamps as nanoseconds since the Unix epoch, straight from the bytes of a
/// field: RFC 3339 / ISO 8601 text, or an epoch number in seconds, milliseconds, microseconds
/// or nanoseconds (told apart by magnitude).
///
/// Nothing allocates (except to decode a string written with escapes) and nothing goes
/// through Foundation: dates are turned into days with the days-from-civil algorithm on the
/// proleptic Gregorian calendar. Instants that `Int64` nanoseconds cannot hold (before
/// 1677-09-21T00:12:43.145224192Z or after 2262-04-11T23:47:16.854775807Z) give nil.
public enum TimestampParser {

  // MARK: - RFC 3339 / ISO 8601

  /// Parses `YYYY-MM-DDTHH:MM:SS[.fraction][zone]`.
  ///
  /// - The date/time separator is `T`, `t` or a space.
  /// - The fraction (after `.` or `,`) has one or more digits; digits past the ninth
  ///   (below a nanosecond) are dropped, not rounded.
  /// - The zone is `Z`, `z`, `+hh:mm`, `-hh:mm`, `+hhmm`, `-hhmm` or `+hh`/`-hh`. Text without
  ///   a zone is read as UTC.
  /// - Fields are range-checked: month 1–12, day within the month (leap years included),
  ///   hour 0–23, minute 0–59, second 0–60 (a leap second reads as the next minute's first),
  ///   zone hours 0–23 and minutes 0–59. Anything else, or trailing bytes, gives nil.
  public static func nanoseconds(rfc3339 bytes: UnsafeRawBufferPointer) -> Int64? {
    let n = bytes.count
    guard n >= 19,
      let year = digits(bytes, 0, 4), bytes[4] == UInt8(ascii: "-"),
      let month = digits(bytes, 5, 2), bytes[7] == UInt8(ascii: "-"),
      let day = digits(bytes, 8, 2),
      bytes[10] == UInt8(ascii: "T") || bytes[10] == UInt8(ascii: "t") || bytes[10] == UInt8(ascii: " "),
      let hour = digits(bytes, 11, 2), bytes[13] == UInt8(ascii: ":"),
      let minute = digits(bytes, 14, 2), bytes[16] == UInt8(ascii: ":"),
      let second = digits(bytes, 17, 2)
    else { return nil }
    guard month >= 1, month <= 12, day >= 1, day <= daysInMonth(year: year, month: month),
      hour <= 23, minute <= 59, second <= 60
    else { return nil }

    var i = 19
    var fraction: Int64 = 0
    if i < n && (bytes[i] == UInt8(ascii: ".") || bytes[i] == UInt8(ascii: ",")) {
      i += 1
      let start = i
      var place: Int64 = 100_000_000
      while i < n, let d = digit(bytes[i]) {
        fraction += d * place
        place /= 10  // reaches 0 after nine digits: the rest are dropped
        i += 1
      }
      guard i > start else { return nil }
    }

    var offsetSeconds: Int64 = 0  // east of UTC
    if i < n {
      switch bytes[i] {
      case UInt8(ascii: "Z"), UInt8(ascii: "z"):
        i += 1
      case UInt8(ascii: "+"), UInt8(ascii: "-"):
        let sign: Int64 = bytes[i] == UInt8(ascii: "-") ? -1 : 1
        guard let offsetHours = digits(bytes, i + 1, 2), offsetHours <= 23 else { return nil }
        i += 3
        var offsetMinutes: Int64 = 0
        if i < n {
          if bytes[i] == UInt8(ascii: ":") { i += 1 }
          guard let m = digits(bytes, i, 2), m <= 59 else { return nil }
          offsetMinutes = m
          i += 2
        }
        offsetSeconds = sign * (offsetHours * 3600 + offsetMinutes * 60)
      default:
        return nil
      }
    }
    guard i == n else { return nil }

    let days = daysFromCivil(year: year, month: month, day: day)
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds
    // Before 1970 the fraction is added to a negative second count; borrowing one second keeps
    // the product in range down to Int64.min itself.
    let borrow: Int64 = seconds < 0 && fraction > 0 ? 1 : 0
    let (scaled, overflow) = (seconds + borrow).multipliedReportingOverflow(by: 1_000_000_000)
    guard !overflow else { return nil }
    let (total, overflow2) = scaled.addingReportingOverflow(fraction - borrow * 1_000_000_000)
    return overflow2 ? nil : total
  }

  /// Parses RFC 3339 / ISO 8601 text (see ``nanoseconds(rfc3339:)-(UnsafeRawBufferPointer)``).
  public static func nanoseconds(rfc3339 text: String) -> Int64? {
    var text = text
    return text.withUTF8 { nanoseconds(rfc3339: UnsafeRawBufferPointer($0)) }
  }

  // MARK: - Epoch numbers

  /// Below this many units, an epoch number counts seconds (1e11 s is the year 5138).
  static let secondsLimit = 100_000_000_000.0
  /// Below this, milliseconds; then microseconds below ``microsecondsLimit``; then nanoseconds.
  static let millisecondsLimit = 100_000_000_000_000.0
  static let microsecondsLimit = 100_000_000_000_000_000.0

  /// Reads an epoch number whose unit is told by its magnitude: seconds below 1e11,
  /// milliseconds below 1e14, microseconds below 1e17, nanoseconds above. Fractions below a
  /// nanosecond are dropped. Nil for NaN, infinities and out-of-range values.
  public static func nanoseconds(epoch number: Double) -> Int64? {
    guard number.isFinite else { return nil }
    let magnitude = abs(number)
    let scale: Int64 =
      magnitude < secondsLimit
      ? 1_000_000_000 : magnitude < millisecondsLimit ? 1_000_000 : magnitude < microsecondsLimit ? 1_000 : 1
    // The whole part is scaled in integers (a Double product of 1.7e18 is only good to 256 ns),
    // the fraction in floating point.
    let whole = number.rounded(.towardZero)
    // 2^63 is exact in a Double; Int64 holds [-2^63, 2^63).
    guard whole >= -9_223_372_036_854_775_808.0, whole < 9_223_372_036_854_775_808.0 else { return nil }
    let (scaled, overflow) = Int64(whole).multipliedReportingOverflow(by: scale)
    guard !overflow else { return nil }
    let fraction = Int64(((number - whole) * Double(scale)).rounded(.towardZero))
    let (ns, overflow2) = scaled.addingReportingOverflow(fraction)
    return overflow2 ? nil : ns
  }

  /// Reads an integral epoch number by the same magnitude rule as
  /// ``nanoseconds(epoch:)-(Double)``. Nil when the result does not fit.
  public static func nanoseconds(epoch number: Int64) -> Int64? {
    let magnitude = number.magnitude
    let scale: Int64 =
      magnitude < 100_000_000_000
      ? 1_000_000_000
      : magnitude < 100_000_000_000_000 ? 1_000_000 : magnitude < 100_000_000_000_000_000 ? 1_000 : 1
    let (ns, overflow) = number.multipliedReportingOverflow(by: scale)
    return overflow ? nil : ns
  }

  /// Reads a decimal literal (`1714564800`, `-1.5`, `1714564800.123456789`, `1.7e9`: JSON
  /// number syntax, leading zeros allowed) as an epoch number, by the magnitude rule of
  /// ``nanoseconds(epoch:)-(Double)``.
  ///
  /// The digits are read exactly, without going through `Double`, so nanosecond literals and
  /// fractional seconds keep every digit.
  public static func nanoseconds(epochLiteral bytes: UnsafeRawBufferPointer) -> Int64? {
    let n = bytes.count
    var i = 0
    let negative = n > 0 && bytes[0] == UInt8(ascii: "-")
    if negative { i = 1 }
    // value = significand × 10^exponent, with at most 19 significant digits kept.
    var significand: UInt64 = 0
    var kept = 0
    var exponent = 0
    var sawDigit = false
    while i < n, let d = digit(bytes[i]) {
      sawDigit = true
      if kept < 19 {
        if significand != 0 || d != 0 {
          significand = significand * 10 + UInt64(d)
          kept += 1
        }
      } else {
        exponent += 1
      }
      i += 1
    }
    guard sawDigit else { return nil }
    if i < n && bytes[i] == UInt8(ascii: ".") {
      i += 1
      let start = i
      while i < n, let d = digit(bytes[i]) {
        if kept < 19 {
          if significand != 0 || d != 0 {
            significand = significand * 10 + UInt64(d)
            kept += 1
          }
          exponent -= 1
        }
        i += 1
      }
      guard i > start else { return nil }
    }
    if i < n && (bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E")) {
      i += 1
      var exponentSign = 1
      if i < n && (bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-")) {
        if bytes[i] == UInt8(ascii: "-") { exponentSign = -1 }
        i += 1
      }
      let start = i
      var e = 0
      while i < n, let d = digit(bytes[i]) {
        if e < 100_000 { e = e * 10 + Int(d) }
        i += 1
      }
      guard i > start else { return nil }
      exponent += exponentSign * e
    }
    guard i == n else { return nil }
    if significand == 0 { return 0 }

    // The value has `kept + exponent` digits before the decimal point: that picks the unit.
    let integerDigits = kept + exponent
    let unitExponent = integerDigits <= 11 ? 9 : integerDigits <= 14 ? 6 : integerDigits <= 17 ? 3 : 0
    let shift = exponent + unitExponent
    var magnitude: UInt64
    if shift >= 0 {
      guard shift <= 19 else { return nil }
      let (v, overflow) = significand.multipliedReportingOverflow(by: powerOfTen(shift))
      guard !overflow else { return nil }
      magnitude = v
    } else {
      magnitude = -shift > 19 ? 0 : significand / powerOfTen(-shift)
    }
    guard magnitude <= UInt64(Int64.max) else { return nil }
    return negative ? -Int64(magnitude) : Int64(magnitude)
  }

  // MARK: - JSON values

  /// Reads the JSON value at tape index `index` as a timestamp: a number is an epoch number;
  /// a string is RFC 3339 text or, failing that, an epoch number in digits (`"1714564800"`).
  /// Anything else gives nil.
  public static func nanoseconds(
    jsonValueAt index: Int, tape: [JSONToken], bytes: UnsafeRawBufferPointer
  ) -> Int64? {
    guard index >= 0, index < tape.count else { return nil }
    let t = tape[index]
    switch t.kind {
    case .number:
      return nanoseconds(epochLiteral: UnsafeRawBufferPointer(rebasing: bytes[t.range]))
    case .string:
      if !t.hasEscapes { return nanoseconds(text: UnsafeRawBufferPointer(rebasing: bytes[t.range])) }
      // Timestamps are never written with escapes in practice; decoding one may allocate.
      var decoded: [UInt8] = []
      JSONTape.unescape(UnsafeRawBufferPointer(rebasing: bytes[t.range]), into: &decoded)
      return decoded.withUnsafeBytes { nanoseconds(text: $0) }
    default:
      return nil
    }
  }

  /// The time of the first of `keys` (each a key or dotted path, as ``JSONTape/lookup(path:inObjectAt:tape:bytes:)``
  /// reads it) that is present in the object at `object` and reads as a timestamp, with the
  /// tape index of its value. Keys whose value does not read as a time are passed over.
  public static func nanoseconds(
    firstOf keys: [String], inObjectAt object: Int = 0, tape: [JSONToken], bytes: UnsafeRawBufferPointer
  ) -> (nanoseconds: Int64, valueIndex: Int)? {
    for key in keys {
      guard let v = JSONTape.lookup(path: key, inObjectAt: object, tape: tape, bytes: bytes) else { continue }
      if let ns = nanoseconds(jsonValueAt: v, tape: tape, bytes: bytes) { return (ns, v) }
    }
    return nil
  }

  /// String content: RFC 3339 when it has a date's shape, else an epoch literal.
  static func nanoseconds(text: UnsafeRawBufferPointer) -> Int64? {
    if text.count >= 19 && text[4] == UInt8(ascii: "-") { return nanoseconds(rfc3339: text) }
    return nanoseconds(epochLiteral: text)
  }

  // MARK: - Calendar

  /// Days from 1970-01-01 to the given proleptic Gregorian date (negative before it).
  ///
  /// Shifts the year to start in March, so the leap day is the last day of a year, then counts
  /// whole 400-year eras (146,097 days each), years in the era and days in the year.
  public static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
    let y = month <= 2 ? year - 1 : year
    let era = (y >= 0 ? y : y - 399) / 400
    let yearOfEra = y - era * 400  // 0...399
    let shiftedMonth = month > 2 ? month - 3 : month + 9  // March = 0 ... February = 11
    let dayOfYear = (153 * shiftedMonth + 2) / 5 + day - 1  // 0...365
    let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear  // 0...146096
    return era * 146_097 + dayOfEra - 719_468  // 719,468 days from 0000-03-01 to 1970-01-01
  }

  /// The UTC calendar date of an instant given in nanoseconds since the epoch.
  public static func utcDate(nanoseconds: Int64) -> (year: Int64, month: Int64, day: Int64) {
    let (y, m, d) = RFC3339.civil(fromDays: nanoseconds.dividedWithFloor(by: 86_400_000_000_000))
    return (y, m, d)
  }

  /// Whether `year` has a February 29th.
  @inlinable
  public static func isLeapYear(_ year: Int64) -> Bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
  }

  static func daysInMonth(year: Int64, month: Int64) -> Int64 {
    switch month {
    case 2: isLeapYear(year) ? 29 : 28
    case 4, 6, 9, 11: 30
    default: 31
    }
  }

  // MARK: - Digits

  @inline(__always)
  static func digit(_ c: UInt8) -> Int64? {
    c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") ? Int64(c &- UInt8(ascii: "0")) : nil
  }

  /// The value of exactly `count` decimal digits at `at`, or nil.
  @inline(__always)
  static func digits(_ bytes: UnsafeRawBufferPointer, _ at: Int, _ count: Int) -> Int64? {
    guard at + count <= bytes.count else { return nil }
    var v: Int64 = 0
    for k in at..<(at + count) {
      guard let d = digit(bytes[k]) else { return nil }
      v = v * 10 + d
    }
    return v
  }

  @inline(__always)
  static func powerOfTen(_ k: Int) -> UInt64 {
    var p: UInt64 = 1
    for _ in 0..<k { p *= 10 }
    return p
  }
}
