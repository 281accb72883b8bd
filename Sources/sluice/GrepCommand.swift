import ArgumentParser
import Foundation
import SluiceAgent
import SluiceCore
import SluiceGrep

#if canImport(Glibc)
  import Glibc
#endif

/// `sluice grep`: parses arguments into ``GrepOptions`` and hands them to ``GrepEngine``.
struct GrepCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "grep",
    abstract: "Filter and print JSON, logfmt and plain-text logs by field predicates and time.",
    discussion: """
      QUERY is a filter in the query language of docs/query.md: comparisons (= != > >= < <=,
      ~ and !~ for POSIX regular expressions, contains, in (a, b), exists(field)) joined by
      and, or, not and parentheses; a bare word or quoted string matches the raw line
      (lower-case: case-insensitively). An empty QUERY ('') matches every line.

      Inputs are files (gzip detected by content; a rotated set such as app.log app.log.1
      app.log.2.gz is read oldest first) or standard input. Lines may be JSON, logfmt, CRI
      container lines or plain text (plain lines match full-text terms only).

      Examples:
        sluice grep 'level>=error' app.log
        sluice grep -l warn --since 1h 'service=checkout' app.log*
        sluice grep -l error --since 15m app.log
        sluice grep 'status>=500 and path~"^/api"' access.log.gz
        sluice grep 'request_id in (r-1, r-2) or timeout' -C 2 app.log
        sluice grep --count-by service,level --top 10 '' app.log
        sluice grep -f -o pretty 'level>=warn' /var/log/app.log

      Exit status: 0 if a line matched, 1 if none did, 2 on an error (a bad query, an
      unreadable input — the others are still read).
      """)

  @Argument(help: "The query ('' for every line; may be left out with --level, --since, --until or --count-by).")
  var query: String = ""

  @Argument(help: "Files to read (standard input if none, or '-').")
  var files: [String] = []

  @Option(name: [.customShort("l"), .long], help: "Only lines at this level or above (shorthand for level>=LEVEL).")
  var level: String?

  @Option(help: "Only lines at or after this time: RFC 3339, a date, or a time ago (15m, 2h, 3d).")
  var since: String?

  @Option(help: "Only lines at or before this time (same forms as --since).")
  var until: String?

  @Option(name: .customLong("time-field"), help: "The field holding the time (default: detected per line).")
  var timeField: String?

  @Flag(name: .shortAndLong, help: "Keep reading lines appended to the files, across rotation.")
  var follow = false

  @Flag(help: "Interleave the inputs by time instead of reading them one after another.")
  var merge = false

  @Option(name: .shortAndLong, help: "pretty, raw, json or logfmt (default: pretty on a terminal, raw otherwise).")
  var output: OutputMode?

  @Option(help: "Colour pretty output: auto (a terminal, unless NO_COLOR is set), always or never.")
  var color: ColorChoice = .auto

  @Option(help: "Comma-separated fields to show (pretty, logfmt and json output).")
  var fields: String?

  @Flag(name: .shortAndLong, help: "Print only the number of matching lines.")
  var count = false

  @Option(
    name: .customLong("count-by"), help: "Print a table of matching lines per value of these fields (comma-separated).")
  var countBy: String?

  @Option(help: "With --count-by: only the N most frequent rows.")
  var top: Int?

  @Flag(help: "Print lines read, matched, unparsable, bytes and time to standard error.")
  var stats = false

  @Option(name: [.customShort("m"), .customLong("max-count")], help: "Stop reading an input after N matching lines.")
  var maxCount: Int?

  @Option(name: [.customShort("A"), .customLong("after-context")], help: "Print N lines after each match.")
  var after = 0

  @Option(name: [.customShort("B"), .customLong("before-context")], help: "Print N lines before each match.")
  var before = 0

  @Option(name: [.customShort("C"), .customLong("context")], help: "Print N lines before and after each match.")
  var contextLines: Int?

  @Option(
    name: [.customShort("j"), .customLong("threads")],
    help: "Threads for scanning a plain file (default: all cores, at most 8).")
  var threads: Int?

  mutating func validate() throws {
    queryMayBeAFile()
    if let top, top < 1 { throw ValidationError("--top must be at least 1") }
    if let maxCount, maxCount < 1 { throw ValidationError("--max-count must be at least 1") }
    if after < 0 || before < 0 || (contextLines ?? 0) < 0 { throw ValidationError("context must be 0 or more lines") }
    if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    if follow && (merge || count || countBy != nil) {
      throw ValidationError("--follow cannot be combined with --merge, --count or --count-by")
    }
  }

  /// With `--level`, `--since`, `--until` or `--count-by` the query may be left out: in
  /// `sluice grep -l error app.log` the first argument names a file (or is `-`), so it is read
  /// as one and the query is empty. So too when no file follows it and standard input is a
  /// terminal (`sluice grep app.log` would otherwise wait for typed input).
  mutating func queryMayBeAFile() {
    let selectsAlone = level != nil || since != nil || until != nil || countBy != nil
    guard selectsAlone || (files.isEmpty && isatty(0) == 1) else { return }
    var isDirectory: ObjCBool = false
    if query == "-"
      || (FileManager.default.fileExists(atPath: query, isDirectory: &isDirectory) && !isDirectory.boolValue)
    {
      files.insert(query, at: 0)
      query = ""
    }
  }

  func run() throws {
    let options = try makeOptions()
    let engine = GrepEngine(options: options)
    if follow {
      try followFiles(engine)
    }
    let status = engine.run(paths: files)
    if status != 0 { throw ExitCode(status) }
  }

  /// The options, or exit status 2 with the problem (a bad query: echoed with a caret).
  func makeOptions() throws -> GrepOptions {
    var options = GrepOptions()
    let environment = ProcessInfo.processInfo.environment
    let isTerminal = isatty(1) == 1
    do {
      options.query = try Self.query(query, level: level)
    } catch let error as Query.ParseError {
      Self.fail(error.rendered(query: query))
    } catch let error as LevelError {
      Self.fail("sluice grep: \(error.message)")
    }
    let now = Int64(Date().timeIntervalSince1970 * 1e9)
    do {
      options.since = try since.map { try TimeBound.parse($0, now: now) }
      options.until = try until.map { try TimeBound.parse($0, now: now) }
    } catch {
      Self.fail("sluice grep: \(error)")
    }
    options.timeField = timeField
    options.mode = output ?? (isTerminal ? .pretty : .raw)
    options.color = color.resolve(isTerminal: isTerminal, environment: environment)
    options.fields = fields.map(Self.list)
    options.countOnly = count
    options.countBy = countBy.map(Self.list)
    options.top = top
    options.stats = stats
    options.maxCount = maxCount
    options.before = contextLines ?? before
    options.after = contextLines ?? after
    options.merge = merge
    options.threads = threads ?? min(8, max(1, ProcessInfo.processInfo.activeProcessorCount))
    return options
  }

  struct LevelError: Error { var message: String }

  /// The query text combined with `--level` (the user's query is parsed alone first, so an
  /// error's caret points into what the user typed).
  static func query(_ text: String, level: String?) throws -> Query? {
    let trimmed = text.trimmingCharacters(in: .whitespaces)
    let user = trimmed.isEmpty ? nil : try Query(text)
    guard let level else { return user }
    guard LogLevel.parse(level) != nil else {
      throw LevelError(message: "unknown level '\(level)' (trace, debug, info, notice, warn, error, critical)")
    }
    return try Query(trimmed.isEmpty ? "level>=\(level)" : "level>=\(level) and (\(text))")
  }

  static func list(_ text: String) -> [String] {
    text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
  }

  static func fail(_ message: String) -> Never {
    GrepEngine.standardError(message)
    Foundation.exit(2)
  }

  /// `--follow`: the files' lines so far, then every line appended, until interrupted.
  func followFiles(_ engine: GrepEngine) throws -> Never {
    if files.isEmpty || files.contains("-") { Self.fail("sluice grep: --follow needs files (not standard input)") }
    let follower: FileFollower
    do {
      follower = try FileFollower(paths: files)
    } catch {
      Self.fail("sluice grep: \(error)")
    }
    while true {
      let read = follower.poll { engine.consume($0) }
      if !engine.flush() { Foundation.exit(0) }  // the reader went away
      if !read { usleep(UInt32(follower.pollInterval.components.attoseconds / 1_000_000_000_000)) }
    }
  }
}

extension OutputMode: ExpressibleByArgument {}
extension ColorChoice: ExpressibleByArgument {}
