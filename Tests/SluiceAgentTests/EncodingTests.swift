import Foundation
import SluiceCore
import Testing

@testable import SluiceAgent

// MARK: - Helpers

/// 2024-12-31T23:00:00Z: the batch time of the golden tests.
private let batchNow: Int64 = 1_735_686_000_000_000_000

/// NDJSON of `lines`, each followed by `\n`.
private func ndjson(_ lines: [String]) -> [UInt8] {
  Array(lines.map { $0 + "\n" }.joined().utf8)
}

private func encode<E: BatchEncoder>(_ encoder: inout E, _ lines: [String], now: Int64 = batchNow) -> String {
  var out: [UInt8] = []
  encoder.encode(ndjson(lines), now: now, into: &out)
  return String(decoding: out, as: UTF8.self)
}

private func parseJSON(_ text: String) throws -> JSONValue {
  try JSONValue.parse(text)
}

private func array(_ value: JSONValue?) -> [JSONValue] {
  if case .array(let items)? = value { return items }
  return []
}

// MARK: - NDJSON, JSON array, lines

@Suite("Batch encoders: NDJSON and JSON array")
struct BasicEncodingTests {
  @Test func ndjsonIsTheBatchAsItIs() {
    var encoder = NDJSONEncoder()
    let batch = ndjson([#"{"a":1}"#, #"{"b":"x\ny"}"#])
    var out: [UInt8] = [0x41]  // encoders append
    encoder.encode(batch, now: 0, into: &out)
    #expect(out == [0x41] + batch)
    #expect(encoder.contentType == "application/x-ndjson")
  }

  @Test func jsonArray() {
    var encoder = JSONArrayEncoder()
    #expect(encode(&encoder, [#"{"a":1}"#, #"{"b":[2,3]}"#, "{}"]) == #"[{"a":1},{"b":[2,3]},{}]"#)
    #expect(encode(&encoder, []) == "[]")
    #expect(encoder.contentType == "application/json")
    // Empty lines and CRLF endings do not make empty elements.
    var out: [UInt8] = []
    encoder.encode(Array("\n{\"a\":1}\r\n\n{\"b\":2}".utf8), now: 0, into: &out)
    #expect(String(decoding: out, as: UTF8.self) == #"[{"a":1},{"b":2}]"#)
  }

  @Test func linesAndEventIndices() {
    let batch = Array("{\"k\":0}\n\n{\"k\":1}\r\n{\"k\":2}\n{\"k\":3}".utf8)
    let ranges = NDJSONLines.ranges(in: batch)
    #expect(
      ranges.map { String(decoding: batch[$0], as: UTF8.self) } == [#"{"k":0}"#, #"{"k":1}"#, #"{"k":2}"#, #"{"k":3}"#])
    #expect(NDJSONLines.count(in: batch) == 4)
    #expect(NDJSONLines.count(in: []) == 0)
    #expect(NDJSONLines.count(in: Array("\n\n".utf8)) == 0)
    let subset = NDJSONLines.subset(batch, events: [3, 1, 9, -1])
    #expect(String(decoding: subset, as: UTF8.self) == "{\"k\":3}\n{\"k\":1}\n")
  }
}

// MARK: - Loki

@Suite("Batch encoders: Loki")
struct LokiEncodingTests {
  @Test func golden() {
    var encoder = LokiEncoder(
      staticLabels: [("job", "sluice"), ("env", "prod")], labelFields: [("app", "service"), ("level", "level")])
    let out = encode(
      &encoder,
      [
        #"{"timestamp":"2024-05-01T12:00:00Z","level":"info","service":"api","message":"hi"}"#,
        #"{"level":"error","service":"api","msg":"boom \"x\""}"#,
        #"{"ts":1714564801.5,"level":"info","service":"api"}"#,
      ])
    let expected =
      #"{"streams":["#
      + #"{"stream":{"app":"api","env":"prod","job":"sluice","level":"info"},"values":["#
      + #"["1714564800000000000","{\"timestamp\":\"2024-05-01T12:00:00Z\",\"level\":\"info\","#
      + #"\"service\":\"api\",\"message\":\"hi\"}"],"#
      + #"["1714564801500000000","{\"ts\":1714564801.5,\"level\":\"info\",\"service\":\"api\"}"]]},"#
      + #"{"stream":{"app":"api","env":"prod","job":"sluice","level":"error"},"values":["#
      + #"["1735686000000000000","{\"level\":\"error\",\"service\":\"api\",\"msg\":\"boom \\\"x\\\"\"}"]]}"#
      + #"]}"#
    #expect(out == expected)
    #expect(encoder.contentType == "application/json")
    #expect(encode(&encoder, []) == #"{"streams":[]}"#)
  }

  @Test func labelValueTypes() {
    var encoder = LokiEncoder(
      staticLabels: [("region", "eu")],
      labelFields: [("status", "http.status"), ("ok", "ok"), ("user", "user"), ("region", "region"), ("n", "none")])
    let out = encode(
      &encoder,
      [
        #"{"http":{"status":503},"ok":true,"user":{"id":1},"region":"us"}"#,
        #"{"http.status":2.5e2,"ok":false,"user":null,"region":null}"#,
        #"{"ok":"","region":""}"#,
        "not json",
      ])
    let streams = #"{"streams":["#
    #expect(
      out
        == streams
        + #"{"stream":{"ok":"true","region":"us","status":"503"},"values":[["1735686000000000000","#
        + #""{\"http\":{\"status\":503},\"ok\":true,\"user\":{\"id\":1},\"region\":\"us\"}"]]},"#
        + #"{"stream":{"ok":"false","region":"eu","status":"2.5e2"},"values":[["1735686000000000000","#
        + #""{\"http.status\":2.5e2,\"ok\":false,\"user\":null,\"region\":null}"]]},"#
        + #"{"stream":{"region":"eu"},"values":[["1735686000000000000","{\"ok\":\"\",\"region\":\"\"}"],"#
        + #"["1735686000000000000","not json"]]}]}"#
    )
  }

  @Test("equal values written with different escapes are one stream")
  func escapesAreCanonical() throws {
    var encoder = LokiEncoder(labelFields: [("app", "app")])
    let out = encode(
      &encoder, [#"{"app":"caf\u00e9 \"q\""}"#, #"{"app":"café \"q\""}"#, #"{"app":"\u0063af\u00E9 \u0022q\u0022"}"#])
    let streams = array(try parseJSON(out)["streams"])
    #expect(streams.count == 1)
    #expect(streams.first?["stream"] == ["app": "café \"q\""])
    #expect(array(streams.first?["values"]).count == 3)
    #expect(out.contains(#"{"stream":{"app":"café \"q\""}"#))
  }

  @Test("long label values are cut to 1 KiB on a character boundary")
  func longValues() throws {
    var encoder = LokiEncoder(staticLabels: [("s", String(repeating: "z", count: 5000))], labelFields: [("a", "a")])
    let long = String(repeating: "a", count: 1023) + "é" + String(repeating: "b", count: 100)
    let out = encode(&encoder, ["{\"a\":\"\(long)\"}", "{\"a\":\"\(String(repeating: "c", count: 1024))\"}"])
    let streams = array(try parseJSON(out)["streams"])
    #expect(streams.count == 2)
    #expect(streams.first?["stream"]?["a"]?.stringValue == String(repeating: "a", count: 1023))
    #expect(streams.first?["stream"]?["s"]?.stringValue == String(repeating: "z", count: 1024))
    #expect(streams.last?["stream"]?["a"]?.stringValue == String(repeating: "c", count: 1024))
  }

  @Test(
    "label names",
    arguments: [
      ("app", true), ("_", true), ("_app_2", true), ("App", true), ("a1", true), ("", false), ("1a", false),
      ("app-name", false), ("app.name", false), ("é", false), ("a b", false), ("__name__", true),
    ])
  func labelNames(_ name: String, _ valid: Bool) {
    #expect(LokiEncoder.validateLabelName(name) == valid)
  }

  @Test("streams in first-appearance order, values in batch order, across batches")
  func grouping() throws {
    var encoder = LokiEncoder(staticLabels: [("job", "x")], labelFields: [("app", "app"), ("level", "level")])
    let sets = [("b", "info"), ("a", "error"), ("b", "error"), ("c", "info")]
    var lines: [String] = []
    for k in 0..<1_000 {
      let (app, level) = sets[(k * 7 + k / 3) % sets.count]
      lines.append(#"{"seq":\#(k),"app":"\#(app)","level":"\#(level)","ts":\#(1_714_564_800 + k)}"#)
    }
    lines.append(#"{"seq":1000,"level":"info"}"#)  // no app: its own stream
    for round in 0..<2 {  // the encoder is reused: the second batch must not see the first
      let out = encode(&encoder, round == 0 ? lines : Array(lines.prefix(3)))
      let streams = array(try parseJSON(out)["streams"])
      var firstSeen: [JSONValue] = []
      var expectedByStream: [JSONValue: [String]] = [:]
      for line in round == 0 ? lines : Array(lines.prefix(3)) {
        let event = try parseJSON(line)
        var labels: [JSONMember] = []
        if let app = event["app"] { labels.append(JSONMember("app", app)) }
        labels.append(JSONMember("job", "x"))
        labels.append(JSONMember("level", event["level"]!))
        let key = JSONValue.object(labels)
        if expectedByStream[key] == nil { firstSeen.append(key) }
        expectedByStream[key, default: []].append(line)
      }
      #expect(streams.map { $0["stream"]! } == firstSeen)
      var total = 0
      for stream in streams {
        let values = array(stream["values"])
        total += values.count
        let lines = values.map { array($0).last?.stringValue ?? "" }
        #expect(lines == expectedByStream[stream["stream"]!])
        for value in values {
          let pair = array(value)
          let event = try parseJSON(pair[1].stringValue ?? "")
          guard case .int(let seq)? = event["seq"] else { continue }
          let expectedTime = seq == 1000 ? batchNow : (1_714_564_800 + seq) * 1_000_000_000
          #expect(pair[0] == .string(String(expectedTime)))
        }
      }
      #expect(total == (round == 0 ? 1_001 : 3))
      #expect(streams.count == (round == 0 ? 5 : 3))
    }
  }

  @Test("thousands of streams")
  func manyStreams() throws {
    var encoder = LokiEncoder(labelFields: [("id", "id")])
    let lines = (0..<20_000).map { #"{"id":\#($0 % 5_000),"n":\#($0)}"# }
    let streams = array(try parseJSON(encode(&encoder, lines))["streams"])
    #expect(streams.count == 5_000)
    #expect(streams.map { $0["stream"]?["id"]?.stringValue } == (0..<5_000).map { String($0) })
    #expect(streams.allSatisfy { array($0["values"]).count == 4 })
    let last = array(streams.last?["values"]).map { array($0).last?.stringValue ?? "" }
    #expect(last == [4_999, 9_999, 14_999, 19_999].map { #"{"id":4999,"n":\#($0)}"# })
  }
}

// MARK: - Elasticsearch

@Suite("Batch encoders: Elasticsearch")
struct ElasticsearchEncodingTests {
  @Test func goldenWithDateIndex() {
    var encoder = ElasticsearchEncoder(index: "logs-%Y.%m.%d")
    let out = encode(
      &encoder,
      [
        #"{"@timestamp":"2024-05-01T23:59:59.999Z","message":"a"}"#,
        #"{"@timestamp":"2024-05-02T00:00:00+02:00","message":"b"}"#,
        #"{"message":"c"}"#,
        #"{"ts":1709164800,"message":"d"}"#,
        "not json",
      ])
    let expected = """
      {"create":{"_index":"logs-2024.05.01"}}
      {"@timestamp":"2024-05-01T23:59:59.999Z","message":"a"}
      {"create":{"_index":"logs-2024.05.01"}}
      {"@timestamp":"2024-05-02T00:00:00+02:00","message":"b"}
      {"create":{"_index":"logs-2024.12.31"}}
      {"message":"c"}
      {"create":{"_index":"logs-2024.02.29"}}
      {"ts":1709164800,"message":"d"}
      {"create":{"_index":"logs-2024.12.31"}}
      not json

      """
    #expect(out == expected)
    #expect(encoder.contentType == "application/x-ndjson")
  }

  @Test func staticIndexAndActions() {
    var encoder = ElasticsearchEncoder(index: "app\"logs%%x%q", action: .index)
    let out = encode(&encoder, [#"{"timestamp":"2024-05-01T12:00:00Z"}"#, "{}"])
    #expect(
      out == """
        {"index":{"_index":"app\\"logs%x%q"}}
        {"timestamp":"2024-05-01T12:00:00Z"}
        {"index":{"_index":"app\\"logs%x%q"}}
        {}

        """)
    #expect(encode(&encoder, []) == "")
    #expect(encoder.indexName(at: 0) == "app\"logs%x%q")
  }

  @Test func indexNames() {
    let encoder = ElasticsearchEncoder(index: "%Y/%m/%d-%Y%m%d")
    #expect(encoder.indexName(at: 0) == "1970/01/01-19700101")
    #expect(encoder.indexName(at: -1) == "1969/12/31-19691231")
    #expect(encoder.indexName(at: 1_714_564_800_000_000_000) == "2024/05/01-20240501")
    #expect(encoder.indexName(at: Int64.max) == "2262/04/11-22620411")
  }

  /// An Elasticsearch 8 `_bulk` response with a created item, a conflict, a rejection under
  /// load and a mapping failure.
  static let mixedResponse = """
    {"took":30,"errors":true,"items":[\
    {"create":{"_index":"logs-2024.05.01","_id":"dGVzdDE","_version":1,"result":"created",\
    "_shards":{"total":2,"successful":1,"failed":0},"_seq_no":0,"_primary_term":1,"status":201}},\
    {"create":{"_index":"logs-2024.05.01","_id":"dGVzdDI","status":409,"error":{\
    "type":"version_conflict_engine_exception",\
    "reason":"[dGVzdDI]: version conflict, document already exists (current version [1])",\
    "index_uuid":"aAsFqTI0Tc2W0LCWgPNrOA","shard":"0","index":"logs-2024.05.01"}}},\
    {"create":{"_index":"logs-2024.05.01","_id":"dGVzdDM","status":429,"error":{\
    "type":"es_rejected_execution_exception",\
    "reason":"rejected execution of coordinating operation [coordinating_and_primary_bytes=0, replica_bytes=0, \
    all_bytes=0, coordinating_operation_bytes=1024, max_coordinating_and_primary_bytes=0]"}}},\
    {"create":{"_index":"logs-2024.05.01","_id":null,"status":400,"error":{"type":"document_parsing_exception",\
    "reason":"[1:15] failed to parse field [status] of type [long] in document with id 'dGVzdDQ'. \
    Preview of field's value: 'ok'","caused_by":{"type":"illegal_argument_exception",\
    "reason":"For input string: \\"ok\\""}}}}]}
    """

  @Test func mixedResponse() throws {
    let response = try #require(ElasticsearchBulkResponse(body: Array(Self.mixedResponse.utf8), expectedItems: 4))
    #expect(response.errors)
    #expect(response.itemCount == 4)
    #expect(response.items.map(\.status) == [201, 409, 429, 400])
    #expect(response.items[0].error == nil)
    #expect(response.items[0].reason == "")
    #expect(ElasticsearchBulkResponse.parse(Array(Self.mixedResponse.utf8)) == response)
    #expect(
      response.items[1].error
        == "version_conflict_engine_exception: [dGVzdDI]: version conflict, document already exists "
        + "(current version [1])"
    )
    #expect(response.items[2].error?.hasPrefix("es_rejected_execution_exception: rejected execution of") == true)
    #expect(
      response.items[3].error
        == "document_parsing_exception: [1:15] failed to parse field [status] of type [long] in document with id "
        + "'dGVzdDQ'. Preview of field's value: 'ok'")
    #expect(response.failedItems == [1, 2, 3])
    #expect(response.items.map(\.isRetryable) == [false, false, true, false])
    #expect(response.items.map(\.isSuccess) == [true, false, false, false])
    #expect(ElasticsearchBulkResponse(body: Array(Self.mixedResponse.utf8), expectedItems: 5) == nil)

    // Item k is event k: the retryable items' events make the retry batch.
    let batch = ndjson((0..<4).map { #"{"n":\#($0)}"# })
    let retry = NDJSONLines.subset(batch, events: response.items.indices.filter { response.items[$0].isRetryable })
    #expect(String(decoding: retry, as: UTF8.self) == "{\"n\":2}\n")
  }

  @Test("an OpenSearch response without errors is counted, not read")
  func openSearchWithoutErrors() throws {
    let body = """
      {"took":12,"ingest_took":0,"errors":false,"items":[\
      {"index":{"_index":"logs","_id":"1","_version":1,"result":"created","forced_refresh":false,\
      "_shards":{"total":2,"successful":2,"failed":0},"_seq_no":0,"_primary_term":1,"status":201}},\
      {"index":{"_index":"logs","_id":"2","_version":3,"result":"updated",\
      "_shards":{"total":2,"successful":2,"failed":0},"_seq_no":7,"_primary_term":1,"status":200}},\
      {"index":{"_index":"logs","_id":"3","_version":1,"result":"created",\
      "_shards":{"total":2,"successful":2,"failed":0},"_seq_no":8,"_primary_term":1,"status":201}}]}
      """
    let response = try #require(ElasticsearchBulkResponse(body: Array(body.utf8), expectedItems: 3))
    #expect(response == ElasticsearchBulkResponse(errors: false, itemCount: 3, items: []))
    #expect(response.failedItems.isEmpty)
    #expect(ElasticsearchBulkResponse(body: Array(body.utf8), expectedItems: 2) == nil)
    #expect(ElasticsearchBulkResponse(body: Array(body.utf8))?.itemCount == 3)
  }

  @Test("without an errors flag the items are read")
  func noErrorsFlag() throws {
    let body =
      #"{"items":[{"create":{"status":201}},{"delete":{"status":404,"error":"DocumentMissingException[[x]]"}}]}"#
    let response = try #require(ElasticsearchBulkResponse(body: Array(body.utf8)))
    #expect(response.errors)
    #expect(response.items == [.init(status: 201), .init(status: 404, error: "DocumentMissingException[[x]]")])
    #expect(response.items.map(\.reason) == ["", "DocumentMissingException[[x]]"])
  }

  @Test func longReasonsAreCut() throws {
    let reason = String(repeating: "é", count: 600)
    let body = #"{"errors":true,"items":[{"create":{"status":400,"error":{"type":"t","reason":"\#(reason)"}}}]}"#
    let response = try #require(ElasticsearchBulkResponse(body: Array(body.utf8)))
    let error = try #require(response.items.first?.error)
    #expect(error.utf8.count <= ElasticsearchBulkResponse.maxReasonBytes)
    #expect(error.utf8.count >= ElasticsearchBulkResponse.maxReasonBytes - 1)
    #expect(error.hasPrefix("t: éé"))
  }

  @Test(
    "malformed responses give nil",
    arguments: [
      "", "not json", "[1,2]", #"{"errors":false}"#, #"{"errors":"no","items":[]}"#, #"{"errors":false,"items":{}}"#,
      #"{"errors":true,"items":[1]}"#, #"{"errors":false,"items":[{"create":1}]}"#,
      #"{"errors":true,"items":[{"create":{"_id":"x"}}]}"#, #"{"errors":true,"items":[{"create":{"status":"201"}}]}"#,
      #"{"errors":true,"items":[{"create":{"status":201.5}}]}"#, #"{"errors":true,"items":[{}]}"#,
      #"{"errors":true,"items":[{"create":{"status":201}}"#,
    ])
  func malformed(_ body: String) {
    #expect(ElasticsearchBulkResponse(body: Array(body.utf8)) == nil)
  }
}

// MARK: - OTLP

@Suite("Batch encoders: OTLP")
struct OTLPEncodingTests {
  @Test func golden() {
    var encoder = OTLPEncoder(staticResource: [("deployment.environment", "prod")], scopeVersion: "9.9.9")
    let out = encode(
      &encoder,
      [
        #"{"timestamp":"2024-05-01T12:00:00.123456789Z","level":"ERROR","message":"boom","service.name":"api","#
          + #""http.status":500,"ok":false,"ratio":0.25,"trace_id":"5B8EFFF798038103D269B633813FC60C","#
          + #""span_id":"eee19b7ec3c1b174","user":{"id":7,"tags":["a",null]},"nothing":null}"#,
        #"{"msg":"other","service.name":"worker","trace_id":"xyz"}"#,
        #"{"msg":"plain","service.name":"api","severity_number":10,"level":"info"}"#,
      ])
    let resourceHead = #"{"resource":{"attributes":[{"key":"deployment.environment","value":{"stringValue":"prod"}},"#
    let scope = #"]},"scopeLogs":[{"scope":{"name":"sluice","version":"9.9.9"},"logRecords":["#
    let expected =
      #"{"resourceLogs":["#
      + resourceHead + #"{"key":"service.name","value":{"stringValue":"api"}}"# + scope
      + #"{"timeUnixNano":"1714564800123456789","observedTimeUnixNano":"1735686000000000000","severityNumber":17,"#
      + #""severityText":"ERROR","body":{"stringValue":"boom"},"attributes":["#
      + #"{"key":"http.status","value":{"intValue":"500"}},{"key":"ok","value":{"boolValue":false}},"#
      + #"{"key":"ratio","value":{"doubleValue":0.25}},{"key":"user","value":{"kvlistValue":{"values":["#
      + #"{"key":"id","value":{"intValue":"7"}},"#
      + #"{"key":"tags","value":{"arrayValue":{"values":[{"stringValue":"a"},{}]}}}"#
      + #"]}}}],"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174"},"#
      + #"{"observedTimeUnixNano":"1735686000000000000","severityNumber":10,"severityText":"info","#
      + #""body":{"stringValue":"plain"},"attributes":[]}"#
      + #"]}]},"#
      + resourceHead + #"{"key":"service.name","value":{"stringValue":"worker"}}"# + scope
      + #"{"observedTimeUnixNano":"1735686000000000000","body":{"stringValue":"other"},"#
      + #""attributes":[{"key":"trace_id","value":{"stringValue":"xyz"}}]}"#
      + #"]}]}]}"#
    #expect(out == expected)
    #expect(encoder.contentType == "application/json")
    #expect(encode(&encoder, []) == #"{"resourceLogs":[]}"#)
  }

  /// The records of every resource, flattened, with the resource's attributes.
  private func records(_ out: String) throws -> [(resource: JSONValue, record: JSONValue)] {
    var result: [(JSONValue, JSONValue)] = []
    for resourceLogs in array(try parseJSON(out)["resourceLogs"]) {
      for scopeLogs in array(resourceLogs["scopeLogs"]) {
        for record in array(scopeLogs["logRecords"]) {
          result.append((resourceLogs["resource"]?["attributes"] ?? .null, record))
        }
      }
    }
    return result
  }

  /// A record's attributes as key → AnyValue.
  private func attributes(_ record: JSONValue) -> [String: JSONValue] {
    var result: [String: JSONValue] = [:]
    for kv in array(record["attributes"]) { result[kv["key"]?.stringValue ?? "?"] = kv["value"] }
    return result
  }

  @Test func attributeTypes() throws {
    var encoder = OTLPEncoder(resourceFields: [])
    let out = encode(
      &encoder,
      [
        #"{"i":-42,"big":123456789012345678901234,"f":1.5e3,"inf":-1e400,"zero":-0,"max":9223372036854775807,"#
          + #""min":-9223372036854775808,"t":true,"o":{},"a":[],"nested":{"a":{"b":[1,{"c":null,"d":"x"}]}},"n":null}"#
      ])
    let attrs = attributes(try #require(try records(out).first?.record))
    #expect(attrs["i"] == ["intValue": "-42"])
    #expect(attrs["big"] == ["doubleValue": 123_456_789_012_345_678_901_234.0])
    #expect(attrs["f"] == ["doubleValue": 1500.0])
    #expect(attrs["inf"] == ["doubleValue": "-Infinity"])
    #expect(attrs["zero"] == ["intValue": "0"])
    #expect(attrs["max"] == ["intValue": "9223372036854775807"])
    #expect(attrs["min"] == ["intValue": "-9223372036854775808"])
    #expect(attrs["t"] == ["boolValue": true])
    #expect(attrs["o"] == ["kvlistValue": ["values": []]])
    #expect(attrs["a"] == ["arrayValue": ["values": []]])
    #expect(attrs["n"] == nil)
    #expect(
      attrs["nested"]
        == [
          "kvlistValue": [
            "values": [
              [
                "key": "a",
                "value": [
                  "kvlistValue": [
                    "values": [
                      [
                        "key": "b",
                        "value": [
                          "arrayValue": [
                            "values": [
                              ["intValue": "1"],
                              ["kvlistValue": ["values": [["key": "d", "value": ["stringValue": "x"]]]]],
                            ]
                          ]
                        ],
                      ]
                    ]
                  ]
                ],
              ]
            ]
          ]
        ])
    #expect(out.contains(#"{"key":"f","value":{"doubleValue":1.5e3}}"#))
    #expect(attrs.count == 11)
  }

  @Test("keys and strings are decoded and escaped again")
  func escapes() throws {
    var encoder = OTLPEncoder(resourceFields: [])
    let line =
      #"{"message":"say \"hi\"\n\ttab \\ \/","k\u00e9y":"caf\u00e9 \ud83d\ude00","nul":"a\u0000b","#
      + #""ctl\u001f":"\u2028","quote\"key":"x"}"#
    let out = encode(&encoder, [line])
    let record = try #require(try records(out).first?.record)
    #expect(record["body"] == ["stringValue": "say \"hi\"\n\ttab \\ /"])
    let attrs = attributes(record)
    #expect(attrs["kéy"] == ["stringValue": "café 😀"])
    #expect(attrs["nul"] == ["stringValue": "a\u{0}b"])
    #expect(attrs["ctl\u{1F}"] == ["stringValue": "\u{2028}"])
    #expect(attrs["quote\"key"] == ["stringValue": "x"])
    // The exact escapes: decoded where JSON allows raw text, escaped where it must be.
    #expect(out.contains(#"{"key":"kéy","value":{"stringValue":"café 😀"}}"#))
    #expect(out.contains(#"{"key":"nul","value":{"stringValue":"a\u0000b"}}"#))
    #expect(out.contains(#"{"key":"ctl\u001f","value":{"stringValue":"\u2028"}}"#))
    #expect(out.contains(#""body":{"stringValue":"say \"hi\"\n\ttab \\ /"}"#))
  }

  @Test(
    "trace and span ids: valid hex is taken, anything else stays an attribute",
    arguments: [
      (
        #"{"traceId":"0AF7651916CD43DD8448EB211C80319C","spanId":"B7AD6B7169203331"}"#,
        "0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331", [String]()
      ),
      (
        #"{"trace":{"id":"0af7651916cd43dd8448eb211c80319c"},"span":{"id":"b7ad6b7169203331","kind":"server"}}"#,
        "0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331", ["span"]
      ),
      (
        #"{"trace_id":"0af7651916cd43dd8448eb211c80319","span_id":"b7ad6b716920333g"}"#, nil, nil,
        ["span_id", "trace_id"]
      ),
      (
        #"{"trace_id":"00000000000000000000000000000000","span_id":"0000000000000000"}"#, nil, nil,
        ["span_id", "trace_id"]
      ),
      (#"{"trace_id":12,"span_id":null,"spanId":"b7ad6b7169203331"}"#, nil, "b7ad6b7169203331", ["trace_id"]),
      (#"{"trace_id":"bad","traceId":"0af7651916cd43dd8448eb211c80319c0"}"#, nil, nil, ["traceId", "trace_id"]),
      (#"{"trace_id":"\u0030af7651916cd43dd8448eb211c80319c"}"#, "0af7651916cd43dd8448eb211c80319c", nil, []),
    ] as [(String, String?, String?, [String])])
  func traceContext(_ line: String, _ traceID: String?, _ spanID: String?, _ remaining: [String]) throws {
    var encoder = OTLPEncoder(resourceFields: [])
    let record = try #require(try records(encode(&encoder, [line])).first?.record)
    #expect(record["traceId"]?.stringValue == traceID)
    #expect(record["spanId"]?.stringValue == spanID)
    #expect(attributes(record).keys.sorted() == remaining)
    if let span = attributes(record)["span"] {
      #expect(span == ["kvlistValue": ["values": [["key": "kind", "value": ["stringValue": "server"]]]]])
    }
  }

  @Test(
    "severity",
    arguments: [
      (#"{"level":"trace"}"#, Int?(1), String?("trace"), [String]()), (#"{"level":"DEBUG"}"#, 5, "DEBUG", []),
      (#"{"log.level":"info"}"#, 9, "info", []), (#"{"log":{"level":"info"}}"#, 9, "info", []),
      (#"{"severity":"NOTICE"}"#, 10, "NOTICE", []), (#"{"lvl":"warn"}"#, 13, "warn", []),
      (#"{"level":"err"}"#, 17, "err", []), (#"{"level":"fatal"}"#, 21, "fatal", []),
      (#"{"level":50}"#, 17, "error", []), (#"{"severity_number":18}"#, 18, nil, []),
      (#"{"severity_text":"Warning","severity_number":14}"#, 14, "Warning", []),
      (#"{"level":"w\u0061rn"}"#, 13, "warn", []), (#"{"level":"bogus"}"#, nil, nil, ["level"]),
      (#"{"severity_number":99}"#, nil, nil, ["severity_number"]),
      (#"{"level":"bogus","severity":"error"}"#, 17, "error", ["level"]), (#"{}"#, nil, nil, []),
    ])
  func severity(_ line: String, _ number: Int?, _ text: String?, _ remaining: [String]) throws {
    var encoder = OTLPEncoder(resourceFields: [])
    let record = try #require(try records(encode(&encoder, [line])).first?.record)
    #expect(record["severityNumber"] == number.map { .int(Int64($0)) })
    #expect(record["severityText"]?.stringValue == text)
    // What was read is not repeated; what was not stays an attribute.
    #expect(attributes(record).keys.sorted() == remaining)
  }

  @Test("body: the first message field; other types as values; a line that is not an object")
  func body() throws {
    var encoder = OTLPEncoder(resourceFields: [])
    let out = encode(
      &encoder,
      [
        #"{"message":null,"msg":{"text":"hi","n":1},"body":"unused"}"#, #"{"body":[1,"a"]}"#, #"{"message":3.5}"#,
        #"[1,"two"]"#, #"{"timestamp":"not a time","time":"1960-01-01T00:00:00Z"}"#,
      ])
    let all = try records(out).map(\.record)
    #expect(all.count == 5)
    #expect(
      all[0]["body"]
        == [
          "kvlistValue": [
            "values": [["key": "text", "value": ["stringValue": "hi"]], ["key": "n", "value": ["intValue": "1"]]]
          ]
        ])
    #expect(attributes(all[0]) == ["body": ["stringValue": "unused"]])
    #expect(all[1]["body"] == ["arrayValue": ["values": [["intValue": "1"], ["stringValue": "a"]]]])
    #expect(all[2]["body"] == ["doubleValue": 3.5])
    #expect(all[3] == ["observedTimeUnixNano": "1735686000000000000", "body": ["stringValue": #"[1,"two"]"#]])
    // Times that cannot be sent (unreadable, or before 1970 for a fixed64) stay attributes.
    #expect(all[4]["timeUnixNano"] == nil)
    #expect(attributes(all[4]).keys.sorted() == ["time", "timestamp"])
  }

  @Test("records are grouped by resource in first-appearance order; static resource is overridden by fields")
  func resourceGrouping() throws {
    var encoder = OTLPEncoder(
      resourceFields: ["service.name", "k8s.pod.name"],
      staticResource: [("service.name", "default"), ("cluster", "c1")])
    var lines: [String] = []
    let pods = ["p1", "p2", "p3"]
    for k in 0..<300 {
      let pod = pods[(k * 5 + k / 7) % 3]
      let service = k % 10 == 0 ? "" : #","service.name":"svc""#
      lines.append(#"{"n":\#(k),"k8s.pod.name":"\#(pod)"\#(service)}"#)
    }
    let all = try records(encode(&encoder, lines))
    #expect(all.count == 300)
    var order: [JSONValue] = []
    var seen: [JSONValue: [Int64]] = [:]
    for (resource, record) in all {
      if seen[resource] == nil { order.append(resource) }
      let n = attributes(record)["n"]?["intValue"]?.stringValue.flatMap { Int64($0) }
      #expect(n != nil)
      seen[resource, default: []].append(n ?? -1)
      #expect(attributes(record)["k8s.pod.name"] == nil)
      #expect(attributes(record)["service.name"] == nil)
    }
    // Each resource appears once, its records in batch order.
    #expect(order.count == seen.count)
    #expect(seen.values.allSatisfy { $0 == $0.sorted() })
    #expect(seen.count == 6)
    // First appearance: event 0 (p1, no service), then event 1 (p3, svc), …
    let first = array(order.first).map {
      ($0["key"]?.stringValue ?? "", $0["value"]?["stringValue"]?.stringValue ?? "")
    }
    #expect(first.map(\.0) == ["service.name", "cluster", "k8s.pod.name"])
    #expect(first.map(\.1) == ["default", "c1", "p1"])
    var expectedOrder: [String] = []
    for k in 0..<300 {
      let key = pods[(k * 5 + k / 7) % 3] + (k % 10 == 0 ? "-default" : "-svc")
      if !expectedOrder.contains(key) { expectedOrder.append(key) }
    }
    let actualOrder = order.map { resource in
      let attrs = array(resource)
      let pod = attrs.first { $0["key"] == "k8s.pod.name" }?["value"]?["stringValue"]?.stringValue ?? "?"
      let service = attrs.first { $0["key"] == "service.name" }?["value"]?["stringValue"]?.stringValue ?? "?"
      return pod + (service == "default" ? "-default" : "-svc")
    }
    #expect(actualOrder == expectedOrder)
  }

  // MARK: Spec check

  /// Whether the protobuf schema check can run: python3 with `opentelemetry-proto`
  /// (`scripts/test` installs it).
  static let otlpSchemaAvailable: Bool = {
    let (status, _, error) = run(["python3", "-c", "import opentelemetry.proto"])
    if status != 0 {
      let reason = error.split(separator: "\n").last.map(String.init) ?? "exit status \(status)"
      print("OTLP schema check skipped: python3 cannot import opentelemetry.proto (\(reason))")
    }
    return status == 0
  }()

  static let checkScript = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("scripts/check-otlp.py").path

  static func run(_ arguments: [String]) -> (Int32, String, String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = FileHandle.nullDevice
    do { try process.run() } catch { return (-1, "", "\(error)") }
    let output = out.fileHandleForReading.readDataToEndOfFile()
    let errors = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: output, as: UTF8.self), String(decoding: errors, as: UTF8.self))
  }

  static func check(_ payload: String) throws -> (Int32, String, String) {
    let file = FileManager.default.temporaryDirectory.appendingPathComponent("otlp-\(UUID().uuidString).json")
    try Data(payload.utf8).write(to: file)
    defer { try? FileManager.default.removeItem(at: file) }
    return run(["python3", checkScript, file.path])
  }

  @Test(
    "the payload parses as an ExportLogsServiceRequest (protobuf's strict JSON parser)",
    .enabled(if: otlpSchemaAvailable, "python3 cannot import opentelemetry.proto"))
  func protobufSchema() throws {
    var encoder = OTLPEncoder(staticResource: [("cluster", "c\"1")])
    let lines = [
      #"{"timestamp":"2024-05-01T12:00:00.5Z","level":"warn","message":"m","service.name":"api","i":1,"f":2.5,"#
        + #""b":true,"n":null,"o":{"x":[1,"y",null,{"z":false}]},"trace_id":"0af7651916cd43dd8448eb211c80319c","#
        + #""span_id":"b7ad6b7169203331","big":1e400,"u":"\u0000\ud83d\ude00\"","k\u00e9y":"v"}"#,
      #"{"ts":1714564800123,"severity_number":21,"msg":{"nested":[]},"k8s.pod.name":"p","trace_id":"nothex"}"#,
      #"{"time":1714564800.25,"body":[1,2.5,"x"],"level":30}"#,
      "plain text line",
      "{}",
    ]
    let payload = encode(&encoder, lines)
    let (status, output, error) = try Self.check(payload)
    #expect(status == 0, "\(error)\n\(payload)")
    #expect(output.trimmingCharacters(in: .whitespacesAndNewlines) == String(lines.count))
  }

  @Test(
    "the schema check rejects what is not OTLP",
    .enabled(if: otlpSchemaAvailable, "python3 cannot import opentelemetry.proto"))
  func protobufSchemaRejects() throws {
    let bad = [
      #"{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"severityNumber":"loud"}]}]}]}"#,
      #"{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"bogusField":1}]}]}]}"#,
      #"{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"traceId":"xyz"}]}]}]}"#,
      #"{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"attributes":[{"key":"a","value":{"intValue":"1.5"}}]}]}]}]}"#,
      #"{"resourceLogs":[],"resourceLogs":[]}"#,
    ]
    for payload in bad {
      let (status, _, _) = try Self.check(payload)
      #expect(status != 0, "\(payload)")
    }
    let (status, output, _) = try Self.check(#"{"resourceLogs":[{"scopeLogs":[{"logRecords":[{},{}]}]}]}"#)
    #expect(status == 0)
    #expect(output.trimmingCharacters(in: .whitespacesAndNewlines) == "2")
  }
}
