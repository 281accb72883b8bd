// The cost of the agent's pipeline steps per event, with allocations (ordo-one/benchmark,
// `scripts/bench` part "steps"). Each iteration loads one line of a corpus of 1,024 varied
// events (12 services, mixed levels, routes, statuses, durations, some PII), parses it and
// applies the step, as the processor does; the step's cost is the difference to the
// "parse (baseline)" case measured in the same run. Two "cold" cases apply a step alone to
// pre-parsed events, whose bytes and tapes are then out of cache; three "warm" cases apply a
// step alone to pre-parsed events in cache (the step's own cost, with no baseline to
// subtract, so the least noisy figure). Figures are per event.
import Benchmark
import Logging
import SluiceAgent
import SluiceCore
import StepCorpus

let corpus = stepCorpus

func steps(_ pipeline: String) -> [any EventTransform] {
  let config = try! ConfigLoader.parse(yaml: stepBenchConfig(pipeline: pipeline))
  return try! PipelineBuilder.build(config, metrics: AgentMetrics(), logger: Logger(label: "bench"))
}

func parsed() -> [Event] {
  let scanner = JSONScanner()
  return corpus.map { line in
    var e = Event()
    line.withUnsafeBytes { e.load($0) }
    e.parse(using: scanner)
    return e
  }
}

let threeRules = threeMetricRules

/// The warm cases' loop, in a function of its own so its state is in registers and locals,
/// not in the benchmark closure's context.
@inline(never)
func applyWarm(_ step: any EventTransform, _ events: inout [Event], from k: inout Int, count: Int) -> Int {
  let context = LineContext(sourceIndex: 0)
  var kept = 0
  for _ in 0..<count {
    if step.apply(&events[(k & 15) | ((k >> 6) & 1008)], context) { kept += 1 }
    k += 1
    if k & 1023 == 0 { step.endChunk(sourceIndex: 0) }
  }
  return kept
}

let benchmarks: @Sendable () -> Void = {
  Benchmark.defaultConfiguration = .init(
    metrics: [.wallClock, .mallocCountTotal],
    timeUnits: .nanoseconds,
    warmupIterations: 2_048,
    scalingFactor: .kilo,
    maxDuration: .seconds(2),
    maxIterations: 2_000)

  /// Applies the last step of `pipeline` to pre-parsed events.
  func onParsed(_ name: String, _ pipeline: String) {
    Benchmark(name) { benchmark in
      let step = steps(pipeline).last!
      var events = parsed()
      let context = LineContext(sourceIndex: 0)
      var k = 0
      var kept = 0
      // Building the step and parsing the corpus is set-up, not the step's cost.
      benchmark.startMeasurement()
      for _ in benchmark.scaledIterations {
        if step.apply(&events[k & 1023], context) { kept += 1 }
        k += 1
        if k & 1023 == 0 { step.endChunk(sourceIndex: 0) }
      }
      blackHole(kept)
    }
  }
  // On a cold, pre-parsed corpus: the step alone, with the cache misses of 1,024 events'
  // bytes and tapes (the processor applies steps to the event it just parsed, in cache).
  onParsed("cold: metrics, default rules", "[{type: parse}, {type: metrics}]")
  onParsed("cold: filter level>=warning", "[{type: parse}, {type: filter, keep: 'level>=warning'}]")

  /// Applies the last step of `pipeline` to pre-parsed events in a window of 16 that moves
  /// through the corpus every 1,024 events: the step alone, on events in cache, as the
  /// processor applies it to the event it has just parsed — no baseline to subtract.
  func warm(_ name: String, _ pipeline: String) {
    Benchmark(name) { benchmark in
      let step = steps(pipeline).last!
      var events = parsed()
      var k = 0
      benchmark.startMeasurement()
      blackHole(applyWarm(step, &events, from: &k, count: benchmark.scaledIterations.count))
    }
  }
  warm("warm: metrics, default rules", "[{type: parse}, {type: metrics}]")
  warm("warm: metrics, 3 rules", threeRules)
  warm("warm: filter level>=warning", "[{type: parse}, {type: filter, keep: 'level>=warning'}]")

  /// Loads and parses each event, then applies the steps after `parse`.
  func fromLine(_ name: String, _ pipeline: String) {
    Benchmark(name) { benchmark in
      let all = steps(pipeline)
      var event = Event()
      let context = LineContext(sourceIndex: 0)
      var k = 0
      benchmark.startMeasurement()
      for _ in benchmark.scaledIterations {
        corpus[k & 1023].withUnsafeBytes { event.load($0) }
        for step in all { _ = step.apply(&event, context) }
        k += 1
        if k & 1023 == 0 { for step in all { step.endChunk(sourceIndex: 0) } }
      }
      blackHole(event.bytes.count)
    }
  }
  fromLine("parse (baseline)", "[{type: parse}]")
  fromLine("parse + metrics, default rules", "[{type: parse}, {type: metrics}]")
  fromLine("parse + metrics, 3 rules", threeRules)
  fromLine("parse + filter level>=warning", "[{type: parse}, {type: filter, keep: 'level>=warning'}]")
  fromLine("parse + set 2 fields", "[{type: parse}, {type: set, fields: {cluster: prod, region: eu-west-1}}]")
  fromLine("parse + remove 1 field", "[{type: parse}, {type: remove, fields: [debug_payload]}]")
}
