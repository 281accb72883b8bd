import Testing

@testable import SluiceCore

/// ``Query/requiredLiterals``: the byte strings `sluice grep` may prefilter lines by.
@Suite("Query: required literals")
struct QueryRequiredLiteralsTests {
  static let corpus = [
    #"{"level":"error","message":"upstream timeout after 3 tries","status":503,"path":"/api/pay"}"#,
    #"{"level":"info","message":"request served","status":200,"path":"/api/cart","request_id":"a1"}"#,
    #"{"log.level":"WARN","message":"Disk almost full","status":"429","path":"/health","request_id":"b2"}"#,
  ]

  @Test func requiredLiterals() throws {
    func literals(_ query: String) throws -> [String] {
      try Query(query).requiredLiterals.map { String(decoding: $0, as: UTF8.self) }
    }
    #expect(try literals("level>=error timeout") == [])  // smart case: either case matches
    #expect(try literals("level>=error Timeout") == ["Timeout"])
    #expect(try literals("500 and /api/v1 and /API/V1") == ["500", "/API/V1"])  // no letters: case does not matter
    #expect(try literals("service=checkout and status>=500") == ["checkout"])
    #expect(try literals(#"msg contains "disk full" and 500"#) == ["disk full", "500"])
    #expect(try literals(#"path="/api""#) == [])  // JSON writers may escape /
    #expect(try literals(#"user_id="42""#) == [])  // equals 42 written as 4.2e1
    #expect(try literals("a=x or b=y") == [])
    #expect(try literals("not a=x") == [])
    #expect(try literals("path~^/api") == [])
    #expect(try literals("path~api") == ["api"])
    #expect(try literals(#"host~"db\.internal""#) == ["db.internal"])
    #expect(try literals("path~(?i)api") == [])
    #expect(try literals("(a=x and Timeout) and b contains yy") == ["x", "Timeout", "yy"])
    #expect(try literals("level=error") == [])
    #expect(try literals("unit=Kelvin") == [])  // K also matches U+212A
    #expect(try literals("a in (x)") == ["x"])
    #expect(try literals("a in (x, y)") == [])
    #expect(try literals("a=x a=x") == ["x"])
    #expect(try literals("a=5s") == [])
  }

  /// A line without one of a query's required literals never matches it.
  @Test func requiredLiteralsNeverExcludeAMatch() throws {
    // Fixed lines, and random ones built from the queries' own words.
    var rng = SplitMix64(seed: 0x4C49_5445_52)
    let keys = ["service", "msg", "a", "b", "path", "status", "unit", "level"]
    let values = [
      #""checkout""#, #""Timeout""#, #""timeout""#, #""x""#, #""yy""#, #""xyy zz""#, "500", #""500""#,
      #""/api/v1""#, #""db.internal""#, #""disk full""#, #""\u212Aelvin""#, #""Kelvin""#, #""error""#, "true",
    ]
    let random = (0..<2000).map { _ in
      "{"
        + (0..<(1 + rng.below(5))).map { _ in
          "\"\(keys[rng.below(keys.count)])\":\(values[rng.below(values.count)])"
        }.joined(separator: ",") + "}"
    }
    let lines =
      random + Self.corpus + [
        #"{"level":"error","msg":"Timeout talking to db.internal","service":"checkout","status":500}"#,
        #"{"level":"info","msg":"timeout","service":"checkout","status":"500","path":"/api/v1"}"#,
        #"{"service":"checkout-2","a":"x","b":"yy zz"}"#,
        #"{"a":"x","b":"xyy","path":"/api/v1/x","unit":"\u212Aelvin"}"#,
        "plain Timeout 500 /api/v1 checkout disk full", "nothing here",
      ]
    let queries = [
      "level>=error Timeout", "500 and /api/v1", "service=checkout and status>=500", "a=x and b contains yy",
      #"msg contains "disk full" and 500"#, "path~api", #"msg~"db\.internal""#, "a in (x) and Timeout",
      "service=checkout", "unit=Kelvin", "b contains yy", "status=500 and Timeout",
    ]
    var matched = 0
    for query in queries {
      let q = try Query(query)
      #expect(!q.requiredLiterals.isEmpty || query == "unit=Kelvin", "\(query)")
      for line in lines {
        var copy = line
        let event = Event(line)
        let isJSON = line.hasPrefix("{")
        let hit = try copy.withUTF8 { try q.matches(isJSON ? event : nil, line: UnsafeRawBufferPointer($0)) }
        if hit { matched += 1 }
        let lacking = q.requiredLiterals.first { literal in
          !Array(line.utf8).withUnsafeBytes { hay in
            literal.withUnsafeBytes { ByteSearch.contains($0, in: hay) }
          }
        }
        if let lacking {
          #expect(!hit, "\(query) matched \(line), which lacks \(String(decoding: lacking, as: UTF8.self))")
        }
      }
    }
    #expect(matched >= 200, "the corpus should exercise matches, not only misses (\(matched))")
  }
}
