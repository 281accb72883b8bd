import Testing

@testable import SluiceCore

private func comparison(_ field: String, _ op: Query.Op, _ value: String) -> Query.Comparison {
  Query.Comparison(field: field, op: op, value: value)
}

/// The parse error for `text`, or nil if it parses.
private func parseError(_ text: String) -> Query.ParseError? {
  do throws(Query.ParseError) {
    _ = try Query(text)
    return nil
  } catch {
    return error
  }
}

private func matches(
  _ query: String, _ json: String, sourceLocation: SourceLocation = #_sourceLocation
) throws
  -> Bool
{
  let q = try Query(query)
  return q.matches(structuredEvent(json, sourceLocation: sourceLocation))
}

// MARK: - Parsing

@Suite("Query: parsing")
struct QueryParseTests {
  @Test(
    arguments: [
      ("level>=error", [comparison("level", .ge, "error")]),
      ("status >= 500 and path~/api", [comparison("status", .ge, "500"), comparison("path", .contains, "/api")]),
      (#"msg="hello world""#, [comparison("msg", .eq, "hello world")]),
      ("a=1 && b!=2", [comparison("a", .eq, "1"), comparison("b", .ne, "2")]),
      ("a==1", [comparison("a", .eq, "1")]),
      ("a<1 AND b<=2 And c>3", [comparison("a", .lt, "1"), comparison("b", .le, "2"), comparison("c", .gt, "3")]),
      ("  http.status  !=  404  ", [comparison("http.status", .ne, "404")]),
      ("name='x y'", [comparison("name", .eq, "x y")]),
      (#"msg="say \"hi\"""#, [comparison("msg", .eq, #"say "hi""#)]),
      (#"msg='it\'s'"#, [comparison("msg", .eq, "it's")]),
      (#"a="""#, [comparison("a", .eq, "")]),
      ("level=warn", [comparison("level", .eq, "warn")]),
      ("level=whatever", [comparison("level", .eq, "whatever")]),  // = and != take any text
      ("level~err", [comparison("level", .contains, "err")]),
      ("msg~\u{E9}t\u{E9}", [comparison("msg", .contains, "\u{E9}t\u{E9}")]),
    ])
  func parses(_ text: String, _ expected: [Query.Comparison]) throws {
    let query = try Query(text)
    #expect(query.comparisons == expected)
  }

  @Test func description() throws {
    #expect(try Query("level >= error  and status==500").description == "level>=error and status=500")
  }

  @Test(
    "syntax errors",
    arguments: [
      ("", 0, "empty query"),
      ("   ", 3, "empty query"),
      ("level>=bogus", 7, "unknown level 'bogus'"),
      ("level < nope", 8, "unknown level 'nope'"),
      ("a", 1, "expected an operator"),
      ("a b", 2, "expected an operator"),
      ("a=", 2, "expected a value"),
      ("a = ", 4, "expected a value"),
      ("a=1 b=2", 4, "expected 'and'"),
      ("a=1 and", 4, "expected 'and'"),
      ("a=1 andb=2", 4, "expected 'and'"),
      ("a=1 &&", 6, "expected a field name"),
      ("=1", 0, "expected a field name"),
      ("a=>1", 1, "expected an operator"),
      ("a=~1", 1, "expected an operator"),
      (#"msg="open"#, 4, "unterminated quoted value"),
    ])
  func errors(_ text: String, _ position: Int, _ message: String) {
    let error = parseError(text)
    #expect(error != nil, "\(text) should not parse")
    #expect(error?.position == position)
    #expect(error?.message.hasPrefix(message) == true, "\(String(describing: error))")
    #expect(error?.description == error.map { "query error at \($0.position): \($0.message)" })
  }
}

// MARK: - Matching

@Suite("Query: matching")
struct QueryMatchTests {
  @Test(
    "level compares by severity across schemas",
    arguments: [
      (#"{"level":"error"}"#, true),
      (#"{"level":"critical"}"#, true),
      (#"{"level":"WARN"}"#, true),
      (#"{"log.level":"warning"}"#, true),
      (#"{"log":{"level":"FATAL"}}"#, true),
      (#"{"severity_text":"Info"}"#, false),
      (#"{"severity_number":13}"#, true),
      (#"{"severity_number":12}"#, false),
      (#"{"level":"debug"}"#, false),
      (#"{"lvl":"notice"}"#, false),
      (#"{"msg":"no level"}"#, false),
    ])
  func levelAtLeastWarning(_ json: String, _ expected: Bool) throws {
    #expect(try matches("level>=warning", json) == expected)
    #expect(try matches("level>=warn", json) == expected)  // spellings of the query value are parsed too
  }

  @Test func levelOperators() throws {
    #expect(try matches("level<info", #"{"level":"debug"}"#))
    #expect(try !matches("level<info", #"{"level":"info"}"#))
    #expect(try matches("level<=info", #"{"level":"info"}"#))
    #expect(try matches("level>info", #"{"level":"notice"}"#))
    #expect(try matches("level=warn", #"{"level":"WARNING"}"#))
    #expect(try matches("level=error", #"{"severity_number":18}"#))
    #expect(try !matches("level=error", #"{"level":"critical"}"#))
    #expect(try matches("level!=error", #"{"level":"info"}"#))
    #expect(try !matches("level!=error", #"{"level":"err"}"#))
    #expect(try matches("level~err", #"{"level":"ERROR"}"#))
    #expect(try !matches("level~err", #"{"level":"warn"}"#))
  }

  @Test func levelOnEventsWithoutOne() throws {
    #expect(try !matches("level>=trace", #"{"msg":"x"}"#))
    #expect(try !matches("level=info", #"{"msg":"x"}"#))
    #expect(try matches("level!=error", #"{"msg":"x"}"#))
  }

  @Test(
    "numbers compare numerically",
    arguments: [
      ("status>=500", #"{"status":503}"#, true),
      ("status>=500", #"{"status":500}"#, true),
      ("status>=500", #"{"status":404}"#, false),
      ("status<500", #"{"status":404}"#, true),
      ("n>9", #"{"n":10}"#, true),
      ("n<9", #"{"n":10}"#, false),
      ("n<=-1", #"{"n":-2}"#, true),
      ("n=1", #"{"n":1.0}"#, true),
      ("n=1e3", #"{"n":1000}"#, true),
      ("n!=1000", #"{"n":1e3}"#, false),
      ("latency<0.5", #"{"latency":0.25}"#, true),
      ("latency>0.5", #"{"latency":0.25}"#, false),
      ("http.status>=500", #"{"http":{"status":502}}"#, true),
      ("http.status>=500", #"{"http":{"status":200}}"#, false),
    ])
  func numeric(_ query: String, _ json: String, _ expected: Bool) throws {
    #expect(try matches(query, json) == expected)
  }

  @Test func stringsCompareAsText() throws {
    // A number written as a string is text: "10" sorts before "9".
    #expect(try !matches("n>9", #"{"n":"10"}"#))
    #expect(try matches("n<9", #"{"n":"10"}"#))
    #expect(try matches("name>alice", #"{"name":"bob"}"#))
    // A numeric field compared to a non-number falls back to text.
    #expect(try matches("status!=abc", #"{"status":503}"#))
    #expect(try !matches("status=abc", #"{"status":503}"#))
  }

  @Test func stringEquality() throws {
    #expect(try matches(#"msg="hello world""#, #"{"msg":"hello world"}"#))
    #expect(try matches(#"msg="hello world""#, #"{"msg":"hello\u0020world"}"#))  // escapes are decoded
    #expect(try !matches(#"msg="hello world""#, #"{"msg":"hello"}"#))
    #expect(try !matches(#"msg="hello world""#, #"{"msg":"hello world!"}"#))
    #expect(try !matches("msg=Hello", #"{"msg":"hello"}"#))  // case-sensitive
    #expect(try matches("msg=caf\u{E9}", #"{"msg":"caf\u00e9"}"#))
    #expect(try matches("ok=true", #"{"ok":true}"#))
    #expect(try !matches("ok=true", #"{"ok":false}"#))
    #expect(try matches("v=null", #"{"v":null}"#))
    #expect(try matches("a.b=c", #"{"a.b":"c"}"#))
  }

  @Test func contains() throws {
    #expect(try matches("path~/api", #"{"path":"/api/v1/users"}"#))
    #expect(try matches("path~/api", #"{"path":"/v2/api"}"#))
    #expect(try !matches("path~/api", #"{"path":"/health"}"#))
    #expect(try !matches("path~/api", #"{"other":"/api"}"#))
    #expect(try matches("status~50", #"{"status":503}"#))
    #expect(try matches(#"tags~"prod""#, #"{"tags":["prod","eu"]}"#))  // containers compare as JSON text
    #expect(try matches(#"user~'"id":7'"#, #"{"user":{"id":7}}"#))
  }

  @Test func notEqualOnAMissingFieldIsTrue() throws {
    #expect(try matches("user!=bob", #"{"msg":"x"}"#))
    #expect(try matches("user!=bob", #"{"user":"alice"}"#))
    #expect(try !matches("user!=bob", #"{"user":"bob"}"#))
    // Every other operator is false on a missing field.
    for op in ["=", ">", ">=", "<", "<=", "~"] {
      #expect(try !matches("user\(op)bob", #"{"msg":"x"}"#), "\(op)")
    }
  }

  @Test func allComparisonsMustHold() throws {
    let query = "status >= 500 and path~/api"
    #expect(try matches(query, #"{"status":503,"path":"/api/x"}"#))
    #expect(try !matches(query, #"{"status":503,"path":"/web"}"#))
    #expect(try !matches(query, #"{"status":404,"path":"/api/x"}"#))
    #expect(try matches("a=1 && b!=2", #"{"a":1,"b":3}"#))
    #expect(try !matches("a=1 && b!=2", #"{"a":1,"b":2}"#))
    #expect(try matches("a=1 && b!=2", #"{"a":1}"#))
  }

  @Test func rawEventsNeverMatch() throws {
    let raw = rawEvent(#"{"status":503,"level":"error"}"#)
    for query in ["status>=500", "level>=error", "status!=1", "missing!=1", "level!=info"] {
      #expect(try !Query(query).matches(raw), "\(query)")
    }
    // Once parsed, the same line matches.
    var parsed = raw
    parsed.parse(using: JSONScanner())
    #expect(try Query("status>=500").matches(parsed))
  }

  @Test func wrappedLinesMatchOnTheirMessage() throws {
    let event = Event("disk full on /dev/sda1")
    #expect(try Query("message~disk").matches(event))
    #expect(try !Query("message~memory").matches(event))
    #expect(try !Query("level>=trace").matches(event))
  }
}
