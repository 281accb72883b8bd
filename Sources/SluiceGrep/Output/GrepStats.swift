/// `--stats`: what a run read and matched.
public struct GrepStats: Sendable, Equatable {
  public var linesRead = 0
  public var matched = 0
  /// Lines that began with `{` but were not valid JSON (judged as plain text).
  public var unparsable = 0
  /// Lines cut at the maximum line length.
  public var truncated = 0
  /// Bytes read (after decompression).
  public var bytesRead = 0
  public var seconds = 0.0

  public init() {}

  public mutating func add(_ other: GrepStats) {
    linesRead += other.linesRead
    matched += other.matched
    unparsable += other.unparsable
    truncated += other.truncated
    bytesRead += other.bytesRead
  }

  /// One line for standard error, e.g.
  /// `stats: 1000000 lines read, 1234 matched, 12 unparsable, 311.2 MB in 0.412 s (755.3 MB/s)`.
  public var rendered: String {
    let mb = Double(bytesRead) / 1e6
    let rate = seconds > 0 ? mb / seconds : 0
    var text = "stats: \(linesRead) lines read, \(matched) matched, \(unparsable) unparsable"
    if truncated > 0 { text += ", \(truncated) cut at the line limit" }
    text += ", \(Self.fixed(mb, 1)) MB in \(Self.fixed(seconds, 3)) s (\(Self.fixed(rate, 1)) MB/s)"
    return text
  }

  static func fixed(_ value: Double, _ decimals: Int) -> String {
    var scale = 1.0
    for _ in 0..<decimals { scale *= 10 }
    let n = Int((value * scale).rounded())
    let whole = n / Int(scale)
    let frac = String(n % Int(scale))
    return decimals == 0 ? "\(whole)" : "\(whole)." + String(repeating: "0", count: decimals - frac.count) + frac
  }
}
