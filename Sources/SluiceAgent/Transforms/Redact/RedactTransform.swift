import CoreMetrics
import SluiceCore

/// The running `redact` step: one ``Redactor`` (with its reused buffers) and one counter
/// per rule (`sluice_redactions_total{rule}`).
final class RedactTransform: EventTransform {
  private var redactor: Redactor
  private let counters: [CoreMetrics.Counter]
  private let scanner: JSONScanner

  init(redactor: Redactor, context: TransformBuildContext) {
    self.redactor = redactor
    self.counters = redactor.ruleNames.map { context.metrics.redactions(rule: $0) }
    self.scanner = context.scanner
  }

  func apply(_ event: inout Event, _ line: LineContext) -> Bool {
    redactor.redact(&event, scanner: scanner)
    return true
  }

  func endChunk(sourceIndex: Int) {
    for (rule, n) in redactor.takeCounts().enumerated() where n > 0 { counters[rule].increment(by: n) }
  }
}
