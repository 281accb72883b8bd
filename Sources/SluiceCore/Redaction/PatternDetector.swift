/// A user-defined pattern: a POSIX extended regular expression (``POSIXRegex``), compiled
/// once (at configuration load) and run with `regexec` over each text the prefilter lets
/// through; a pattern without metacharacters is searched for as bytes.
///
/// It is far slower than the built-in detectors (see docs/redaction.md for the measured
/// cost); `literal` — a byte string every match must contain, such as `CUST-` — lets it skip
/// texts without it at `memmem` speed.
public struct PatternDetector: Detector {
  public let name: String
  public let pattern: String
  /// Bytes every match contains (optional prefilter).
  public let literal: [UInt8]
  private let regex: POSIXRegex

  public struct InvalidPattern: Error, CustomStringConvertible {
    public var pattern: String
    public var reason: String
    public var description: String { "invalid regular expression '\(pattern)': \(reason)" }
  }

  public init(name: String, pattern: String, literal: String = "") throws {
    self.name = name
    self.pattern = pattern
    self.literal = Array(literal.utf8)
    do {
      regex = try POSIXRegex(pattern, options: .reportsRanges)
    } catch {
      throw InvalidPattern(pattern: pattern, reason: error.reason)
    }
  }

  public func detect(in text: UnsafeRawBufferPointer, rule: Int, into matches: inout [DetectorMatch]) {
    guard !text.isEmpty else { return }
    if !literal.isEmpty && !literal.withUnsafeBytes({ ByteSearch.contains($0, in: text) }) { return }
    var start = 0
    while start < text.count, let m = regex.firstMatch(in: text, from: start) {
      if m.upperBound > m.lowerBound { matches.append(DetectorMatch(range: m, rule: rule)) }
      start = max(m.upperBound, m.lowerBound + 1)
    }
  }
}
