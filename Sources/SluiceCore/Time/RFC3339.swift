#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// RFC 3339 timestamps written straight into a byte buffer, without `Date` or formatters.
public enum RFC3339 {
  /// "00" to "99", for writing two digits at a time.
  @inlinable
  public static var digitPairs: StaticString {
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899"
  }

  /// The current time as nanoseconds since the Unix epoch.
  @inlinable
  public static func nowNanoseconds() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
  }

  /// Appends `YYYY-MM-DDTHH:MM:SS.ffffffZ` (UTC, microseconds) for `nanoseconds` since the epoch.
  public static func appendMicroseconds(_ nanoseconds: Int64, to out: inout [UInt8]) {
    let micros = nanoseconds.dividedWithFloor(by: 1_000)
    let seconds = micros.dividedWithFloor(by: 1_000_000)
    let fraction = micros - seconds * 1_000_000
    let days = seconds.dividedWithFloor(by: 86_400)
    let secondOfDay = seconds - days * 86_400
    let (y, m, d) = civil(fromDays: days)
    append(y, 4, &out)
    out.append(UInt8(ascii: "-"))
    append(m, 2, &out)
    out.append(UInt8(ascii: "-"))
    append(d, 2, &out)
    out.append(UInt8(ascii: "T"))
    append(secondOfDay / 3600, 2, &out)
    out.append(UInt8(ascii: ":"))
    append(secondOfDay / 60 % 60, 2, &out)
    out.append(UInt8(ascii: ":"))
    append(secondOfDay % 60, 2, &out)
    out.append(UInt8(ascii: "."))
    append(fraction, 6, &out)
    out.append(UInt8(ascii: "Z"))
  }

  /// The timestamp as a string (for tests and diagnostics).
  public static func string(nanoseconds: Int64) -> String {
    var out: [UInt8] = []
    appendMicroseconds(nanoseconds, to: &out)
    return String(decoding: out, as: UTF8.self)
  }

  @inline(__always)
  static func append(_ value: Int64, _ width: Int, _ out: inout [UInt8]) {
    var divisor: Int64 = 1
    for _ in 1..<width { divisor *= 10 }
    var v = value
    while divisor > 0 {
      out.append(UInt8(ascii: "0") + UInt8(v / divisor % 10))
      v %= divisor
      divisor /= 10
    }
  }

  /// Proleptic Gregorian date from days since 1970-01-01 (H. Hinnant's algorithm).
  static func civil(fromDays z0: Int64) -> (Int64, Int64, Int64) {
    let z = z0 + 719_468
    let era = (z >= 0 ? z : z - 146_096) / 146_097
    let doe = z - era * 146_097
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
    let mp = (5 * doy + 2) / 153
    let d = doy - (153 * mp + 2) / 5 + 1
    let m = mp < 10 ? mp + 3 : mp - 9
    return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
  }
}

extension Int64 {
  /// Division rounding towards negative infinity.
  @inlinable
  public func dividedWithFloor(by d: Int64) -> Int64 {
    let q = self / d
    return (self % d != 0 && (self < 0) != (d < 0)) ? q - 1 : q
  }
}

/// Writes RFC 3339 timestamps reusing the `YYYY-MM-DDTHH:MM:SS.` part while the second is
/// the same, so a busy writer formats only the six fraction digits. One per thread.
public struct RFC3339Cache: Sendable {
  @usableFromInline var second: Int64 = .min
  /// `YYYY-MM-DDTHH:MM:SS.ffffffZ` (27 bytes) for the current second; the fraction digits
  /// are overwritten per call.
  @usableFromInline var text: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

  public init() {}

  /// Appends the timestamp for `nanoseconds` since the epoch (UTC, microseconds).
  @inlinable
  public mutating func append<O: JSONOutput>(_ nanoseconds: Int64, to out: inout O) {
    let micros = nanoseconds >= 0 ? nanoseconds / 1_000 : nanoseconds.dividedWithFloor(by: 1_000)
    let second = micros >= 0 ? micros / 1_000_000 : micros.dividedWithFloor(by: 1_000_000)
    if second != self.second { setSecond(second) }
    let fraction = Int(truncatingIfNeeded: micros - second * 1_000_000)
    let pairs = RFC3339.digitPairs.utf8Start
    withUnsafeMutableBytes(of: &text) { buf in
      let hi = fraction / 10_000
      let mid = fraction / 100 % 100
      let lo = fraction % 100
      buf[20] = pairs[2 * hi]
      buf[21] = pairs[2 * hi + 1]
      buf[22] = pairs[2 * mid]
      buf[23] = pairs[2 * mid + 1]
      buf[24] = pairs[2 * lo]
      buf[25] = pairs[2 * lo + 1]
      out.append(bytes: UnsafeRawBufferPointer(rebasing: buf[0..<27]))
    }
  }

  @usableFromInline
  mutating func setSecond(_ second: Int64) {
    var formatted: [UInt8] = []
    RFC3339.appendMicroseconds(second * 1_000_000_000, to: &formatted)
    withUnsafeMutableBytes(of: &text) { buf in
      for (k, b) in formatted.prefix(27).enumerated() { buf[k] = b }
    }
    self.second = second
  }
}
