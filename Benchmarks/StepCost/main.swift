// The cost of one pipeline step per event, in a form `valgrind --tool=callgrind` can count:
// instructions are repeatable on this shared VM where wall-clock figures move ±30 %.
//
//   sluice-step-cost STEP [EVENTS]     STEP: none | parse | metrics | metrics-3-rules | filter | set | remove
//
// Parses a corpus of 1,024 varied events (the same shape as TransformBenchmarks) once, then
// applies STEP to a warm window of 16 of them EVENTS times (default 1,000,000), as the
// processor applies steps to the event it has just parsed. It prints ns/event measured with
// the monotonic clock (the loop and the call included); under callgrind, (instructions of
// STEP − instructions of `none`, which calls a step that does nothing) / EVENTS is the step's
// own instruction count per event (`scripts/bench` part `steps` does this).
import Foundation
import Logging
import SluiceAgent
import SluiceCore
import StepCorpus

let corpus = stepCorpus

let pipelines = [
  "none": "[{type: parse}]",
  "parse": "[{type: parse}]",
  "metrics": "[{type: parse}, {type: metrics}]",
  "metrics-3-rules": threeMetricRules,
  "filter": "[{type: parse}, {type: filter, keep: 'level>=warning'}]",
  "set": "[{type: parse}, {type: set, fields: {cluster: prod, region: eu-west-1}}]",
  "remove": "[{type: parse}, {type: remove, fields: [debug_payload]}]",
]

let arguments = CommandLine.arguments
guard arguments.count >= 2, let pipeline = pipelines[arguments[1]] else {
  FileHandle.standardError.write(
    "usage: sluice-step-cost \(pipelines.keys.sorted().joined(separator: "|")) [EVENTS]\n".data(using: .utf8)!)
  exit(2)
}
let count = arguments.count > 2 ? Int(arguments[2]) ?? 1_000_000 : 1_000_000
let config = try ConfigLoader.parse(yaml: stepBenchConfig(pipeline: pipeline))
let steps = try PipelineBuilder.build(config, metrics: AgentMetrics(), logger: Logger(label: "bench"))
let step = steps.count > 1 ? steps.last! : nil
let scanner = JSONScanner()
var events: [Event] = corpus.map { line in
  var e = Event()
  line.withUnsafeBytes { e.load($0) }
  e.parse(using: scanner)
  return e
}
// Steps that edit events (set, remove) are applied to copies restored each round, so every
// application sees the original event; `none` restores too, so the difference is the step.
/// Steps that edit events are applied to a freshly loaded and parsed line each time (an edit
/// changes the event, and the next application must see the original); their cost is the
/// difference to `parse`, which does the same without a step.
let reparsing: Set<String> = ["parse", "set", "remove"]

func runReparsing(_ step: (any EventTransform)?, count: Int) -> (ns: UInt64, kept: Int) {
  var event = Event()
  let context = LineContext(sourceIndex: 0)
  let scanner = JSONScanner()
  var kept = 0
  let start = DispatchTime.now().uptimeNanoseconds
  for k in 0..<count {
    corpus[k & 1023].withUnsafeBytes { event.load($0) }
    event.parse(using: scanner)
    if let step, step.apply(&event, context) { kept += 1 }
    if k & 1023 == 1023 { step?.endChunk(sourceIndex: 0) }
  }
  return (DispatchTime.now().uptimeNanoseconds - start, kept)
}

/// The `none` case: applies nothing.
final class NoStep: EventTransform {
  func apply(_ event: inout Event, _ line: LineContext) -> Bool { true }
}

/// The measured loop, in a function so its state is local (top-level variables are globals,
/// whose every access is checked for exclusivity at run time).
func run(_ step: (any EventTransform)?, _ events: inout [Event], count: Int) -> (ns: UInt64, kept: Int) {
  let originals = events
  let context = LineContext(sourceIndex: 0)
  var kept = 0
  let start = DispatchTime.now().uptimeNanoseconds
  // Unwrapped once, as the processor holds its steps: binding an optional per event would
  // retain and release the step each time.
  let step = step ?? NoStep()
  for k in 0..<count {
    let i = (k & 15) | ((k >> 10) & 1008)
    if step.apply(&events[i], context) { kept += 1 }
    if k & 1023 == 1023 {
      step.endChunk(sourceIndex: 0)
      let window = (k >> 10) & 1008
      for j in window..<window + 16 { events[j] = originals[j] }
    }
  }
  return (DispatchTime.now().uptimeNanoseconds - start, kept)
}
let (elapsed, kept) =
  reparsing.contains(arguments[1])
  ? runReparsing(arguments[1] == "parse" ? nil : step, count: count) : run(step, &events, count: count)
print(
  "\(arguments[1]): \(count) events, \(String(format: "%.1f", Double(elapsed) / Double(count))) ns/event, kept \(kept)")
