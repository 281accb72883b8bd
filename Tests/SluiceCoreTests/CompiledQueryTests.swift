import Foundation
import Testing

@testable import SluiceCore

#if canImport(Glibc)
  import Glibc
#endif

// MARK: - The compiled form against the reference

/// JSON string content fragments (escaped as JSON writes them, or not) chosen where byte and
/// `String` semantics could part: combining marks, scalars canonically equal to ASCII, CR LF.
private let jsonStringPieces = [
  "a", "b", "K", ";", "`", "e", "E", " ", "0", "1", "9", ".", "-", "bob", "err", "ab", "\u{E9}", "e\\u0301",
  "\\u0301", "\\u212A", "\u{212A}", "\\u037E", "\\u1FEF", "\\r\\n", "\\r", "\\n", "\\t", "\\\"", "\\\\",
  "\\/", "\\u00e9", "\u{1F44D}", "\\ud83d\\udc4d", "\u{1F3FB}", "\u{600}", "\u{200D}", "\u{5931}",
]

/// Query value fragments (plain text).
private let valuePieces = [
  "a", "b", "K", ";", "`", "e", " ", "0", "1", ".", "-", "\u{E9}", "\u{301}", "\u{212A}", "\r", "\n", "\t",
  "\"", "bob", "err", "ab", "1e3", "-0.5", "12", "true", "null", "\u{5931}",
]

private func randomNumberLiteral(_ rng: inout SplitMix64) -> String {
  var s = rng.oneIn(3) ? "-" : ""
  if rng.oneIn(4) {
    s += "0"
  } else {
    s += String(1 + rng.below(9))
    for _ in 0..<rng.below(rng.oneIn(4) ? 24 : 6) { s += String(rng.below(10)) }
  }
  if rng.oneIn(2) {
    s += "."
    for _ in 0...rng.below(rng.oneIn(4) ? 22 : 4) { s += String(rng.below(10)) }
  }
  if rng.oneIn(3) {
    s += ["e", "E"][rng.below(2)] + ["", "+", "-"][rng.below(3)]
    for _ in 0...rng.below(3) { s += String(rng.below(10)) }
  }
  return s
}

private func randomJSONValue(_ rng: inout SplitMix64, depth: Int = 0) -> String {
  switch rng.below(depth > 1 ? 6 : 8) {
  case 0, 1, 2:
    return "\"" + (0..<rng.below(6)).map { _ in jsonStringPieces[rng.below(jsonStringPieces.count)] }.joined() + "\""
  case 3: return randomNumberLiteral(&rng)
  case 4: return ["true", "false", "null"][rng.below(3)]
  case 5:
    return ["\"error\"", "\"WARN\"", "\"info\"", "\"Debug\"", "\"nope\"", "30", "50", "13", "21", "\"\\u0045RROR\""][
      rng.below(10)]
  case 6:
    return "[" + (0..<rng.below(3)).map { _ in randomJSONValue(&rng, depth: depth + 1) }.joined(separator: ",") + "]"
  default: return randomJSONObject(&rng, depth: depth + 1)
  }
}

private let keys = ["a", "b", "n", "msg", "level", "a.b", "lvl", "", "log", "log.level", "severity_number"]

private func randomJSONObject(_ rng: inout SplitMix64, depth: Int = 0) -> String {
  let members = (0..<rng.below(4)).map { _ in
    "\"" + keys[rng.below(keys.count)] + "\":" + randomJSONValue(&rng, depth: depth)
  }
  return "{" + members.joined(separator: ",") + "}"
}

private func randomQueryValue(_ rng: inout SplitMix64) -> String {
  switch rng.below(4) {
  case 0: return randomNumberLiteral(&rng)
  case 1: return ["error", "warn", "info", "err", "crit", "ARN", "whatever", "nan", "inf"][rng.below(9)]
  default: return (0..<rng.below(5)).map { _ in valuePieces[rng.below(valuePieces.count)] }.joined()
  }
}

/// `field op literal` as query text: a decimal number bare (sometimes), anything else quoted.
private func comparisonText(
  _ field: String, _ op: String, _ value: String, _ rng: inout SplitMix64
)
  -> (String, QueryReference.Literal)
{
  let space = op == "contains" ? " " : ""
  if QueryReference.isDecimal(value) && rng.oneIn(2) {
    return (field + space + op + space + value, .number(value))
  }
  return (field + space + op + space + QueryNode.quote(value), .text(value))
}

@Suite("Query: compiled form")
struct QueryCompiledFormTests {
  /// The compiled, byte-level evaluation agrees with ``QueryReference`` (trees, `String`,
  /// `Double(String)`) on random events and comparisons — for the agent (a type error is
  /// false) and for grep (it is thrown).
  @Test func agreesWithTheStringEvaluationOnRandomEvents() throws {
    var rng = SplitMix64(seed: 0x5155_4552_59)
    let fields = ["a", "b", "n", "msg", "a.b", "a.c", "b.a.b", "x", "a..b", ".a", "a."]
    let ops = ["=", "!=", ">", ">=", "<", "<=", "contains"]
    var checked = 0
    var matched = 0
    var typeErrors = 0
    for _ in 0..<40_000 {
      let json = randomJSONObject(&rng)
      let event = Event(json)
      guard event.isStructured else { continue }
      let field = fields[rng.below(fields.count)]
      let op = ops[rng.below(ops.count)]
      let (text, literal) = comparisonText(field, op, randomQueryValue(&rng), &rng)
      let query = try Query(text)
      let reference = QueryReference.evaluate(field: field, op: op, literal: literal, on: event)
      let agent = query.matches(event)
      let grep: QueryReference.Outcome = event.bytes.withUnsafeBytes { raw in
        do throws(QueryTypeError) {
          return .holds(try query.matches(event, line: raw))
        } catch {
          return .typeError
        }
      }
      if grep != reference || agent != (reference == .holds(true)) {
        Issue.record("\(text) on \(json): agent \(agent), grep \(grep), reference \(reference)")
        return
      }
      checked += 1
      if agent { matched += 1 }
      if reference == .typeError { typeErrors += 1 }
    }
    #expect(checked > 30_000)
    #expect(matched > checked / 10 && matched < checked * 9 / 10, "\(matched) of \(checked) matched")
    #expect(typeErrors > 100, "\(typeErrors) type errors")
  }

  @Test func exactDoubleIsDoubleOfString() {
    var rng = SplitMix64(seed: 42)
    var fast = 0
    for _ in 0..<200_000 {
      var literal = randomNumberLiteral(&rng)
      let expected = Double(literal)!
      let exact = literal.withUTF8 { JSONTape.exactDouble(UnsafeRawBufferPointer($0)) }
      if let exact {
        fast += 1
        if exact.bitPattern != expected.bitPattern {
          Issue.record("\(literal): \(exact), Double(String) gives \(expected)")
          return
        }
      }
    }
    #expect(fast > 100_000, "the fast path took \(fast) of 200000")
    for literal in ["0", "-0", "12", "-0.5", "1e3", "1E+3", "1e-3", "0.1", "9007199254740992", "1e22", "1e-22"] {
      var copy = literal
      let exact = copy.withUTF8 { JSONTape.exactDouble(UnsafeRawBufferPointer($0)) }
      #expect(exact?.bitPattern == Double(literal)?.bitPattern, "\(literal)")
    }
    for literal in ["9007199254740993", "1e23", "0.30000000000000004", "12345678901234567890", "1e400", "5e-324"] {
      var copy = literal
      #expect(copy.withUTF8 { JSONTape.exactDouble(UnsafeRawBufferPointer($0)) } == nil, "\(literal)")
    }
  }

  @Test func doubleAtReadsEveryLiteral() throws {
    var rng = SplitMix64(seed: 7)
    for _ in 0..<20_000 {
      let literal = randomNumberLiteral(&rng)
      let event = Event("{\"n\":\(literal)}")
      let index = try #require(event.valueIndex(forAnyOf: ["n"]))
      let d = event.bytes.withUnsafeBytes { JSONTape.double(at: index, tape: event.tape, bytes: $0) }
      #expect(d?.bitPattern == Double(literal)?.bitPattern, "\(literal)")
    }
  }

  /// Both forms of `unescape` (the appending one is built on the buffer one) against an
  /// independent decoder, Foundation's JSONSerialization.
  @Test func unescapeDecodesLikeFoundation() throws {
    var rng = SplitMix64(seed: 9)
    for _ in 0..<20_000 {
      var encoded: [UInt8] = []
      JSONWriter.appendStringContent(randomString(&rng, maxLength: 12), to: &encoded)
      if rng.oneIn(2) {
        JSONWriter.appendRaw("\\u00e9\\ud83d\\udc4d\\/\\b\\f", to: &encoded)
      }
      let reference = try JSONSerialization.jsonObject(
        with: Data([0x22] + encoded + [0x22]), options: .fragmentsAllowed)
      let expected = Array(try #require(reference as? String).utf8)
      encoded.withUnsafeBytes { raw in
        var appended: [UInt8] = [0x41]
        JSONTape.unescape(raw, into: &appended)
        #expect(appended == [0x41] + expected)
        let decoded = [UInt8](unsafeUninitializedCapacity: raw.count) { buffer, count in
          count = JSONTape.unescape(raw, into: UnsafeMutableRawBufferPointer(buffer))
        }
        #expect(decoded == expected)
      }
    }
  }
}

// MARK: - Allocations

#if canImport(Glibc)
  /// Counts the heap allocations one thread makes, through glibc's allocation hooks
  /// (`__malloc_hook`, `__realloc_hook`, `__memalign_hook`; `calloc` goes through the first),
  /// in a child process: since glibc 2.34 the hooks only work with `libc_malloc_debug`
  /// preloaded, so the test runs itself again (the same test binary, only this suite) with it.
  ///
  /// Why not `mallinfo2()`: its `uordblks` is the heap in use, so an allocation freed within
  /// each match (a `String` built and dropped) leaves it unchanged — the String evaluation,
  /// at 7 allocations per match in a debug build, shows no growth over 10 000 matches — and
  /// in the shared test process other tests' threads move it either way. (`malloc.h` is not
  /// part of Swift's Glibc module either.) Why not the Swift runtime's `_swift_allocObject`
  /// hook: turning it on makes the Swift 6.3 Linux runtime crash on retains of small-string
  /// payloads (`_swift_retain_adapterImpl` masks away their tag; swiftlang/swift#88924).
  /// Why not `mtrace`: it looks every caller up with `dladdr`, minutes for a few million.
  enum MallocHooks {
    static let resultsVariable = "SLUICE_QUERY_ALLOCATION_RESULTS"

    /// The preloadable `libc_malloc_debug`, when this system has one.
    static let debugLibrary: String? = {
      let directories = [
        "/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/lib/aarch64-linux-gnu",
        "/usr/lib64", "/lib64", "/usr/lib", "/lib",
      ]
      return directories.map { $0 + "/libc_malloc_debug.so.0" }.first { access($0, R_OK) == 0 }
    }()

    /// The results file, in the child.
    static var resultsPath: String? { getenv(resultsVariable).map { String(cString: $0) } }

    private typealias VersionedLookup =
      @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<CChar>, UnsafePointer<CChar>) -> UnsafeMutableRawPointer?

    /// A hook variable of the preloaded library. They are compatibility symbols (not the
    /// default version), which a plain `dlsym` does not find; a lookup of the exact version finds
    /// the preloaded library's first. (libc keeps dead ones of its own: without the preload,
    /// nothing is counted and the test's check that the String evaluation allocates fails.)
    private static func hookVariable(_ name: String) -> UnsafeMutableRawPointer? {
      guard let dlvsym = dlsym(nil, "dlvsym").map({ unsafeBitCast($0, to: VersionedLookup.self) }) else { return nil }
      for version in ["GLIBC_2.2.5", "GLIBC_2.17", "GLIBC_2.0"] {
        if let v = dlvsym(nil, name, version) { return v }
      }
      return nil
    }

    /// In the child: the allocations `body` makes on this thread, or nil without hooks.
    static func allocations(_ body: () -> Void) -> Int? {
      guard let mallocHook = hookVariable("__malloc_hook"), let reallocHook = hookVariable("__realloc_hook"),
        let memalignHook = hookVariable("__memalign_hook"),
        let libcMalloc = dlsym(nil, "__libc_malloc"), let libcRealloc = dlsym(nil, "__libc_realloc"),
        let libcMemalign = dlsym(nil, "__libc_memalign")
      else { return nil }
      // Everything the hooks read is set up before they are installed: a hook that allocated
      // (a lazy global's first use, say) would call itself.
      realMalloc = unsafeBitCast(libcMalloc, to: MallocFunction.self)
      realRealloc = unsafeBitCast(libcRealloc, to: ReallocFunction.self)
      realMemalign = unsafeBitCast(libcMemalign, to: MemalignFunction.self)
      hookAllocations = 0
      hookThread = pthread_self()
      mallocHook.storeBytes(of: countingMalloc as MallocHook?, as: MallocHook?.self)
      reallocHook.storeBytes(of: countingRealloc as ReallocHook?, as: ReallocHook?.self)
      memalignHook.storeBytes(of: countingMemalign as MemalignHook?, as: MemalignHook?.self)
      body()
      mallocHook.storeBytes(of: nil, as: MallocHook?.self)
      reallocHook.storeBytes(of: nil, as: ReallocHook?.self)
      memalignHook.storeBytes(of: nil, as: MemalignHook?.self)
      hookThread = 0
      return hookAllocations
    }

    /// Runs this test binary again with only `suite`, hooks loaded; returns the results it wrote,
    /// the exit status, and its output.
    static func runChild(suite: String) -> (results: String, status: Int32, output: String) {
      let base = "/tmp/sluice-query-allocations-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
      let (results, log) = (base + ".results", base + ".log")
      defer { for p in [results, log] { unlink(p) } }
      var executable = [CChar](repeating: 0, count: 4096)
      let length = readlink("/proc/self/exe", &executable, executable.count - 1)
      guard length > 0 else { return ("", -1, "readlink /proc/self/exe failed") }
      let path = String(decoding: executable[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
      let arguments = [path, "--testing-library", "swift-testing", "--filter", suite]
      var environment = [String]()
      var i = 0
      while let entry = environ[i] {
        let text = String(cString: entry)
        if !text.hasPrefix("LD_PRELOAD=") { environment.append(text) }
        i += 1
      }
      let preload = [debugLibrary, getenv("LD_PRELOAD").map { String(cString: $0) }].compactMap { $0 }
      environment += [
        "LD_PRELOAD=" + preload.joined(separator: ":"), "\(resultsVariable)=\(results)",
      ]
      let argv = arguments.map { strdup($0) } + [nil]
      let envp = environment.map { strdup($0) } + [nil]
      defer { for p in argv + envp { free(p) } }
      var actions = posix_spawn_file_actions_t()
      posix_spawn_file_actions_init(&actions)
      defer { posix_spawn_file_actions_destroy(&actions) }
      posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
      posix_spawn_file_actions_adddup2(&actions, 1, 2)
      var pid: pid_t = 0
      guard posix_spawn(&pid, path, &actions, nil, argv, envp) == 0 else { return ("", -1, "posix_spawn failed") }
      var status: Int32 = 0
      while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
      return (read(results), status, read(log))
    }

    private static func read(_ path: String) -> String {
      guard let file = fopen(path, "r") else { return "" }
      defer { fclose(file) }
      var bytes: [UInt8] = []
      var buffer = [UInt8](repeating: 0, count: 65536)
      while true {
        let n = fread(&buffer, 1, buffer.count, file)
        if n <= 0 { break }
        bytes += buffer[0..<n]
      }
      return String(decoding: bytes, as: UTF8.self)
    }
  }

  private typealias MallocHook = @convention(c) (Int, UnsafeRawPointer?) -> UnsafeMutableRawPointer?
  private typealias ReallocHook =
    @convention(c) (UnsafeMutableRawPointer?, Int, UnsafeRawPointer?) -> UnsafeMutableRawPointer?
  private typealias MemalignHook = @convention(c) (Int, Int, UnsafeRawPointer?) -> UnsafeMutableRawPointer?
  private typealias MallocFunction = @convention(c) (Int) -> UnsafeMutableRawPointer?
  private typealias ReallocFunction = @convention(c) (UnsafeMutableRawPointer?, Int) -> UnsafeMutableRawPointer?
  private typealias MemalignFunction = @convention(c) (Int, Int) -> UnsafeMutableRawPointer?

  // Read by the hooks on every thread of the child. The functions and the thread are set while
  // the hooks are off; only the counted thread increments the count.
  nonisolated(unsafe) private var realMalloc: MallocFunction?
  nonisolated(unsafe) private var realRealloc: ReallocFunction?
  nonisolated(unsafe) private var realMemalign: MemalignFunction?
  nonisolated(unsafe) private var hookThread: pthread_t = 0
  nonisolated(unsafe) private var hookAllocations = 0

  private func countingMalloc(_ size: Int, _ caller: UnsafeRawPointer?) -> UnsafeMutableRawPointer? {
    if pthread_self() == hookThread { hookAllocations += 1 }
    return realMalloc!(size)
  }

  private func countingRealloc(
    _ pointer: UnsafeMutableRawPointer?, _ size: Int, _ caller: UnsafeRawPointer?
  ) -> UnsafeMutableRawPointer? {
    if pthread_self() == hookThread { hookAllocations += 1 }
    return realRealloc!(pointer, size)
  }

  private func countingMemalign(_ alignment: Int, _ size: Int, _ caller: UnsafeRawPointer?) -> UnsafeMutableRawPointer?
  {
    if pthread_self() == hookThread { hookAllocations += 1 }
    return realMemalign!(alignment, size)
  }

  @Suite("Query: allocations")
  struct QueryAllocationTests {
    static let events = [
      #"{"timestamp":"2026-11-23T10:00:00Z","level":"info","message":"request served in time","status":200,"path":"/api/v1/cart","latency":0.25,"ok":true,"user":null}"#,
      #"{"@timestamp":"2026-11-23T10:00:01Z","log":{"level":"ERROR"},"message":"upstream said \"no\" after 3 tries","http":{"status":503,"path":"/api/pay"},"latency":1e3}"#,
      #"{"severity_number":13,"body":"\u5931\u6557 quota exceeded for tenant","status":-0.5,"path":"/internal/\u00e9t\u00e9"}"#,
      #"{"level":50,"msg":"disk full on /dev/sda1, 12 blocks left","a.b":"dotted key","nested":{"a":{"b":"x"}}}"#,
    ]

    static let queries = [
      "level>=warn", "level=info", "level!=error", "level~err", "status>=500", "status<300", "status=200",
      "latency>0.5", "latency<=1e3", "path~/api", "path~/nope", "path=/api/v1/cart", "path>/api",
      "message~served", "message~'\"no\"'", "message='request served in time'", "message!=x",
      "body~quota", "body~missing", "ok=true", "ok!=false", "user=null", "missing=1", "missing!=1",
      "http.status>=500", "http.path~pay", "log.level=ERROR", "a.b~dotted", "nested.a.b=x", "status~50",
      "level>=warn and status>=500 and path~/api", "path contains api", "status in (200, 503)",
      "exists(http.status)", "not exists(user)", "latency<500ms", "status>=500 or level>=error", "served",
      "Served", "quota", "served timeout", "message contains served", #""error.type"=x"#,
      "level in (info, error)", "level~(?i)ERR", "latency>=1s", "path~^/api/v[0-9]", "message~\"(no|yes)\"",
    ]

    static let matchesPerMeasurement = 10_000

    /// No allocation per match. A level comparison reads ``Event/level``, which allocates in
    /// unoptimized builds only (the coroutine frames of unspecialized generic array
    /// iteration in it and in `LogLevel.parse`; an optimized build makes none): queries with
    /// one may allocate exactly what `Event.level` does, and nothing more.
    @Test(.enabled(if: MallocHooks.debugLibrary != nil, "needs glibc's libc_malloc_debug for the allocation hooks"))
    func matchingAllocatesNothing() throws {
      if let resultsPath = MallocHooks.resultsPath {
        try measure(into: resultsPath)
        return
      }
      let (results, status, output) = MallocHooks.runChild(suite: "QueryAllocationTests")
      #expect(status == 0, "the measuring process failed (status \(status)):\n\(output.suffix(4000))")
      var reference: Int?
      var levelAllocations: [Int: Int] = [:]
      var measured: [(query: String, event: Int, hits: Int, allocations: Int)] = []
      for line in results.split(separator: "\n") {
        let f = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        switch (f.first, f.count) {
        case ("reference", 2): reference = Int(f[1])
        case ("level", 3): levelAllocations[Int(f[1]) ?? -1] = Int(f[2])
        case (_, 4): measured.append((f[0], Int(f[1]) ?? -1, Int(f[2]) ?? -1, Int(f[3]) ?? -1))
        default: Issue.record("unexpected line \(line)")
        }
      }
      guard let reference, reference >= 0 else {
        Issue.record("no measurements; the measuring process said:\n\(output.suffix(4000))")
        return
      }
      // Building a String allocates for every match: the count sees allocations.
      #expect(reference >= 1000, "the String reference made \(reference) allocations in 1000 matches")
      #expect(measured.count == Self.queries.count * Self.events.count)
      for m in measured {
        let readsLevel = try Query(m.query).program.readsLevel
        // Each match is evaluated twice (agent and grep forms), reading Event.level each time.
        let allowed = readsLevel ? 2 * (levelAllocations[m.event] ?? 0) : 0
        let note = readsLevel ? " (Event.level alone makes \(allowed / 2) per \(Self.matchesPerMeasurement))" : ""
        #expect(
          m.allocations == allowed,
          "\(m.query) on event \(m.event): \(m.allocations) allocations in \(Self.matchesPerMeasurement) matches\(note)"
        )
        #expect(m.hits == 0 || m.hits == Self.matchesPerMeasurement)
      }
      #if !DEBUG
        #expect(levelAllocations.values.allSatisfy { $0 == 0 }, "Event.level allocates: \(levelAllocations)")
      #endif
    }

    /// In the child: "reference TAB allocations", then "level TAB event TAB allocations" for
    /// `Event.level` alone, then "query TAB event TAB hits TAB allocations".
    private func measure(into path: String) throws {
      let queries = try Self.queries.map { try Query($0) }
      let events = Self.events.map { Event($0) }
      for q in queries { for e in events { _ = q.matches(e) } }  // warm up
      var out = ""
      var hits = 0
      // Building a String of a line allocates: proof that the hooks count.
      let referenceCount = MallocHooks.allocations {
        for _ in 0..<1000 where String(decoding: events[0].bytes, as: UTF8.self).contains("served") { hits += 1 }
      }
      out += "reference\t\(referenceCount ?? -1)\n"
      for (n, e) in events.enumerated() {
        let count = MallocHooks.allocations {
          for _ in 0..<Self.matchesPerMeasurement where e.level != nil { hits += 1 }
        }
        out += "level\t\(n)\t\(count ?? -1)\n"
      }
      for (text, q) in zip(Self.queries, queries) {
        for (n, e) in events.enumerated() {
          hits = 0
          let count = MallocHooks.allocations {
            e.bytes.withUnsafeBytes { line in
              for _ in 0..<Self.matchesPerMeasurement {
                // The agent's form, and grep's with the line: the same answer, no allocation.
                let agent = q.matches(e)
                let grep = (try? q.matches(e, line: line)) ?? false
                if agent && grep { hits += 1 }
              }
            }
          }
          out += "\(text)\t\(n)\t\(hits)\t\(count ?? -1)\n"
        }
      }
      guard let file = fopen(path, "w") else { return }
      fputs(out, file)
      fclose(file)
    }
  }
#endif
