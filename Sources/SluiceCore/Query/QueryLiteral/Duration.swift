/// Durations in queries and in log values, in integer nanoseconds.
///
/// A duration is one or more `number unit` parts, optionally signed: `500ms`, `1.5m`, `2h`,
/// `1d`, `250us` (or `µs`), `10ns`, Go's `1m30s` and `1h2m3.5s`. Units: `ns`, `us`/`µs`/`μs`,
/// `ms`, `s`, `m`, `h`, `d` (24 h). Fractions are exact to the nanosecond (`1.5s` is
/// 1 500 000 000 ns). Parsing reads bytes and allocates nothing.
enum QueryDuration {
  /// Parses a duration (see the type's documentation), or nil.
  static func nanoseconds(parsing text: String) -> Int64? {
    var text = text
    return text.withUTF8 { nanoseconds(parsing: UnsafeRawBufferPointer($0)) }
  }

  /// ``nanoseconds(parsing:)`` on UTF-8 bytes. `"0"` alone is a duration (as in Go).
  static func nanoseconds(parsing b: UnsafeRawBufferPointer) -> Int64? {
    let n = b.count
    var i = 0
    var negative = false
    if i < n && (b[i] == UInt8(ascii: "-") || b[i] == UInt8(ascii: "+")) {
      negative = b[i] == UInt8(ascii: "-")
      i += 1
    }
    if i + 1 == n && b[i] == UInt8(ascii: "0") { return 0 }
    guard i < n else { return nil }
    var total: Int64 = 0
    while i < n {
      // The number: integer part and fraction, as digits.
      var whole: Int64 = 0
      var fraction: Int64 = 0
      var scale: Int64 = 1
      var digits = 0
      while i < n && QueryNumber.isDigit(b[i]) {
        let (m, o1) = whole.multipliedReportingOverflow(by: 10)
        let (s, o2) = m.addingReportingOverflow(Int64(b[i] - UInt8(ascii: "0")))
        guard !o1 && !o2 else { return nil }
        whole = s
        i += 1
        digits += 1
      }
      if i < n && b[i] == UInt8(ascii: ".") {
        i += 1
        while i < n && QueryNumber.isDigit(b[i]) {
          // Digits past nanosecond precision of a day are dropped.
          if scale < 1_000_000_000_000_000 {
            fraction = fraction * 10 + Int64(b[i] - UInt8(ascii: "0"))
            scale *= 10
          }
          i += 1
          digits += 1
        }
      }
      guard digits > 0 else { return nil }
      // The unit.
      let unitStart = i
      while i < n && !QueryNumber.isDigit(b[i]) && b[i] != UInt8(ascii: ".") { i += 1 }
      guard let unit = unitNanoseconds(UnsafeRawBufferPointer(rebasing: b[unitStart..<i])) else { return nil }
      let (w, o1) = whole.multipliedReportingOverflow(by: unit)
      guard !o1 else { return nil }
      // fraction/scale of a unit, exact when it divides (unit ≤ 8.64e13, fraction < scale ≤ 1e18:
      // computed as a Double only when the product would overflow).
      let (fp, o2) = fraction.multipliedReportingOverflow(by: unit)
      let part = o2 ? Int64((Double(fraction) / Double(scale) * Double(unit)).rounded()) : fp / scale
      let (sum1, o3) = total.addingReportingOverflow(w)
      let (sum2, o4) = sum1.addingReportingOverflow(part)
      guard !o3 && !o4 else { return nil }
      total = sum2
    }
    return negative ? -total : total
  }

  /// Nanoseconds in one of the units a duration is written in, or nil.
  static func unitNanoseconds(_ u: UnsafeRawBufferPointer) -> Int64? {
    switch u.count {
    case 1:
      switch u[0] {
      case UInt8(ascii: "s"): return 1_000_000_000
      case UInt8(ascii: "m"): return 60_000_000_000
      case UInt8(ascii: "h"): return 3_600_000_000_000
      case UInt8(ascii: "d"): return 86_400_000_000_000
      default: return nil
      }
    case 2:
      guard u[1] == UInt8(ascii: "s") else { return nil }
      switch u[0] {
      case UInt8(ascii: "n"): return 1
      case UInt8(ascii: "u"): return 1_000
      case UInt8(ascii: "m"): return 1_000_000
      default: return nil
      }
    case 3:
      // µ (U+00B5 MICRO SIGN, C2 B5) or μ (U+03BC GREEK SMALL LETTER MU, CE BC), then s.
      guard u[2] == UInt8(ascii: "s") else { return nil }
      if (u[0] == 0xC2 && u[1] == 0xB5) || (u[0] == 0xCE && u[1] == 0xBC) { return 1_000 }
      return nil
    default: return nil
    }
  }

  /// The unit (in nanoseconds) of a number in a field named `key`, from its suffix:
  ///
  /// - `_ns`, `_nanos`, `_nano`, `_nsec`, `_nanoseconds` (and camelCase `Ns`, `Nanos`): 1 ns;
  /// - `_us`, `_micros`, `_micro`, `_usec`, `_microseconds` (`Us`, `Micros`): 1 µs;
  /// - `_ms`, `_millis`, `_milli`, `_msec`, `_milliseconds` (`Ms`, `Millis`): 1 ms;
  /// - `_s`, `_sec`, `_secs`, `_seconds` (`Sec`, `Secs`, `Seconds`): 1 s;
  /// - `_min`, `_mins`, `_minutes` (`Min`, `Minutes`): 1 minute; `_h`, `_hours` (`Hours`): 1 h;
  ///
  /// `-` works as `_`, and a key that is only the unit (`ms` in `duration.ms`) counts too.
  /// Anything else: seconds.
  static func unitNanoseconds(forFieldNamed key: String) -> Int64 {
    let units: [(names: [String], nanoseconds: Int64)] = [
      (["ns", "nanos", "nano", "nsec", "nanoseconds", "nanosecond"], 1),
      (["us", "µs", "micros", "micro", "usec", "microseconds", "microsecond"], 1_000),
      (["ms", "millis", "milli", "msec", "milliseconds", "millisecond"], 1_000_000),
      (["s", "sec", "secs", "seconds", "second"], 1_000_000_000),
      (["min", "mins", "minutes", "minute"], 60_000_000_000),
      (["h", "hours", "hour"], 3_600_000_000_000),
    ]
    // The part after the last `_` or `-`, or a camelCase tail (`latencyMs`).
    let suffix: Substring
    if let cut = key.lastIndex(where: { $0 == "_" || $0 == "-" }) {
      suffix = key[key.index(after: cut)...].lowercased()[...]
    } else if let cut = key.indices.last(where: { i in
      i != key.startIndex && key[i].isUppercase && !key[key.index(before: i)].isUppercase
    }) {
      suffix = key[cut...].lowercased()[...]
    } else {
      suffix = key[...]
    }
    for unit in units where unit.names.contains(String(suffix)) { return unit.nanoseconds }
    return 1_000_000_000
  }
}
