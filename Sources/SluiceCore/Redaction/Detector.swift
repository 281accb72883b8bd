/// A byte range a detector flagged as sensitive.
public struct DetectorMatch: Sendable, Equatable {
  public var range: Range<Int>
  /// Index of the rule (detector) in its ``Redactor``.
  public var rule: Int

  public init(range: Range<Int>, rule: Int) {
    self.range = range
    self.rule = rule
  }
}

/// Finds sensitive substrings in UTF-8 text, in one pass, without regular expressions.
public protocol Detector: Sendable {
  /// The rule name used in markers (`[REDACTED:<name>]`) and metric labels.
  var name: String { get }
  /// Appends the ranges of `text` that are sensitive, in ascending, non-overlapping order.
  func detect(in text: UnsafeRawBufferPointer, rule: Int, into matches: inout [DetectorMatch])
}
