import SluiceCore

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// `sluice grep`'s engine: reads the inputs, judges every line and writes the matching ones
/// (or counts them), with context, limits and statistics. The command only parses arguments
/// into ``GrepOptions`` and calls ``run(paths:)`` (or ``consume(_:)`` per line when following).
///
/// - Rotated sets are read oldest first (``RotatedSet``); `--merge` interleaves the inputs by
///   time (``MergedLines``).
/// - A plain file with no context or per-file limit is scanned in large blocks on several
///   threads (``BlockScan``), output order kept; gzip input, standard input, context and
///   `-m` go line by line.
/// - An input that cannot be read is reported and the others are still read.
public final class GrepEngine {
  public let options: GrepOptions
  private let workers: [GrepWorker]
  private let write: (UnsafeRawBufferPointer) -> Bool
  private let report: (String) -> Void
  private var context: ContextLines
  /// Set when the output went away (a closed pipe): reading stops.
  private var stopped = false
  private var failed = false
  private var bytesRead = 0

  /// - Parameters:
  ///   - write: where output goes; returns false if it cannot take more (the run stops).
  ///   - report: where problems go (one line each, without a newline).
  public init(
    options: GrepOptions, write: @escaping (UnsafeRawBufferPointer) -> Bool = GrepEngine.standardOutput,
    report: @escaping (String) -> Void = GrepEngine.standardError
  ) {
    self.options = options
    workers = (0..<max(1, options.threads)).map { _ in GrepWorker(options: options) }
    self.write = write
    self.report = report
    context = ContextLines(before: options.before, after: options.after, separators: options.mode != .json)
  }

  /// Writes to file descriptor 1.
  public static func standardOutput(_ bytes: UnsafeRawBufferPointer) -> Bool {
    FileDescriptorIO.writeAll(1, bytes) == bytes.count
  }

  /// Writes a line to file descriptor 2.
  public static func standardError(_ text: String) {
    var line = text + "\n"
    line.withUTF8 { _ = FileDescriptorIO.writeAll(2, UnsafeRawBufferPointer($0)) }
  }

  /// What the run found, summed over all threads.
  public var stats: GrepStats {
    var total = GrepStats()
    for w in workers { total.add(w.filter.stats) }
    total.bytesRead = bytesRead
    return total
  }

  /// Reads every input ("-" or none: standard input) and writes the result. Returns the exit
  /// status: 0 if a line matched, 1 if none did, 2 on an error (an unreadable input, a type
  /// error in the query), as grep does.
  public func run(paths: [String]) -> Int32 {
    let clock = ContinuousClock()
    let start = clock.now
    let inputs = RotatedSet.order(paths.isEmpty ? ["-"] : paths)
    if options.merge && inputs.count > 1 {
      readMerged(inputs)
    } else {
      for path in inputs where !stopped && !hasTypeError { read(path) }
    }
    return finish(elapsed: clock.now - start)
  }

  /// Judges and writes one line (following files: the command feeds each new line). Call
  /// ``flush()`` when a batch of lines is done.
  public func consume(_ line: UnsafeRawBufferPointer) {
    handleWithContext(line, worker: workers[0])
  }

  /// Writes what is buffered; false if the output went away.
  @discardableResult
  public func flush() -> Bool {
    flush(workers[0])
  }

  private var hasTypeError: Bool { workers.contains { $0.typeError != nil } }

  // MARK: Reading

  private func read(_ path: String) {
    context.startInput()
    if path != "-" && options.allowsBlockScan, let fd = Self.openPlainFile(path) {
      defer { close(fd) }
      do {
        let scan = BlockScan(fd: fd, path: path, workers: workers, maxLineBytes: options.maxLineBytes)
        bytesRead += try scan.run { self.flush($0) }
      } catch {
        fail("\(error)")
      }
      return
    }
    do {
      var reader = LineReader(try InputFiles.open(path), path: path, maxLineBytes: options.maxLineBytes)
      let worker = workers[0]
      var matchedHere = 0
      defer {
        bytesRead += reader.bytesRead
        worker.filter.stats.truncated += reader.truncatedLines
      }
      while !stopped, worker.typeError == nil, try reader.next() {
        let before = worker.filter.stats.matched
        handleWithContext(reader.line, worker: worker)
        matchedHere += worker.filter.stats.matched - before
        if worker.out.count >= 1 << 16 { _ = flush(worker) }
        if let max = options.maxCount, matchedHere >= max, !context.wantsMore { break }
      }
      _ = flush(worker)
    } catch {
      fail("\(error)")
    }
  }

  private func readMerged(_ paths: [String]) {
    var readers: [LineReader] = []
    for path in paths {
      do {
        readers.append(LineReader(try InputFiles.open(path), path: path, maxLineBytes: options.maxLineBytes))
      } catch {
        fail("\(error)")
      }
    }
    var merged = MergedLines(readers, timeField: TimeField(name: options.timeField))
    let worker = workers[0]
    do {
      while !stopped, worker.typeError == nil, try merged.next() {
        handleWithContext(merged.line, worker: worker)
        if worker.out.count >= 1 << 16 { _ = flush(worker) }
        if let max = options.maxCount, worker.filter.stats.matched >= max, !context.wantsMore { break }
      }
    } catch {
      fail("\(error)")
    }
    bytesRead += merged.bytesRead
    _ = flush(worker)
  }

  /// A descriptor for `path` if it is a regular file that is not compressed (the block scan
  /// reads it); nil for anything else, which goes through ``InputFiles``.
  static func openPlainFile(_ path: String) -> Int32? {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    var info = stat()
    var magic = [UInt8](repeating: 0, count: 4)
    let n = magic.withUnsafeMutableBytes { pread(fd, $0.baseAddress, 4, 0) }
    let compressed = n >= 2 && magic[0] == 0x1F && magic[1] == 0x8B || n == 4 && magic == [0x28, 0xB5, 0x2F, 0xFD]
    guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG, !compressed else {
      close(fd)
      return nil
    }
    return fd
  }

  private func handleWithContext(_ line: UnsafeRawBufferPointer, worker: GrepWorker) {
    guard context.isActive else {
      worker.handle(line)
      return
    }
    if worker.judge(line) {
      context.beforeMatch(worker: worker)
      worker.emitMatch(line)
      context.afterMatch()
    } else {
      context.notMatched(line, worker: worker)
    }
  }

  // MARK: Output

  private func flush(_ worker: GrepWorker) -> Bool {
    guard !worker.out.isEmpty else { return !stopped }
    let ok = worker.out.withUnsafeBytes { write($0) }
    worker.out.removeAll(keepingCapacity: true)
    if !ok { stopped = true }
    return ok
  }

  private func fail(_ message: String) {
    failed = true
    report("sluice grep: \(message)")
  }

  private func finish(elapsed: Duration) -> Int32 {
    for w in workers { _ = flush(w) }
    if let error = workers.compactMap(\.typeError).first {
      report("sluice grep: \(error)")
      return 2
    }
    var total = stats
    total.seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    var tail: [UInt8] = []
    if options.countOnly && options.countBy == nil {
      tail.append(contentsOf: "\(total.matched)\n".utf8)
    }
    if var table = workers[0].countBy {
      for w in workers.dropFirst() { if let other = w.countBy { table.merge(other) } }
      tail.append(contentsOf: table.render(top: options.top, json: options.mode == .json))
    }
    if !tail.isEmpty { _ = tail.withUnsafeBytes { write($0) } }
    if options.stats { report(total.rendered) }
    if failed { return 2 }
    return total.matched > 0 ? 0 : 1
  }
}
