#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A user-defined pattern: a POSIX extended regular expression, compiled once (at
/// configuration load) and run with `regexec` over each text the prefilter lets through.
///
/// It is far slower than the built-in detectors (see docs/redaction.md for the measured
/// cost); `literal` — a byte string every match must contain, such as `CUST-` — lets it skip
/// texts without it at `memmem` speed.
public struct PatternDetector: Detector {
  public let name: String
  public let pattern: String
  /// Bytes every match contains (optional prefilter).
  public let literal: [UInt8]
  private let compiled: Compiled

  /// A compiled expression; `regexec` on it is safe from several threads.
  final class Compiled: @unchecked Sendable {
    var regex = regex_t()
    deinit { regfree(&regex) }
  }

  public struct InvalidPattern: Error, CustomStringConvertible {
    public var pattern: String
    public var reason: String
    public var description: String { "invalid regular expression '\(pattern)': \(reason)" }
  }

  public init(name: String, pattern: String, literal: String = "") throws {
    self.name = name
    self.pattern = pattern
    self.literal = Array(literal.utf8)
    let c = Compiled()
    let rc = regcomp(&c.regex, pattern, REG_EXTENDED)
    if rc != 0 {
      var buffer = [CChar](repeating: 0, count: 256)
      regerror(rc, &c.regex, &buffer, buffer.count)
      throw InvalidPattern(pattern: pattern, reason: String(cString: buffer))
    }
    compiled = c
  }

  /// Whether `text` contains `needle` (memchr for its first byte, then memcmp).
  static func contains(_ text: UnsafeRawBufferPointer, _ needle: [UInt8]) -> Bool {
    guard let base = text.baseAddress, needle.count <= text.count else { return false }
    return needle.withUnsafeBytes { nd in
      let first = Int32(nd[0])
      var i = 0
      let last = text.count - nd.count
      while i <= last, let hit = memchr(base + i, first, last - i + 1) {
        let at = UnsafeRawPointer(hit) - base
        if memcmp(hit, nd.baseAddress!, nd.count) == 0 { return true }
        i = at + 1
      }
      return false
    }
  }

  public func detect(in text: UnsafeRawBufferPointer, rule: Int, into matches: inout [DetectorMatch]) {
    guard let base = text.baseAddress, !text.isEmpty else { return }
    if !literal.isEmpty && !Self.contains(text, literal) { return }
    // REG_STARTEND: the text needs no terminating NUL, and may contain NULs.
    var start = 0
    var m = regmatch_t()
    base.withMemoryRebound(to: CChar.self, capacity: text.count) { p in
      while start < text.count {
        m.rm_so = regoff_t(start)
        m.rm_eo = regoff_t(text.count)
        let flags = REG_STARTEND | (start > 0 ? REG_NOTBOL : 0)
        guard regexec(&compiled.regex, p, 1, &m, flags) == 0 else { break }
        let lo = Int(m.rm_so)
        let hi = Int(m.rm_eo)
        if hi > lo { matches.append(DetectorMatch(range: lo..<hi, rule: rule)) }
        start = max(hi, lo + 1)
      }
    }
  }
}
