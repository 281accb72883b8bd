import SluiceCore

/// Everything `sluice grep` was asked to do, parsed from its arguments.
public struct GrepOptions: Sendable {
  /// The filter; nil matches every line.
  public var query: Query?
  /// Only lines at or after / before this instant (Unix nanoseconds). Lines without a time
  /// are left out when either is set.
  public var since: Int64?
  public var until: Int64?
  /// The time field (a dotted path); nil: detected per line (``TimeField``).
  public var timeField: String?
  public var mode: OutputMode = .raw
  public var color = false
  /// `--fields`: only these fields in pretty, logfmt and JSON output.
  public var fields: [String]?
  /// `-c`: print only how many lines matched.
  public var countOnly = false
  /// `--count-by`: print a table of matching lines per combination of these fields' values.
  public var countBy: [String]?
  /// `--top`: at most this many rows of the `--count-by` table.
  public var top: Int?
  /// `--stats`: lines read, matched, unparsable, bytes and time, on standard error.
  public var stats = false
  /// `-m`: stop reading an input after this many matching lines (the whole run with `--merge`).
  public var maxCount: Int?
  /// `-B` / `-A`: lines of context before and after each match.
  public var before = 0
  public var after = 0
  /// `--merge`: interleave the inputs by time instead of reading them one after another.
  public var merge = false
  /// Threads for scanning one plain file (1 or more); output order is kept.
  public var threads = 2
  /// Lines longer than this are cut (and counted).
  public var maxLineBytes = 16 << 20

  public init() {}

  /// Whether lines must be decoded (JSON scanned, logfmt converted) to be judged or printed.
  var needsDecoding: Bool {
    (query?.needsFields ?? false) || since != nil || until != nil || mode != .raw || countBy != nil
  }

  /// Whether the fast block scan (no context, no per-input stop) may be used.
  var allowsBlockScan: Bool { before == 0 && after == 0 && maxCount == nil && !merge }
}
