import Foundation
import Logging
import SluiceCore
import Testing

@testable import SluiceLog

/// Random events from a seeded generator: every line must be one line of valid JSON (for
/// `JSONValue.parse` and for Python's `json`), and must carry exactly what was logged.
struct PropertyTests {
  struct RandomError: Error, CustomStringConvertible {
    var description: String
  }

  struct Custom: CustomStringConvertible, Sendable {
    var description: String
  }

  /// One generated log call and the line it must produce.
  struct Sample {
    var level: Logger.Level
    var message: String
    var metadata: Logger.Metadata
    var error: RandomError?
    /// Metadata members as they must appear (keys sorted, values typed).
    var expected: [JSONMember]
  }

  struct Generator {
    var rng: SplitMix64
    /// Probability (per mille) of a ` x@example.com ` inside a string.
    var emailPerMille = 0

    init(seed: UInt64) { rng = SplitMix64(seed: seed) }

    mutating func below(_ n: Int) -> Int { Int(rng.next() % UInt64(n)) }
    mutating func chance(perMille: Int) -> Bool { below(1000) < perMille }

    mutating func scalar() -> Unicode.Scalar {
      func s(_ v: UInt32) -> Unicode.Scalar { Unicode.Scalar(v)! }
      switch below(100) {
      case 0..<30: return s(UInt32(0x20 + below(0x5F)))  // printable ASCII
      case 30..<40: return ["\"", "\\", "/", "'", "{", "}"][below(6)]
      case 40..<55: return below(33) == 32 ? s(0x7F) : s(UInt32(below(0x20)))  // C0 controls, DEL
      case 55..<60: return s([0x2028, 0x2029, 0x85, 0xFEFF, 0xFFFE, 0xFFFF, 0xFFFD][below(7)])
      case 60..<75:
        let v = UInt32(0x80 + below(0xFFFF - 0x80))
        return (0xD800...0xDFFF).contains(v) ? s(0xE000) : s(v)
      case 75..<85: return s([0x1F600, 0x1F469, 0x200D, 0x1F4BB, 0xFE0F, 0x1F1EB, 0x1F1F7, 0x1FAE0][below(8)])
      case 85..<90: return s(UInt32(0x300 + below(0x70)))  // combining marks
      default: return s(UInt32(0x10000 + below(0x10FFFF - 0x10000 + 1)))
      }
    }

    mutating func string(maxScalars: Int) -> String {
      var u = String.UnicodeScalarView()
      for _ in 0..<below(maxScalars + 1) { u.append(scalar()) }
      var text = String(u)
      if emailPerMille > 0 && chance(perMille: emailPerMille) { text += " x@example.com " + string(maxScalars: 8) }
      return text
    }

    /// Up to 100 KiB of UTF-8.
    mutating func longString() -> String {
      let target = 1 + below(100 * 1024)
      var u = String.UnicodeScalarView()
      var bytes = 0
      while true {
        let c = scalar()
        if bytes + c.utf8.count > target { break }
        bytes += c.utf8.count
        u.append(c)
      }
      return String(u)
    }

    mutating func message() -> String {
      chance(perMille: 12) ? longString() : string(maxScalars: below(10) == 0 ? 400 : 60)
    }

    /// A key that is never a secret name nor a reserved field: `k` and no separators.
    mutating func key() -> String {
      var u = String.UnicodeScalarView()
      u.append("k")
      for _ in 0..<below(12) {
        let c = scalar()
        if c != "_" && c != "-" && c != "." { u.append(c) }
      }
      return String(u)
    }

    mutating func double() -> Double {
      let special: [Double] = [
        .nan, -.nan, .signalingNaN, .infinity, -.infinity, -0.0, 0.0, .leastNonzeroMagnitude,
        -.leastNormalMagnitude, .greatestFiniteMagnitude, -.greatestFiniteMagnitude, 1e15, -1e15, 1e15 - 1,
        999_999_999_999_999.5, 0.1, 1.0 / 3.0, 123_456_789.125, 4.9406564584124654e-324, 1e300, -2.5e-8,
      ]
      switch below(3) {
      case 0: return special[below(special.count)]
      case 1: return Double(bitPattern: rng.next())
      default: return Double(Int64(bitPattern: rng.next()) % 1_000_000) / Double(1 + below(1000))
      }
    }

    static func expected(_ d: Double) -> JSONValue {
      if d.isNaN { return "NaN" }
      if d.isInfinite { return d < 0 ? "-Infinity" : "Infinity" }
      return .double(d)
    }

    mutating func value(depth: Int) -> (Logger.MetadataValue, JSONValue) {
      switch below(depth >= 4 ? 9 : 11) {
      case 0, 1:
        let s = chance(perMille: 5) ? longString() : string(maxScalars: 30)
        return (.string(s), .string(s))
      case 2:
        let i = [Int.min, Int.max, 0, -1, 1, Int(truncatingIfNeeded: rng.next()), below(1000)][below(7)]
        return (.stringConvertible(i), .int(Int64(i)))
      case 3:
        let d = double()
        return (.stringConvertible(d), Self.expected(d))
      case 4:
        let b = below(2) == 0
        return (.stringConvertible(b), .bool(b))
      case 5:
        let u = [UInt64.max, UInt64(Int64.max), UInt64(Int64.max) + 1, rng.next()][below(4)]
        return (.stringConvertible(u), u <= UInt64(Int64.max) ? .int(Int64(u)) : .double(Double(u)))
      case 6:
        let f = Float(bitPattern: UInt32(truncatingIfNeeded: rng.next()))
        return (.stringConvertible(f), Self.expected(Double(f)))
      case 7:
        let i = Int32(truncatingIfNeeded: rng.next())
        return (.stringConvertible(i), .int(Int64(i)))
      case 8:
        let c = Custom(description: string(maxScalars: 20))
        return (.stringConvertible(c), .string(c.description))
      case 9:
        let (m, members) = metadata(depth: depth + 1, maxCount: 5)
        return (.dictionary(m), .object(members))
      default:
        var items: [Logger.MetadataValue] = []
        var expected: [JSONValue] = []
        for _ in 0..<below(6) {
          let (v, e) = value(depth: depth + 1)
          items.append(v)
          expected.append(e)
        }
        return (.array(items), .array(expected))
      }
    }

    mutating func metadata(depth: Int, maxCount: Int) -> (Logger.Metadata, [JSONMember]) {
      var m: Logger.Metadata = [:]
      var e: [String: JSONValue] = [:]
      for _ in 0..<below(maxCount + 1) {
        let k = key()
        let (v, x) = value(depth: depth)
        m[k] = v
        e[k] = x
      }
      // Keys as the dictionary stores them (canonically equal keys collapse into one), in
      // SluiceLog's order: by UTF-8 bytes, not by Swift's canonical string ordering.
      return (m, m.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }.map { JSONMember($0, e[$0]!) })
    }

    mutating func sample() -> Sample {
      let level = Logger.Level.allCases[below(7)]
      let message = message()
      let (metadata, expected) = below(5) == 0 ? ([:], []) : metadata(depth: 1, maxCount: 6)
      let error = below(10) == 0 ? RandomError(description: string(maxScalars: 40)) : nil
      return Sample(level: level, message: message, metadata: metadata, error: error, expected: expected)
    }
  }

  /// Strict equality: strings compared scalar by scalar (not by canonical equivalence).
  static func same(_ a: JSONValue, _ b: JSONValue) -> Bool {
    switch (a, b) {
    case (.string(let x), .string(let y)): return x.unicodeScalars.elementsEqual(y.unicodeScalars)
    case (.array(let x), .array(let y)): return x.count == y.count && zip(x, y).allSatisfy { same($0, $1) }
    case (.object(let x), .object(let y)):
      return x.count == y.count
        && zip(x, y).allSatisfy { same(.string($0.key), .string($1.key)) && same($0.value, $1.value) }
    default: return a == b
    }
  }

  /// Loads every line of each file with Python's `json` (no NaN/Infinity, no duplicate keys,
  /// strict UTF-8), writes the value at `key` of each line, length-prefixed, to `<file>.out`
  /// and prints the number of lines loaded per file.
  static let pythonChecker = """
    import json, struct, sys
    def reject(c): raise ValueError('bare constant ' + c)
    def pairs(p):
        ks = [k for k, _ in p]
        if len(set(ks)) != len(ks): raise ValueError('duplicate key')
        return dict(p)
    key = sys.argv[1]
    for path in sys.argv[2:]:
        data = open(path, 'rb').read()
        if not data.endswith(b'\\n'): raise SystemExit('no final newline in ' + path)
        n = 0
        with open(path + '.out', 'wb') as out:
            for i, raw in enumerate(data[:-1].split(b'\\n')):
                try:
                    obj = json.loads(raw.decode('utf-8'), parse_constant=reject, object_pairs_hook=pairs)
                    if not isinstance(obj, dict): raise ValueError('not an object')
                    m = obj[key].encode('utf-8')
                except Exception as e:
                    print('line %d: %r' % (i, e))
                    continue
                out.write(struct.pack('<I', len(m)))
                out.write(m)
                n += 1
        print(n)
    """

  /// The strings Python wrote to `<path>.out`.
  static func pythonStrings(_ path: String) throws -> [String] {
    let data = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path + ".out")))
    var out: [String] = []
    var i = 0
    while i + 4 <= data.count {
      let n = Int(data[i]) | Int(data[i + 1]) << 8 | Int(data[i + 2]) << 16 | Int(data[i + 3]) << 24
      i += 4
      try #require(i + n <= data.count)
      out.append(try #require(String(validating: data[i..<(i + n)], as: UTF8.self)))
      i += n
    }
    return out
  }

  @Test func randomEventsProduceOneValidLineEach() throws {
    var gen = Generator(seed: 0x5EED_2026_0001)
    let samples = (0..<2000).map { _ in gen.sample() }
    let log = try TestLog()
    let logger = log.logger()
    for s in samples { logger.log(level: s.level, "\(s.message)", error: s.error, metadata: s.metadata) }

    let bytes = try log.bytes()
    #expect(bytes.filter { $0 == 0x0A }.count == samples.count, "one newline per event")
    #expect(!bytes.contains(0x0D))
    let lines = try TestLog.splitLines(bytes)
    try #require(lines.count == samples.count)
    var failures = 0
    for (k, (line, s)) in zip(lines, samples).enumerated() where failures < 10 {
      let v: JSONValue
      do {
        v = try JSONValue.parse(line)
      } catch {
        failures += 1
        Issue.record("line \(k) does not parse: \(error): \(line.prefix(300))")
        continue
      }
      guard case .object(let members) = v else {
        failures += 1
        Issue.record("line \(k) is not an object")
        continue
      }
      var expected = [
        JSONMember("level", .string(s.level.rawValue)), JSONMember("message", .string(s.message)),
        JSONMember("logger", "test.logger"), JSONMember("service", "svc"),
      ]
      expected += s.expected
      if let e = s.error {
        expected += [
          JSONMember("error.type", .string(String(reflecting: RandomError.self))),
          JSONMember("error.message", .string(e.description)),
        ]
      }
      let actual = Array(members.dropFirst())
      if members.first?.key != "timestamp" || !Self.same(.object(actual), .object(expected)) {
        failures += 1
        Issue.record("line \(k) differs from what was logged:\n\(line.prefix(2000))\nexpected \(expected)")
      }
    }
    #expect(failures == 0)

    let result = try runPython(Self.pythonChecker, ["message", log.path])
    #expect(result.status == 0, "\(result.output.prefix(2000))")
    #expect(result.output == "\(samples.count)\n", "\(result.output.prefix(2000))")
    let messages = try Self.pythonStrings(log.path)
    try #require(messages.count == samples.count)
    let mismatched = zip(messages, samples).filter { !$0.unicodeScalars.elementsEqual($1.message.unicodeScalars) }
    #expect(mismatched.isEmpty, "\(mismatched.count) messages differ after Python's json.loads")
  }

  /// The same through value redaction (the line is re-scanned and rewritten) and the OTel layout.
  @Test func randomEventsThroughValueRedaction() throws {
    var gen = Generator(seed: 0x5EED_2026_0002)
    gen.emailPerMille = 200
    let samples = (0..<600).map { _ in gen.sample() }
    let log = try TestLog()
    let logger = log.logger {
      $0.schema = .otel
      $0.valueDetectors = [EmailDetector()]
    }
    for s in samples { logger.log(level: s.level, "\(s.message)", error: s.error, metadata: s.metadata) }

    let bytes = try log.bytes()
    #expect(bytes.filter { $0 == 0x0A }.count == samples.count)
    let lines = try TestLog.splitLines(bytes)
    try #require(lines.count == samples.count)
    func redacted(_ v: JSONValue) -> JSONValue {
      switch v {
      case .string(let s): return .string(s.replacingOccurrences(of: "x@example.com", with: "[REDACTED:email]"))
      case .array(let items): return .array(items.map(redacted))
      case .object(let members): return .object(members.map { JSONMember($0.key, redacted($0.value)) })
      default: return v
      }
    }
    var failures = 0
    var redactions = 0
    for (k, (line, s)) in zip(lines, samples).enumerated() where failures < 10 {
      guard let v = try? JSONValue.parse(line) else {
        failures += 1
        Issue.record("line \(k) does not parse: \(line.prefix(300))")
        continue
      }
      redactions += occurrences(of: "[REDACTED:email]", in: line)
      var attributes = [JSONMember("logger", "test.logger")] + s.expected
      if let e = s.error {
        attributes += [
          JSONMember("exception.type", .string(String(reflecting: RandomError.self))),
          JSONMember("exception.message", .string(e.description)),
        ]
      }
      let ok =
        Self.same(v["body"] ?? .null, redacted(.string(s.message)))
        && Self.same(v["attributes"] ?? .null, redacted(.object(attributes)))
        && !line.contains("@example.com")
      if !ok {
        failures += 1
        Issue.record("line \(k) differs from what was logged:\n\(line.prefix(2000))")
      }
    }
    #expect(failures == 0)
    #expect(redactions > 50)

    let result = try runPython(Self.pythonChecker, ["body", log.path])
    #expect(result.status == 0 && result.output == "\(samples.count)\n", "\(result.output.prefix(2000))")
  }
}
