// Redaction throughput: MB/s per core of the default detector set on realistic JSON log
// lines (~300 bytes, about 10 % carrying some PII), against a naive implementation — one
// NSRegularExpression per detector run over every string value — measured in the same run.
// Also the cost of one user-defined pattern (POSIX regex). Run by `scripts/bench`
// (SLUICE_BENCH=redact), always in release: `swift run -c release sluice-redaction-bench`.
import Foundation
import SluiceCore

#if canImport(Glibc)
  import Glibc
#endif

struct Rng {
  var s: UInt64
  mutating func next() -> UInt64 {
    s &+= 0x9E37_79B9_7F4A_7C15
    var z = s
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
  mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
  mutating func hex(_ n: Int) -> String { String((0..<n).map { _ in Array("0123456789abcdef")[below(16)] }) }
}

/// Deterministic lines shaped like a service's JSON logs.
func makeLines(_ count: Int) -> [[UInt8]] {
  var rng = Rng(s: 42)
  let messages = [
    "request completed", "cache miss for key product:%d", "retrying upstream call to inventory-svc attempt %d",
    "order %d shipped via carrier", "slow query took %dms on orders_by_customer", "user session refreshed",
    "GET /api/v1/orders/%d/items returned 200", "payment authorised amount=%d.99 EUR",
  ]
  let pii = [
    "contact alice.smith@example.com about the refund", "card 4111 1111 1111 1111 declined",
    "callback +1 (415) 555-2671 requested", "ssn 536-22-8841 on file", "iban DE89 3704 0044 0532 0130 00 verified",
    "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
    "password=hunter2&user=bob", "AKIAIOSFODNN7EXAMPLE used from cli",
  ]
  var out: [[UInt8]] = []
  for i in 0..<count {
    var msg = messages[rng.below(messages.count)].replacingOccurrences(of: "%d", with: String(rng.below(100_000)))
    if rng.below(10) == 0 { msg += "; " + pii[rng.below(pii.count)] }
    let line =
      #"{"timestamp":"2026-11-23T17:05:\#(10 + i % 50).\#(100000 + rng.below(899_999))Z","level":"info","#
      + #""message":"\#(msg)","logger":"checkout.api","service":"checkout","request_id":"\#(rng.hex(16))","#
      + #""trace_id":"\#(rng.hex(32))","span_id":"\#(rng.hex(16))","http.method":"GET","http.status":200,"#
      + #""duration_ms":\#(rng.below(2000)).\#(rng.below(10)),"pod":"checkout-7d9f8b6c4-x2x9q","region":"eu-west-1"}"#
    out.append(Array(line.utf8))
  }
  return out
}

/// Messier lines, as a platform team's logs carry them: URLs with query strings, percent-
/// encoded and JSON-escaped addresses, DSNs, cookie headers, JSON inside string values,
/// nested objects and arrays, camelCase secret keys; about a third carry some PII.
func makeMessyLines(_ count: Int) -> [[UInt8]] {
  var rng = Rng(s: 7)
  let plain = [
    #""msg":"GET /api/v1/search?q=winter%20boots&page=NUM&sort=price%3Aasc 200","#,
    #""msg":"upstream response","body":"{\"status\":\"ok\",\"items\":[NUM,17,23],\"next\":null}","#,
    #""msg":"connected to postgres://db.internal:5432/orders","pool":{"size":NUM,"idle":3},"#,
    #""msg":"cache refreshed","keys":["product:NUM","price:eu","stock:warehouse-7"],"#,
    #""msg":"request headers","headers":{"user-agent":"curl/8.5.0","accept":"*/*","x-forwarded-for":"10.0.NUM.7"},"#,
    #""msg":"job finished in NUMms","job":{"name":"reindex","shards":[1,2,3],"ok":true},"#,
  ]
  let pii = [
    #""msg":"GET /signup?email=jane.doe%40example.com&plan=pro&ref=NUM 302","#,
    #""msg":"webhook","payload":"{\"event\":\"signup\",\"user\":{\"email\":\"bob\\u0040example.org\",\"id\":NUM}}","#,
    #""msg":"connecting","dsn":"postgres://app:S3cr3tNUM@db.internal:5432/orders?sslmode=require","#,
    #""msg":"GET /cart Cookie: sid=9f8a7b6c5dNUM; theme=dark; _ga=GA1.2.3.4 200 34ms","#,
    #""msg":"oauth callback","config":{"oauth":{"clientSecret":"xK9mQ2vLNUMpR7tY4w","clientId":"web"}},"#,
    #""msg":"contact update","user":{"phones":["0044 20 7946 NUM","+1 (415) 555-2671 ext. 12"]},"#,
  ]
  var out: [[UInt8]] = []
  for i in 0..<count {
    let pick = rng.below(3) == 0 ? pii[rng.below(pii.count)] : plain[rng.below(plain.count)]
    let body = pick.replacingOccurrences(of: "NUM", with: String(1000 + rng.below(9000)))
    let line =
      #"{"timestamp":"2026-11-23T17:05:\#(10 + i % 50).\#(100000 + rng.below(899_999))Z","level":"info","#
      + body + #""service":"checkout","request_id":"\#(rng.hex(16))","trace_id":"\#(rng.hex(32))"}"#
    out.append(Array(line.utf8))
  }
  return out
}

func now() -> Double {
  var t = timespec()
  clock_gettime(CLOCK_MONOTONIC, &t)
  return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
}

/// Best of `rounds` runs of `body` over `lines`: MB/s.
func measure(_ lines: [[UInt8]], rounds: Int = 5, _ body: ([[UInt8]]) -> Int) -> (mbps: Double, hits: Int) {
  let bytes = lines.reduce(0) { $0 + $1.count }
  var best = Double.infinity
  var hits = 0
  for _ in 0..<rounds {
    let s = now()
    hits = body(lines)
    best = min(best, now() - s)
  }
  return (Double(bytes) / best / 1e6, hits)
}

let count = Int(CommandLine.arguments.dropFirst().first ?? "") ?? 100_000
let lines = CommandLine.arguments.count > 2 && CommandLine.arguments[2] == "file" ? [] : makeLines(count)
let avg = lines.reduce(0) { $0 + $1.count } / max(1, lines.count)
let scanner = JSONScanner()

func runRedactor(_ policy: RedactionPolicy) -> ([[UInt8]]) -> Int {
  { lines in
    var r = Redactor(policy: policy)
    var event = Event()
    var n = 0
    for line in lines {
      line.withUnsafeBytes { event.load($0) }
      _ = event.parse(using: scanner)
      n += r.redact(&event, scanner: scanner)
    }
    return n
  }
}

let defaultPolicy = RedactionPolicy(
  detectors: BuiltinDetectors.defaultNames.compactMap(BuiltinDetectors.make).map { .init($0) },
  deniedFields: [.init(fields: SecretKeys.defaultNames.map(FieldPattern.init))],
  allowedFields: RedactionPolicy.defaultAllowedFields.map(FieldPattern.init))
let parseOnly: ([[UInt8]]) -> Int = { lines in
  var event = Event()
  for line in lines {
    line.withUnsafeBytes { event.load($0) }
    _ = event.parse(using: scanner)
  }
  return 0
}

// The naive way: one NSRegularExpression per detector, each run over every string value.
let naivePatterns: [(String, String)] = [
  ("email", #"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"#),
  ("card", #"\b(?:\d[ -]?){12,18}\d\b"#),
  ("ssn", #"\b\d{3}-\d{2}-\d{4}\b"#),
  ("iban", #"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b"#),
  ("phone", #"(?:\+\d{1,3}[ .-]?)?\(?\d{3}\)?[ .-]\d{3}[ .-]\d{4}\b"#),
  ("jwt", #"eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]*"#),
  ("bearer", #"(?i)\b(?:bearer|basic|token)\s+[A-Za-z0-9._~+/=-]{8,}"#),
  ("aws_key", #"\b(?:AKIA|ASIA)[A-Z2-7]{16}\b"#),
  ("private_key", #"-----BEGIN [A-Z ]*PRIVATE KEY-----"#),
  ("secret_pair", #"(?i)\b(?:password|passwd|secret|token|api_key)\s*[=:]\s*\S+"#),
]
let regexes = naivePatterns.map { try! NSRegularExpression(pattern: $0.1) }
let naive: ([[UInt8]]) -> Int = { lines in
  var event = Event()
  var n = 0
  for line in lines {
    line.withUnsafeBytes { event.load($0) }
    _ = event.parse(using: scanner)
    event.bytes.withUnsafeBytes { raw in
      for t in event.tape where t.kind == .string {
        let s = String(decoding: raw[t.range], as: UTF8.self)
        let range = NSRange(s.startIndex..., in: s)
        for re in regexes { n += re.numberOfMatches(in: s, range: range) }
      }
    }
  }
  return n
}

let customer = try! PatternDetector(name: "customer", pattern: "CUST-[0-9]{8}")
let withPattern = RedactionPolicy(
  detectors: defaultPolicy.detectors + [.init(customer)], deniedFields: defaultPolicy.deniedFields,
  allowedFields: defaultPolicy.allowedFields)

if CommandLine.arguments.count > 3 && CommandLine.arguments[2] == "file" {
  // `… N file PATH`: the first N lines of a log file (scripts/bench's realistic workload),
  // per event: parse, parse + redact with the default set, and redaction alone.
  guard let text = FileManager.default.contents(atPath: CommandLine.arguments[3]) else {
    print("cannot read \(CommandLine.arguments[3])")
    exit(1)
  }
  var fileLines: [[UInt8]] = []
  text.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
    var start = 0
    for i in 0..<raw.count where raw[i] == 0x0A {
      if i > start { fileLines.append(Array(raw[start..<i])) }
      start = i + 1
      if fileLines.count == count { break }
    }
  }
  let bytes = fileLines.reduce(0) { $0 + $1.count }
  let p = measure(fileLines, parseOnly)
  let r = measure(fileLines, runRedactor(defaultPolicy))
  func perEvent(_ mbps: Double) -> Double { Double(bytes) / (mbps * 1e6) / Double(fileLines.count) * 1e9 }
  print(
    String(
      format: "redaction on %d lines of %@ (%d bytes on average), one core, best of 5: parse %.0f ns/event"
        + " (%.1f MB/s); parse + redact %.0f ns/event (%.1f MB/s, %d redactions); redaction alone %.0f ns/event",
      fileLines.count, (CommandLine.arguments[3] as NSString).lastPathComponent, bytes / fileLines.count,
      perEvent(p.mbps), p.mbps, perEvent(r.mbps), r.mbps, r.hits, perEvent(r.mbps) - perEvent(p.mbps)))
  exit(0)
}
if CommandLine.arguments.count > 2 && CommandLine.arguments[2] == "profile" {
  // Only the default set, for a profiler (`… N profile messy`: on the messy lines).
  let onMessy = CommandLine.arguments.count > 3 && CommandLine.arguments[3] == "messy"
  let r = measure(onMessy ? makeMessyLines(count) : lines, rounds: 20, runRedactor(defaultPolicy))
  print(String(format: "parse + redact: %.1f MB/s", r.mbps))
  exit(0)
}
print("redaction: \(lines.count) lines, \(avg) bytes on average, one core, best of 5")
let parse = measure(lines, parseOnly)
print(String(format: "  parse only (JSON scan):                 %8.1f MB/s", parse.mbps))
let fast = measure(lines, runRedactor(defaultPolicy))
print(
  String(
    format: "  parse + redact, default set (%d rules): %8.1f MB/s  (%d redactions)", defaultPolicy.detectors.count + 1,
    fast.mbps, fast.hits))
let redactOnly = 1 / (1 / fast.mbps - 1 / parse.mbps)
print(String(format: "  redaction alone (parse time removed):   %8.1f MB/s", redactOnly))
let custom = measure(lines, runRedactor(withPattern))
print(String(format: "  + one user regex (POSIX, CUST-[0-9]{8}): %7.1f MB/s", custom.mbps))
let messy = makeMessyLines(count)
let messyParse = measure(messy, parseOnly)
let messyFast = measure(messy, runRedactor(defaultPolicy))
print(
  String(
    format: "  messy lines (%d bytes avg, 1/3 with PII): parse %.1f MB/s, parse + redact %.1f MB/s (%d redactions),"
      + " redaction alone %.1f MB/s", messy.reduce(0) { $0 + $1.count } / messy.count, messyParse.mbps,
    messyFast.mbps, messyFast.hits, 1 / (1 / messyFast.mbps - 1 / messyParse.mbps)))
let slowLines = Array(lines.prefix(max(1000, count / 20)))
let slow = measure(slowLines, rounds: 2, naive)
print(String(format: "  naive, one NSRegularExpression per detector: %5.1f MB/s", slow.mbps))
print(String(format: "  ratio (parse + redact vs naive): %.1fx", fast.mbps / slow.mbps))
