/// `-B`/`-A`/`-C`: the lines around each match, as grep prints them — the `before` lines
/// that precede a match (kept as copies in a ring), the `after` lines that follow it, and a
/// `--` line between groups that are not adjacent.
struct ContextLines {
  let before: Int
  let after: Int
  /// Whether to write `--` between groups (not in JSON output, which must stay NDJSON).
  let separators: Bool
  private var ring: [[UInt8]] = []
  private var ringStart = 0
  private var ringCount = 0
  /// Lines still to print after the last match.
  private var afterLeft = 0
  /// Whether anything was printed in this input, and whether lines were skipped since.
  private var printedAny = false
  private var gap = false

  init(before: Int, after: Int, separators: Bool) {
    self.before = before
    self.after = after
    self.separators = separators
    ring = Array(repeating: [], count: before)
  }

  var isActive: Bool { before > 0 || after > 0 }

  /// Whether lines after the last match are still to be printed (`-m` waits for them).
  var wantsMore: Bool { afterLeft > 0 }

  /// A new input begins: groups never join across inputs.
  mutating func startInput() {
    ringCount = 0
    afterLeft = 0
    if printedAny { gap = true }
  }

  /// Before a match is written: the separator if needed, then the lines kept before it.
  mutating func beforeMatch(worker: GrepWorker) {
    if gap && printedAny && separators { worker.out.append(contentsOf: "--\n".utf8) }
    gap = false
    for k in 0..<ringCount {
      ring[(ringStart + k) % before].withUnsafeBytes { worker.emitContext($0) }
    }
    ringCount = 0
    printedAny = true
  }

  /// After a match: the next `after` lines are context.
  mutating func afterMatch() { afterLeft = after }

  /// A line that did not match: printed as trailing context, or kept for the next match.
  mutating func notMatched(_ line: UnsafeRawBufferPointer, worker: GrepWorker) {
    if afterLeft > 0 {
      afterLeft -= 1
      worker.emitContext(line)
      return
    }
    guard before > 0 else {
      gap = true
      return
    }
    if ringCount == before {
      // The oldest kept line drops out: it will not be printed.
      gap = true
      ringStart = (ringStart + 1) % before
      ringCount -= 1
    }
    let slot = (ringStart + ringCount) % before
    ring[slot].removeAll(keepingCapacity: true)
    ring[slot].append(contentsOf: line)
    ringCount += 1
  }
}
