#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A POSIX extended regular expression (`regcomp` with `REG_EXTENDED`), compiled once and
/// matched over bytes with `regexec` and `REG_STARTEND`: the text needs no terminating NUL
/// (and may contain NULs), so no copy is made.
///
/// A pattern without metacharacters (`timeout`, `/api/v1`, or `example\.com`, whose escapes
/// stand for themselves) is not handed to `regcomp` at all: it is searched for as bytes
/// (`memmem`, or an ASCII case-folding search with ``Options/ignoreCase``), which finds
/// exactly what `regexec` would, much faster.
///
/// Matching reads only what `regcomp` wrote, so one instance may be used from several
/// threads at once (glibc serializes `regexec` calls on one expression internally).
/// Matching happens in the C locale unless the program changed it: bytes, `.` is one byte,
/// and `ignoreCase` folds ASCII letters only.
public final class POSIXRegex: @unchecked Sendable {
  /// How a pattern is compiled.
  public struct Options: OptionSet, Sendable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }
    /// ASCII letters match either case (`REG_ICASE`).
    public static let ignoreCase = Options(rawValue: 1)
    /// ``firstMatch(in:from:)`` is used: keep match positions (without it `REG_NOSUB`
    /// lets `regexec` stop at the first match).
    public static let reportsRanges = Options(rawValue: 2)
  }

  /// A pattern that does not compile, with `regerror`'s explanation.
  public struct CompileError: Error, Sendable, Equatable, CustomStringConvertible {
    public var pattern: String
    public var reason: String
    public var description: String { "invalid regular expression '\(pattern)': \(reason)" }
  }

  /// The pattern as given.
  public let pattern: String
  /// The bytes the pattern matches when it has no metacharacters (escapes resolved), or nil.
  public let literal: [UInt8]?
  public let options: Options
  /// The compiled expression; nil for a literal pattern.
  private let regex: UnsafeMutablePointer<regex_t>?

  /// Compiles `pattern`.
  /// - Throws: ``CompileError`` with `regerror`'s message if it is not a valid extended
  ///   regular expression, or if it contains a NUL character (which `regcomp` cannot see) or
  ///   repetitions that would make `regcomp` use exponential memory (``RegexCost``).
  public init(_ pattern: String, options: Options = []) throws(CompileError) {
    self.pattern = pattern
    self.options = options
    if let bytes = Self.literalBytes(of: pattern) {
      literal = options.contains(.ignoreCase) ? bytes.map(ByteSearch.foldASCII) : bytes
      regex = nil
      return
    }
    literal = nil
    if pattern.utf8.contains(0) { throw CompileError(pattern: pattern, reason: "the pattern contains a NUL character") }
    if let problem = RegexCost.problem(in: pattern) { throw CompileError(pattern: pattern, reason: problem) }
    let r = UnsafeMutablePointer<regex_t>.allocate(capacity: 1)
    var flags = REG_EXTENDED
    if options.contains(.ignoreCase) { flags |= REG_ICASE }
    if !options.contains(.reportsRanges) { flags |= REG_NOSUB }
    let rc = regcomp(r, pattern, flags)
    guard rc == 0 else {
      var buffer = [CChar](repeating: 0, count: 256)
      regerror(rc, r, &buffer, buffer.count)
      r.deallocate()
      let reason = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
      throw CompileError(pattern: pattern, reason: reason)
    }
    regex = r
  }

  deinit {
    if let regex {
      regfree(regex)
      regex.deallocate()
    }
  }

  /// Whether the pattern matches anywhere in `text`.
  public func matches(_ text: UnsafeRawBufferPointer) -> Bool {
    if let literal { return find(literal, in: text) != nil }
    guard let regex else { return false }
    return execute(regex, text, from: 0, positions: nil)
  }

  /// The first match starting at or after `start` (`^` does not match there unless `start`
  /// is 0), or nil. Needs ``Options/reportsRanges`` for a pattern with metacharacters.
  public func firstMatch(in text: UnsafeRawBufferPointer, from start: Int = 0) -> Range<Int>? {
    if let literal {
      guard start <= text.count, let i = find(literal, in: UnsafeRawBufferPointer(rebasing: text[start...])) else {
        return nil
      }
      return start + i..<start + i + literal.count
    }
    guard let regex, options.contains(.reportsRanges) else { return nil }
    var m = regmatch_t()
    guard execute(regex, text, from: start, positions: &m) else { return nil }
    return Int(m.rm_so)..<Int(m.rm_eo)
  }

  private func find(_ literal: [UInt8], in text: UnsafeRawBufferPointer) -> Int? {
    literal.withUnsafeBytes { needle in
      options.contains(.ignoreCase)
        ? ByteSearch.firstIndex(ofLowercased: needle, ignoringASCIICaseIn: text)
        : ByteSearch.firstIndex(of: needle, in: text)
    }
  }

  private func execute(
    _ regex: UnsafeMutablePointer<regex_t>, _ text: UnsafeRawBufferPointer, from start: Int,
    positions: UnsafeMutablePointer<regmatch_t>?
  ) -> Bool {
    #if FUZZING
      // AddressSanitizer's regexec interceptor checks `strlen(string) + 1` bytes, ignoring
      // REG_STARTEND, and so reports a read past any text without a NUL after it (glibc
      // itself reads only the range). Fuzz builds hand regexec a NUL-terminated copy.
      if text.last != 0 {
        var copy = [UInt8](text)
        copy.append(0)
        return copy.withUnsafeBytes {
          regexecRange(regex, UnsafeRawBufferPointer(rebasing: $0[..<text.count]), from: start, positions: positions)
        }
      }
    #endif
    return regexecRange(regex, text, from: start, positions: positions)
  }

  /// `regexec` on `text[start...]` with REG_STARTEND: no NUL needed after the text.
  private func regexecRange(
    _ regex: UnsafeMutablePointer<regex_t>, _ text: UnsafeRawBufferPointer, from start: Int,
    positions: UnsafeMutablePointer<regmatch_t>?
  ) -> Bool {
    // REG_STARTEND reads the range from pmatch[0] even when no positions are asked for.
    var range = regmatch_t()
    range.rm_so = regoff_t(start)
    range.rm_eo = regoff_t(text.count)
    let flags = REG_STARTEND | (start > 0 ? REG_NOTBOL : 0)
    // An empty buffer may have no address; any valid pointer will do for an empty range.
    let base = text.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!
    return base.withMemoryRebound(to: CChar.self, capacity: max(text.count, 1)) { p in
      if let positions {
        positions.pointee = range
        return regexec(regex, p, 1, positions, flags) == 0
      }
      return regexec(regex, p, 0, &range, flags) == 0
    }
  }

  /// The bytes `pattern` matches when it is made of ordinary characters only (a backslash
  /// before a metacharacter makes it ordinary), or nil.
  public static func literalBytes(of pattern: String) -> [UInt8]? {
    var out: [UInt8] = []
    var escaped = false
    for b in pattern.utf8 {
      if escaped {
        guard isMetacharacter(b) else { return nil }  // `\w`, `\<`: GNU operators
        out.append(b)
        escaped = false
      } else if b == UInt8(ascii: "\\") {
        escaped = true
      } else if isMetacharacter(b) || b == 0 {
        return nil
      } else {
        out.append(b)
      }
    }
    return escaped ? nil : out
  }

  /// `. [ ] ( ) * + ? { } | ^ $ \`
  static func isMetacharacter(_ b: UInt8) -> Bool {
    switch b {
    case UInt8(ascii: "."), UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: "("), UInt8(ascii: ")"),
      UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "?"), UInt8(ascii: "{"), UInt8(ascii: "}"),
      UInt8(ascii: "|"), UInt8(ascii: "^"), UInt8(ascii: "$"), UInt8(ascii: "\\"):
      true
    default: false
    }
  }
}
