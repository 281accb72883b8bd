import ArgumentParser
import SluiceCore

#if canImport(Glibc)
  import Glibc
#endif

struct GrepCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "grep",
    abstract: "Print the JSON log lines that match a query.",
    discussion: """
      QUERY is one or more comparisons joined by 'and': FIELD OP VALUE, with OP one of
      = != > >= < <= ~ (contains). 'level' compares by severity: level>=warning.
      Examples:  sluice grep 'level>=error' app.log
                 sluice grep 'status>=500 and path~/api' access.log
      Lines that are not JSON objects never match. Exit status: 0 if a line matched,
      1 if none did, 2 on error.
      """)

  @Argument(help: "The query.")
  var query: String

  @Argument(help: "Files to read (standard input if none, or '-').")
  var files: [String] = []

  @Flag(name: .shortAndLong, help: "Print only the number of matching lines.")
  var count = false

  func run() throws {
    let q: Query
    do {
      q = try Query(query)
    } catch {
      printError("\(error)")
      throw ExitCode(2)
    }
    var matcher = LineMatcher(query: q, countOnly: count)
    var failed = false
    for path in files.isEmpty ? ["-"] : files {
      let fd = path == "-" ? 0 : open(path, O_RDONLY | O_CLOEXEC)
      if fd < 0 {
        printError("\(path): \(String(cString: strerror(errno)))")
        failed = true
        continue
      }
      matcher.consume(fd: fd)
      if fd != 0 { close(fd) }
    }
    matcher.finish()
    if failed { throw ExitCode(2) }
    if matcher.matched == 0 { throw ExitCode(1) }
  }
}

/// Splits input into lines, keeps the matching ones, and writes them through one buffer.
struct LineMatcher {
  let query: Query
  let countOnly: Bool
  var matched = 0
  private var event = Event()
  private let scanner = JSONScanner()
  private var output: [UInt8] = []
  private var pending: [UInt8] = []
  private var buffer = [UInt8](repeating: 0, count: 256 * 1024)

  init(query: Query, countOnly: Bool) {
    self.query = query
    self.countOnly = countOnly
  }

  mutating func consume(fd: Int32) {
    while true {
      let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
      if n < 0 && errno == EINTR { continue }
      if n <= 0 { break }
      var start = 0
      let chunk = buffer
      chunk.withUnsafeBytes { raw in
        while start < n {
          guard let nl = memchr(raw.baseAddress! + start, 0x0A, n - start) else {
            pending.append(contentsOf: raw[start..<n])
            return
          }
          let end = UnsafeRawPointer(nl) - raw.baseAddress!
          if pending.isEmpty {
            test(UnsafeRawBufferPointer(rebasing: raw[start..<end]))
          } else {
            pending.append(contentsOf: raw[start..<end])
            let line = pending
            line.withUnsafeBytes { test($0) }
            pending.removeAll(keepingCapacity: true)
          }
          start = end + 1
        }
      }
    }
    if !pending.isEmpty {
      let line = pending
      line.withUnsafeBytes { test($0) }
      pending.removeAll(keepingCapacity: true)
    }
  }

  private mutating func test(_ line: UnsafeRawBufferPointer) {
    var line = line
    if line.last == 0x0D { line = UnsafeRawBufferPointer(rebasing: line.dropLast()) }
    guard line.first(where: { $0 != 0x20 && $0 != 0x09 }) == UInt8(ascii: "{") else { return }
    event.load(line)
    guard case (.object, _) = event.parse(using: scanner), query.matches(event) else { return }
    matched += 1
    if countOnly { return }
    output.append(contentsOf: line)
    output.append(0x0A)
    if output.count >= 64 * 1024 { flush() }
  }

  mutating func finish() {
    if countOnly { output.append(contentsOf: Array("\(matched)\n".utf8)) }
    flush()
  }

  private mutating func flush() {
    output.withUnsafeBytes { _ = FileDescriptorIO.writeAll(1, $0) }
    output.removeAll(keepingCapacity: true)
  }
}
