import Logging
import SluiceCore

/// A built pipeline step, applied to every event in order.
///
/// One processor task owns every transform (they are classes so a step's buffers and
/// per-chunk tallies live in place, and are never shared). ``apply(_:_:)`` runs per event
/// and must not allocate once its buffers have grown; counters are updated once per chunk,
/// in ``endChunk(sourceIndex:)``.
public protocol EventTransform: AnyObject {
  /// Applies the step to one event. Returns false to drop the event (it is then counted by
  /// the step and not handed to later steps or sinks; its chunk is still acknowledged).
  func apply(_ event: inout Event, _ line: LineContext) -> Bool
  /// Called after the last event of each chunk: adds this chunk's tallies to counters.
  func endChunk(sourceIndex: Int)
}

extension EventTransform {
  public func endChunk(sourceIndex: Int) {}
}

/// What a step knows about the line it is applied to.
public struct LineContext: Sendable {
  /// The index of the event's source in `sources:`.
  public var sourceIndex: Int
  /// The line was cut at the source's `max_line_bytes`.
  public var truncated: Bool

  public init(sourceIndex: Int, truncated: Bool = false) {
    self.sourceIndex = sourceIndex
    self.truncated = truncated
  }
}

/// What building a step may use.
public struct TransformBuildContext {
  /// The step's name (``TransformConfig/name``).
  public var name: String
  /// Where the step sits in the file, e.g. `pipeline[2]`, for error messages.
  public var path: String
  public var metrics: AgentMetrics
  /// The configured source names, by source index.
  public var sourceNames: [String]
  public var logger: Logger
  /// The one scanner of the processor task (steps that rewrite events rescan with it).
  public var scanner: JSONScanner
}
