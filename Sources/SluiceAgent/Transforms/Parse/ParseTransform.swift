import CoreMetrics
import Logging
import SluiceCore

/// `type: parse`: makes each line a JSON object — the line itself when it is one,
/// `{"message": <line>}` otherwise — and marks lines cut at `max_line_bytes` with
/// `"_truncated": true`. Wrapped lines are counted by source and reason.
public struct ParseSettings: TransformSettings, Equatable {
  public static let typeName = "parse"

  public init() {}

  public init(from decoder: any Decoder) throws {
    try decoder.rejectUnknownTransformKeys(NoKeys.self)
  }

  public func validate(at path: String, in pipeline: PipelineContext, into issues: inout ConfigIssues) {}

  public var structuresEvents: Bool { true }

  public func makeTransform(_ context: TransformBuildContext) -> any EventTransform {
    ParseTransform(context)
  }
}

final class ParseTransform: EventTransform {
  private let scanner: JSONScanner
  private let logger: Logger
  private let sourceNames: [String]
  /// By source index, then by ``reasons`` index.
  private let wrappedCounters: [[CoreMetrics.Counter]]
  private var wrapped: [Int]
  private static let reasons: [Event.WrapReason] = [.notJSON, .notObject, .invalidJSON]
  private var warnedInvalidJSON = false

  init(_ context: TransformBuildContext) {
    scanner = context.scanner
    logger = context.logger
    sourceNames = context.sourceNames
    wrappedCounters = context.sourceNames.map { source in
      Self.reasons.map { context.metrics.parseWrapped(source: source, reason: $0) }
    }
    wrapped = [Int](repeating: 0, count: Self.reasons.count)
  }

  func apply(_ event: inout Event, _ line: LineContext) -> Bool {
    let (outcome, error) = event.parse(using: scanner)
    if case .wrapped(let reason) = outcome {
      switch reason {
      case .notJSON: wrapped[0] += 1
      case .notObject: wrapped[1] += 1
      case .invalidJSON:
        wrapped[2] += 1
        if !warnedInvalidJSON, let error {
          warnedInvalidJSON = true
          logger.warning(
            "line looks like JSON but is not; shipping it as a message (counted in sluice_parse_wrapped_total)",
            metadata: ["source": "\(sourceNames[line.sourceIndex])", "error": "\(error)"])
        }
      }
    }
    if line.truncated { event.appendMember(key: "_truncated", jsonValue: "true", scanner: scanner) }
    return true
  }

  func endChunk(sourceIndex: Int) {
    for k in wrapped.indices where wrapped[k] > 0 {
      wrappedCounters[sourceIndex][k].increment(by: wrapped[k])
      wrapped[k] = 0
    }
  }
}
