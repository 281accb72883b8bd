import Testing

@testable import SluiceAgent

/// `filter`, `set` and `remove` steps, applied in-process by the built pipeline.
struct FieldStepTests {
  @Test func filterKeepsMatchingEventsAndCountsTheRestByStepName() throws {
    let h = try StepHarness(pipeline: "[{type: parse}, {type: filter, name: warn_up, keep: 'level>=warning'}]")
    let out = h.run([
      #"{"level":"info","msg":"a"}"#, #"{"level":"error","msg":"b"}"#, #"{"level":"warn","msg":"c"}"#,
      "plain text", #"{"msg":"no level"}"#,
    ])
    #expect(out.map { $0 != nil } == [false, true, true, false, false])
    #expect(h.value("sluice_events_filtered_total", #"step="warn_up""#) == 3)
  }

  @Test func filterDropMatchingEvents() throws {
    let h = try StepHarness(pipeline: "[{type: parse}, {type: filter, drop: 'path=/healthz'}]")
    let out = h.run([#"{"path":"/healthz"}"#, #"{"path":"/api"}"#, #"{"path":"/healthz","x":1}"#])
    #expect(out.map { $0 != nil } == [false, true, false])
    #expect(h.value("sluice_events_filtered_total", #"step="filter""#) == 2)
  }

  @Test func setAddsFieldsWithTheirYAMLTypesAndOverwrites() throws {
    let h = try StepHarness(
      pipeline: #"[{type: parse}, {type: set, fields: {cluster: prod, replicas: 3, canary: false, zone: "3"}}]"#)
    let out = h.run([#"{"msg":"a"}"#, #"{"msg":"b","cluster":"dev"}"#, "plain", "{}"])
    #expect(out[0] == #"{"msg":"a","cluster":"prod","replicas":3,"canary":false,"zone":"3"}"#)
    #expect(out[1] == #"{"msg":"b","cluster":"prod","replicas":3,"canary":false,"zone":"3"}"#)
    #expect(out[2] == #"{"message":"plain","cluster":"prod","replicas":3,"canary":false,"zone":"3"}"#)
    #expect(out[3] == #"{"cluster":"prod","replicas":3,"canary":false,"zone":"3"}"#)
  }

  @Test func setWithoutOverwriteKeepsTheEventsValue() throws {
    let h = try StepHarness(pipeline: "[{type: parse}, {type: set, overwrite: false, fields: {env: prod}}]")
    #expect(h.run([#"{"env":"dev"}"#, #"{"a":1}"#]) == [#"{"env":"dev"}"#, #"{"a":1,"env":"prod"}"#])
  }

  @Test func removeDropsTopLevelNestedAndDuplicateFields() throws {
    let h = try StepHarness(
      pipeline: "[{type: parse}, {type: remove, fields: [debug_payload, http.request.body, gone]}]")
    let out = h.run([
      #"{"msg":"a","debug_payload":{"big":[1,2,3]},"level":"info"}"#,
      #"{"debug_payload":"x"}"#,
      #"{"http":{"request":{"body":"secret","method":"GET"}},"debug_payload":1,"debug_payload":2}"#,
      #"{"msg":"untouched"}"#,
    ])
    #expect(out[0] == #"{"msg":"a","level":"info"}"#)
    #expect(out[1] == "{}")
    #expect(out[2] == #"{"http":{"request":{"method":"GET"}}}"#)
    #expect(out[3] == #"{"msg":"untouched"}"#)
  }

  @Test func stepsGetDefaultNamesAndNamesMustBeUnique() throws {
    let h = try StepHarness(pipeline: "[{type: parse}, {type: filter, keep: 'a=1'}, {type: filter, keep: 'b=1'}]")
    #expect(h.config.pipeline.map(\.name) == ["parse", "filter", "filter_2"])
    #expect(throws: ConfigError.self) {
      try StepHarness(
        pipeline: "[{type: parse}, {type: filter, name: f, keep: 'a=1'}, {type: remove, name: f, fields: [x]}]")
    }
  }

  /// Each broken step names where it is and what is wrong.
  @Test(arguments: [
    ("[{type: parse}, {type: filter}]", "pipeline[1]", "needs `keep: QUERY` or `drop: QUERY`"),
    ("[{type: parse}, {type: filter, keep: 'a=1', drop: 'b=2'}]", "pipeline[1]", "exclude each other"),
    ("[{type: parse}, {type: filter, keep: 'a =='}]", "pipeline[1].keep", "query error"),
    ("[{type: filter, keep: 'a=1'}, {type: parse}]", "pipeline[0]", "must come after a `type: parse` step"),
    ("[{type: parse}, {type: set, fields: {}}]", "pipeline[1].fields", "at least one"),
    ("[{type: parse}, {type: remove, fields: [.x]}]", "pipeline[1].fields[0]", "not a field name"),
    (
      "[{type: parse}, {type: sample}]", "pipeline[1].type",
      "known step types: parse, redact, filter, set, remove, metrics"
    ),
    ("[{type: parse, detectors: [email]}]", "pipeline[0].detectors", "unknown key"),
    ("[{type: parse}, {type: set, fields: {a: 1}, overwite: true}]", "pipeline[1].overwite", "unknown key"),
  ])
  func brokenSteps(pipeline: String, path: String, message: String) {
    do {
      _ = try StepHarness(pipeline: pipeline)
      Issue.record("accepted: \(pipeline)")
    } catch let error as ConfigError {
      #expect(error.path == path, "\(error)")
      #expect(error.message.contains(message), "\(error)")
    } catch {
      Issue.record("unexpected \(error)")
    }
  }
}
