import SluiceCore

/// How the lines of a file are framed.
public enum LineFormat: String, Sendable, Codable, CaseIterable, Equatable {
  /// Decide per file: container runtime formats for files in the kubelet's log layouts
  /// (``KubernetesPath``), told apart by their first line; plain lines everywhere else.
  case auto
  /// One event per line, as written.
  case plain
  /// The CRI log format of containerd and CRI-O: `<RFC 3339 time> <stdout|stderr> <P|F> <content>`.
  case cri
  /// Docker's json-file driver: `{"log":"…\n","stream":"stdout","time":"…"}`.
  case docker
}

/// Which stream of the container a line came from.
public enum ContainerStream: UInt8, Sendable {
  case none = 0
  case stdout = 1
  case stderr = 2

  var name: StaticString { self == .stderr ? "stderr" : "stdout" }
}

/// One line of a container runtime's log file, split into its parts. A long line is written
/// by the runtime as several partial records followed by a final one.
struct ContainerLine {
  var time: Range<Int>
  var stream: ContainerStream
  var isPartial: Bool
  /// Where the content is: in the line itself (CRI) or in the decoded buffer (Docker).
  var content: Range<Int>
}

/// Parses the CRI log format (kubelet's `pkg/kubelet/kuberuntime/logs`).
enum CRILine {
  /// `<time> <stream> <tags> <content>`: `tags` is `P` (partial) or `F` (full), possibly with
  /// more `:`-separated tags after it. The content may be empty. Returns nil for anything
  /// else (the caller ships such a line as it is and counts it).
  static func parse(_ line: UnsafeRawBufferPointer) -> ContainerLine? {
    guard let record = CRIRecord.parse(line) else { return nil }
    return ContainerLine(
      time: 0..<record.timeEnd, stream: record.stream == .stderr ? .stderr : .stdout, isPartial: record.isPartial,
      content: record.contentStart..<line.count)
  }

  @inline(__always)
  static func matches(_ line: UnsafeRawBufferPointer, _ at: Int, _ text: StaticString) -> Bool {
    CRIRecord.matches(line, at, text)
  }
}

/// Parses Docker's json-file log lines.
struct DockerJSONLine {
  private let scanner = JSONScanner()
  private var tape: [JSONToken] = []

  /// Decodes `line`; the `log` text (without its final newline) is appended to `content`,
  /// the `time` text to `time`. A record whose text does not end in a newline is partial
  /// (Docker splits lines longer than 16 KiB). Returns nil if the line is not such a record.
  mutating func parse(_ line: UnsafeRawBufferPointer, content: inout [UInt8], time: inout [UInt8]) -> ContainerLine? {
    tape.removeAll(keepingCapacity: true)
    guard (try? scanner.scan(line, into: &tape)) != nil, tape.first?.kind == .objectStart else { return nil }
    guard let log = JSONTape.lookup(path: "log", inObjectAt: 0, tape: tape, bytes: line),
      tape[log].kind == .string
    else { return nil }
    var stream = ContainerStream.stdout
    if let s = JSONTape.lookup(path: "stream", inObjectAt: 0, tape: tape, bytes: line), tape[s].kind == .string {
      let r = tape[s].range
      if r.count == 6 && CRILine.matches(line, r.lowerBound, "stderr") { stream = .stderr }
    }
    let timeStart = time.count
    if let t = JSONTape.lookup(path: "time", inObjectAt: 0, tape: tape, bytes: line), tape[t].kind == .string {
      time.append(contentsOf: UnsafeRawBufferPointer(rebasing: line[tape[t].range]))
    }
    let start = content.count
    JSONTape.unescape(UnsafeRawBufferPointer(rebasing: line[tape[log].range]), into: &content)
    var partial = true
    if content.count > start && content.last == 0x0A {
      content.removeLast()
      partial = false
    }
    return ContainerLine(
      time: timeStart..<time.count, stream: stream, isPartial: partial, content: start..<content.count)
  }
}
