import Testing

@testable import SluiceCore

/// The events the table of valid queries runs on.
private let corpus = [
  #"{"level":"error","message":"upstream timeout after 3 tries","status":503,"path":"/api/pay","duration_ms":2500,"user":{"id":42,"name":"Ann"},"error.type":"io","tags":["prod","eu"],"ok":false,"retry":null}"#,
  #"{"level":"info","message":"request served","status":200,"path":"/api/cart","duration_ms":120,"user":{"id":7},"ok":true,"request_id":"a1"}"#,
  #"{"log.level":"WARN","message":"Disk almost full","status":"429","path":"/health","elapsed":"1m30s","request_id":"b2"}"#,
  #"{"severity_text":"DEBUG","body":"cache miss","latency":0.25,"http":{"status":404,"path":"/api/v2/items"}}"#,
].map { structuredEvent($0) }

/// Evaluates `query` on `event` both ways (agent and grep with the event's bytes as the line).
private func evaluate(_ query: Query, _ event: Event) throws(QueryTypeError) -> Bool {
  let agent = query.matches(event)
  let grep = try event.bytes.withUnsafeBytes { raw in
    Result { () throws(QueryTypeError) -> Bool in try query.matches(event, line: raw) }
  }.get()
  #expect(agent == grep, "agent and grep disagree on \(query) for \(event.text)")
  return grep
}

/// The parse error of `text`, or nil.
private func parseError(_ text: String) -> Query.ParseError? {
  do throws(Query.ParseError) {
    _ = try Query(text)
    return nil
  } catch {
    return error
  }
}

/// Whether `query` matches the plain-text `line` (no event).
private func matchesPlain(_ query: String, _ line: String) throws -> Bool {
  let q = try Query(query)
  var line = line
  return try line.withUTF8 { try q.matches(nil, line: UnsafeRawBufferPointer($0)) }
}

@Suite("Query language")
struct QueryLanguageTests {
  @Test(
    "valid queries on the corpus",
    arguments: [
      ("level>=error", [true, false, false, false]),
      ("level>=warn", [true, false, true, false]),
      ("level<info", [false, false, false, true]),
      ("level=warning", [false, false, true, false]),
      ("level>=3", [true, false, false, false]),  // syslog: 3 is err
      ("level in (info, debug)", [false, true, false, true]),
      ("level~err", [true, false, false, false]),
      ("status>=500", [true, false, false, false]),
      ("status>=400", [true, false, true, false]),  // "429" is a number in a string
      ("status=429", [false, false, true, false]),
      ("status!=200", [true, false, true, true]),
      (#"status>=500 and path~"^/api""#, [true, false, false, false]),
      ("http.status=404", [false, false, false, true]),
      ("path~^/api", [true, true, false, false]),
      ("path!~^/api", [false, false, true, true]),  // a missing field does not match
      ("path contains api", [true, true, false, false]),
      (#"path~"/api/(pay|cart)$""#, [true, true, false, false]),
      ("path~(?i)^/API", [true, true, false, false]),
      ("request_id in (a1, b2)", [false, true, true, false]),
      ("user.id in (7, 42)", [true, true, false, false]),
      ("not exists(user)", [false, false, true, true]),
      ("exists(user.id)", [true, true, false, false]),
      ("user.name=Ann", [true, false, false, false]),
      (#""error.type"=io"#, [true, false, false, false]),
      ("error.type=io", [true, false, false, false]),  // the whole key first
      ("duration_ms>2s", [true, false, false, false]),
      ("duration_ms<=120ms", [false, true, false, false]),
      ("elapsed>1m", [false, false, true, false]),  // "1m30s"
      ("elapsed=90s", [false, false, true, false]),
      ("latency<500ms", [false, false, false, true]),  // no unit suffix: seconds
      ("ok=false", [true, false, false, false]),
      ("ok!=false", [false, true, true, true]),
      ("retry=null", [true, false, false, false]),
      ("timeout", [true, false, false, false]),
      ("disk", [false, false, true, false]),  // smart case: lower-case ignores case
      ("Disk", [false, false, true, false]),
      ("DISK", [false, false, false, false]),
      (#""upstream timeout""#, [true, false, false, false]),
      ("level>=error timeout", [true, false, false, false]),
      ("level>=warn or status=200", [true, true, true, false]),
      ("not level>=warn and exists(request_id)", [false, true, false, false]),
      ("not (level>=warn or exists(request_id))", [false, false, false, true]),
      ("tags~prod", [true, false, false, false]),  // an array's JSON text
      ("message contains served && status==200", [false, true, false, false]),
      ("!exists(http) || latency>1", [true, true, true, false]),
      (#"message~"t.*out""#, [true, false, false, false]),
      (#"message=~"^(request|cache)""#, [false, true, false, false]),
      ("body~miss", [false, false, false, true]),
    ])
  func table(_ query: String, _ expected: [Bool]) throws {
    let q = try Query(query)
    for (event, want) in zip(corpus, expected) {
      #expect(try evaluate(q, event) == want, "\(query) on \(event.text)")
    }
  }

  @Test func precedence() throws {
    #expect(try Query("a=1 or b=1 and c=1").description == "a=1 or b=1 and c=1")
    #expect(try Query("a=1 or b=1 and c=1") == Query("a=1 or (b=1 and c=1)"))
    #expect(try Query("a=1 or b=1 and c=1") != Query("(a=1 or b=1) and c=1"))
    #expect(try Query("(a=1 or b=1) and c=1").description == "(a=1 or b=1) and c=1")
    #expect(try Query("not a=1 and b=1") == Query("(not a=1) and b=1"))
    #expect(try Query("not (a=1 and b=1)").description == "not (a=1 and b=1)")
    #expect(try Query("a=1 b=2 or c=3") == Query("a=1 and b=2 or c=3"))  // juxtaposition is `and`
    #expect(try Query("!a=1 && b=1 || c=1") == Query("not a=1 and b=1 or c=1"))
    #expect(try Query("NOT a=1 AND b=1 OR c=1") == Query("not a=1 and b=1 or c=1"))
    #expect(try Query("not not a=1").description == "not not a=1")
    let orAnd = try Query("a=1 or b=1 and c=1")
    #expect(orAnd.matches(structuredEvent(#"{"a":1}"#)))
    #expect(!orAnd.matches(structuredEvent(#"{"b":1}"#)))
    #expect(orAnd.matches(structuredEvent(#"{"b":1,"c":1}"#)))
    let notAnd = try Query("not a=1 and b=1")
    #expect(notAnd.matches(structuredEvent(#"{"b":1}"#)))
    #expect(!notAnd.matches(structuredEvent(#"{"a":1,"b":1}"#)))
    #expect(try Query("not (a=1 and b=1)").matches(structuredEvent(#"{"a":1}"#)))
  }

  @Test func quotedKeysAndPaths() throws {
    let event = structuredEvent(
      #"{"error.type":"flat","error":{"type":"nested"},"k8s":{"labels":{"app.kubernetes.io/name":"api"}}}"#)
    #expect(try Query(#""error.type"=flat"#).matches(event))
    #expect(try !Query(#""error.type"=nested"#).matches(event))
    #expect(try Query("error.type=flat").matches(event))  // whole key first, as before
    #expect(try Query(#""error"."type"=nested"#).matches(event))  // quoted keys: path only
    #expect(try Query(#"error."type"=nested"#).matches(event))
    #expect(try Query(#"k8s.labels."app.kubernetes.io/name"=api"#).matches(event))
    #expect(try Query(#"exists(k8s.labels."app.kubernetes.io/name")"#).matches(event))
    #expect(try !Query(#"exists("k8s.labels")"#).matches(event))
    #expect(
      try Query(#"k8s.labels."app.kubernetes.io/name"=api"#).description == #"k8s.labels."app.kubernetes.io/name"=api"#)
    #expect(try Query(#""error.type"=flat"#).description == #""error.type"=flat"#)
    #expect(try Query(#"'error.type'="x y""#).description == #""error.type"="x y""#)
  }

  @Test func inAndExists() throws {
    let event = structuredEvent(#"{"a":"x","n":2,"z":null,"o":{"p":1}}"#)
    #expect(try Query("a in (y, x)").matches(event))
    #expect(try Query("a in (x,)").matches(event))  // a trailing comma
    #expect(try !Query("a in (y, z)").matches(event))
    #expect(try Query("n in (1, 2.0, 3)").matches(event))
    #expect(try Query(#"n in ("2")"#).matches(event))  // a string that is a number equals it
    #expect(try !Query("missing in (x)").matches(event))
    #expect(try Query("not missing in (x)").matches(event))
    #expect(try Query("exists(z)").matches(event))  // present, even if null
    #expect(try Query("exists(o.p) and not exists(o.q)").matches(event))
    #expect(try Query("exists(level)").matches(structuredEvent(#"{"log":{"level":"info"}}"#)))
    #expect(try Query("exists(level)").matches(structuredEvent(#"{"severity_number":9}"#)))
    #expect(try !Query("exists(level)").matches(event))
    #expect(try Query("exists (a)").matches(event))
    #expect(try Query("exists").matches(structuredEvent(#"{"msg":"the file exists"}"#)))  // a word without (
  }

  @Test func regularExpressions() throws {
    let event = structuredEvent(#"{"path":"/api/v2/users","msg":"Payment FAILED: card\u0020declined","n":503}"#)
    for (query, expected) in [
      ("path~/api", true), ("path~^/api/v[0-9]+/", true), ("path~users$", true), (#"path~"^/v2""#, false),
      // `\/` is a slash to glibc; `\.` a dot.
      (#"path~"/api/v2/users""#, true), (#"path~"\/api""#, true), (#"path~"v2\.""#, false),
      ("path!~^/api", false), ("path!~^/web", true), ("msg~failed", false), ("msg~(?i)failed", true),
      ("msg~FAILED", true), (#"msg~"card declined""#, true),  // the decoded text
      ("n~^50", true), ("n~3$", true), ("n!~^4", true), ("missing!~x", true), ("missing~x", false),
      (#"path~"api|web""#, true), (#"path~"(a|b"x""#, false),
    ] where parseError(query) == nil {
      #expect(try Query(query).matches(event) == expected, "\(query)")
    }
    #expect(parseError(#"path~"(a|b"x""#) != nil)
  }

  @Test func smartCaseFullText() throws {
    #expect(try matchesPlain("timeout", "Connection TIMEOUT after 3s"))
    #expect(try !matchesPlain("Timeout", "Connection TIMEOUT after 3s"))
    #expect(try matchesPlain("TIMEOUT", "Connection TIMEOUT after 3s"))
    #expect(try matchesPlain("connection timeout", "Connection TIMEOUT after 3s"))  // two terms
    #expect(try !matchesPlain(#""connection  timeout""#, "Connection TIMEOUT after 3s"))
    #expect(try matchesPlain(#""after 3s""#, "Connection TIMEOUT after 3s"))
    #expect(try matchesPlain("3s", "Connection TIMEOUT after 3s"))  // a word, not a duration
    #expect(try matchesPlain("caf\u{E9}", "CAF\u{E9} open"))  // ASCII letters fold, é is exact
    #expect(try !matchesPlain("caf\u{E9}", "CAF\u{C9} open"))
    #expect(try !matchesPlain("\u{C9}t\u{E9}", "\u{E9}t\u{E9}"))  // É is upper-case: exact
  }

  @Test func fullTextOnPlainLines() throws {
    let line = "2026-11-23 10:00:00 ERROR disk full on /dev/sda1"
    #expect(try matchesPlain("disk full", line))
    #expect(try matchesPlain("ERROR /dev/sda1", line))
    #expect(try !matchesPlain("level>=error", line))  // field terms are false without an event
    #expect(try !matchesPlain("level!=error", line))
    #expect(try matchesPlain("not level=error", line))
    #expect(try !matchesPlain("disk and status=500", line))
    #expect(try matchesPlain("disk or status=500", line))
    #expect(try !matchesPlain("exists(message)", line))
    #expect(try !Query("disk").needsFields)
    #expect(try !Query("disk or not \"x y\"").needsFields)
    #expect(try Query("disk or a=1").needsFields)
    #expect(try Query("exists(a)").needsFields)
    // The agent searches the event's JSON text.
    #expect(try Query("full").matches(structuredEvent(#"{"message":"disk full"}"#)))
    #expect(try Query("message").matches(structuredEvent(#"{"message":"disk full"}"#)))
    #expect(try !Query("full").matches(rawEvent("disk full")))  // raw events match nothing
  }

  @Test func durations() throws {
    let event = structuredEvent(
      #"{"duration_ms":1500,"took_us":250,"elapsed_ns":1000,"latency":0.25,"wait":"1m30s","slow":"250ms","bad":"soon","time_unix_nano":5000000000,"latencyMs":40,"n":"12"}"#
    )
    for (query, expected) in [
      ("duration_ms=1.5s", true), ("duration_ms>1s", true), ("duration_ms<1.5s", false), ("duration_ms>=1500ms", true),
      ("duration_ms<0.03m", true), ("duration_ms<0.025m", false), ("took_us=250us", true), ("took_us=250\u{B5}s", true),
      ("took_us<1ms", true),
      ("elapsed_ns=1us", true), ("elapsed_ns=1000ns", true), ("latency=250ms", true), ("latency<1s", true),
      ("wait=90s", true), ("wait>1m29s", true), ("wait<1.5m", false), ("wait<=1.5m", true), ("slow<0.3s", true),
      ("slow=250000us", true), ("bad>1s", false), ("bad<1s", false), ("bad!=1s", true), ("time_unix_nano=5s", true),
      ("latencyMs=40ms", true), ("latencyMs<1s", true), ("n=12s", true),  // a number in a string, in seconds
      ("missing>1s", false), ("duration_ms>1d", false), ("wait<1h", true),
    ] {
      #expect(try Query(query).matches(event) == expected, "\(query)")
    }
    #expect(QueryDuration.nanoseconds(parsing: "1h2m3.5s") == 3_723_500_000_000)
    #expect(QueryDuration.nanoseconds(parsing: "-2s") == -2_000_000_000)
    #expect(QueryDuration.nanoseconds(parsing: "0") == 0)
    #expect(QueryDuration.nanoseconds(parsing: "1.5") == nil)
    #expect(QueryDuration.nanoseconds(parsing: "5x") == nil)
    #expect(QueryDuration.nanoseconds(parsing: "s") == nil)
    #expect(QueryDuration.nanoseconds(parsing: "999999999999h") == nil)  // overflow
    for (name, unit) in [
      ("duration_ms", 1_000_000), ("took-millis", 1_000_000), ("latencyMs", 1_000_000), ("durationMS", 1_000_000),
      ("t_us", 1_000), ("t_micros", 1_000), ("ns", 1), ("t_nanos", 1), ("time_unix_nano", 1), ("wait_s", 1_000_000_000),
      ("wait_seconds", 1_000_000_000), ("latency", 1_000_000_000), ("status", 1_000_000_000), ("items", 1_000_000_000),
      ("ttl_min", 60_000_000_000), ("age_h", 3_600_000_000_000),
    ] as [(String, Int64)] {
      #expect(QueryDuration.unitNanoseconds(forFieldNamed: name) == unit, "\(name)")
    }
  }

  @Test func nullAndBooleans() throws {
    let event = structuredEvent(#"{"t":true,"f":false,"z":null,"s":"true","n":0}"#)
    for (query, expected) in [
      ("t=true", true), ("t!=true", false), ("t=false", false), ("f=false", true), (#"t="true""#, true),
      ("t=1", false), ("s=true", true), (#"s="true""#, true), ("n=false", false), ("z=null", true),
      ("z!=null", false), (#"z="null""#, false), ("t=null", false), ("t!=null", true), ("missing=null", false),
      ("missing!=null", true), ("z~ul", true), ("t~^tr", true),
    ] {
      #expect(try Query(query).matches(event) == expected, "\(query)")
    }
  }

  @Test func typeErrors() throws {
    let event = corpus[0]
    func error(_ query: String) throws -> QueryTypeError? {
      let q = try Query(query)
      return event.bytes.withUnsafeBytes { raw -> QueryTypeError? in
        do throws(QueryTypeError) {
          _ = try q.matches(event, line: raw)
          return nil
        } catch {
          return error
        }
      }
    }
    let fast = try #require(try error("duration_ms>fast"))
    #expect(fast.field == "duration_ms")
    #expect(fast.value == "fast")
    #expect(
      fast.description
        == "'duration_ms' is a number, but the query compares it with the string 'fast' (write a number, or quote nothing)"
    )
    #expect(
      try error(#"status>="500""#)?.message
        == "'status' is a number, but the query compares it with the string '500' (write the number without quotes)")
    #expect(try error("user.id<abc")?.field == "user.id")
    #expect(try error("status=abc") == nil)  // equality is no error: false
    #expect(try error("path>abc") == nil)  // a string field orders as text
    #expect(try error("missing>abc") == nil)
    #expect(try error("level=info and duration_ms>fast") == nil)  // never reached
    #expect(try error("timeout and duration_ms>fast") != nil)
    // The agent counts it as false.
    #expect(try !Query("duration_ms>fast").matches(event))
    #expect(try Query("not duration_ms>fast").matches(event))
  }

  @Test func stringsAndNumbers() throws {
    let event = structuredEvent(#"{"n":10,"s":"10","v":"2.1.3","name":"bob","code":"007"}"#)
    for (query, expected) in [
      ("n>9", true), ("s>9", true), ("s<9", false), (#"s>"9""#, false),  // quoted: text order
      ("s=10.0", true), (#"n="10""#, true), (#"n="1e1""#, true), ("code=7", true), (#"code="7""#, false),
      ("v>2", false), ("v<3", false), ("v>2.1.0", true), ("name>alice", true), ("name<bobby", true),
    ] {
      #expect(try Query(query).matches(event) == expected, "\(query)")
    }
  }

  @Test(
    "invalid queries: message and column",
    arguments: [
      ("", "empty query", 0),
      ("   ", "empty query", 3),
      ("level>=bogus", "unknown level 'bogus'", 7),
      ("level < nope", "unknown level 'nope'", 8),
      ("level>=2s", "unknown level '2s'", 7),
      ("a=", "expected a value after '=', found the end", 2),
      ("a==", "expected a value after '==', found the end", 3),
      ("level>= and x", "expected a value after '>='", 7),  // just after the operator
      ("x=not", "expected a value after '='", 2),
      ("a contains", "expected a value after 'contains', found the end", 10),
      ("level >>= error", "unknown operator '>>='", 6),
      ("a=>1", "unknown operator '=>'", 1),
      ("=1", "expected a field name before '='", 0),
      (#"msg="open"#, "unterminated string: no closing \"", 4),
      ("(a=1", "unclosed '('", 0),
      ("a=1)", "unexpected ')' without a matching '('", 3),
      ("()", "expected a term after '('", 1),
      ("a=1 and", "expected a term after 'and', found the end", 7),
      ("a=1 or or b=2", "expected a term after 'or'", 6),
      ("and a=1", "expected a term before 'and'", 0),
      ("not", "expected a term after 'not', found the end", 3),
      ("a=1 , b=2", "unexpected ',' (quote text that contains commas)", 4),
      ("a in 1", "expected '(' after 'in'", 4),
      ("a in ()", "expected a value in the 'in' list", 6),
      ("a in (1, 2", "unclosed '('", 5),
      ("a in (1 2)", "expected ',' or ')' in the 'in' list", 8),
      ("exists()", "expected a field name in exists(…)", 7),
      ("exists(a", "unclosed '('", 6),
      (#"path~"(a""#, "invalid regular expression: Unmatched ( or \\(", 5),
      ("ok>true", "'>' cannot order by true: true, false and null take = and !=", 3),
      ("z<=null", "'<=' cannot order by null: true, false and null take = and !=", 3),
      (#"msg="\u{zz}""#, "invalid escape: write \\u{hex digits} for a Unicode scalar", 5),
      // Columns count Characters.
      ("caf\u{E9}=1 and \u{E9}t\u{E9}>=", "expected a value after '>=', found the end", 16),
    ])
  func invalid(_ text: String, _ message: String, _ column: Int) {
    let error = parseError(text)
    #expect(error?.message == message, "\(text)")
    #expect(error?.position == column, "\(text)")
    #expect(error?.description == error.map { "query error at \($0.position): \($0.message)" })
  }

  @Test func renderedError() throws {
    let error = try #require(parseError("level>= and x"))
    #expect(
      error.rendered(query: "level>= and x") == """
        sluice grep: query error: expected a value after '>='
          level>= and x
                 ^
        """)
    #expect(error.rendered(query: "level>= and x", prefix: "").hasPrefix("expected a value"))
    // Tabs stay tabs; a multi-line query shows the line of the error; wide characters take two columns.
    let tabbed = try #require(parseError("a=1\tb>"))
    #expect(
      tabbed.rendered(query: "a=1\tb>", prefix: "")
        == "expected a value after '>', found the end\n  a=1\tb>\n     \t  ^")
    let lines = "level>=error\nand status>"
    let multi = try #require(parseError(lines))
    #expect(
      multi.rendered(query: lines, prefix: "")
        == "expected a value after '>', found the end\n  and status>\n             ^")
    let wide = "msg=\u{5931}\u{6557} x>"
    let w = try #require(parseError(wide))
    #expect(
      w.rendered(query: wide, prefix: "") == "expected a value after '>', found the end\n  \(wide)\n             ^")
  }

  /// The examples docs/query.md gives parse, and mean what it says.
  @Test func documentedExamples() throws {
    for text in [
      "level>=error", #"status>=500 and path~"^/api""#, "request_id in (4bf92f35, 00f067aa)",
      "level>=warn not exists(user)", "duration_ms>2s", "level>=error timeout", "request_id in (a, b)",
      "not exists(user)", "level>=warn timeout", "service=checkout (status>=500 or level>=error)",
      #""error.type"=io or error.kind~"^(io|net)""#, "http.user_agent!~(?i)bot", "ok=false and retry!=null",
      #""connection refused" not host~^db-"#, #"k8s.labels."app.kubernetes.io/name" = api"#, #""error"."type" = io"#,
      "path~/api", "path contains /api", #"msg="a, b""#, #"path~"/(pay|cart)$""#, "level>=WARNING", "level>=4",
    ] {
      #expect(parseError(text) == nil, "\(text): \(String(describing: parseError(text)))")
    }
    let slow = structuredEvent(#"{"duration_ms":2001,"level":"warning","msg":"Timeout"}"#)
    for text in ["duration_ms>2s", "level>=warn timeout", "level>=WARNING", "level>=4", "not exists(user)"] {
      #expect(try Query(text).matches(slow), "\(text)")
    }
  }

  @Test func descriptionsParseBack() throws {
    for text in [
      "level>=error timeout", #"status>=500 and path~"^/api""#, "request_id in (a, b)", "not exists(user)",
      "duration_ms>2s", #""error.type"=x or msg contains "a b""#, "a=\"and\" \"or\"", #"msg="say \"hi\"\n""#,
      "x=\"12\" y=12 z=true w=\"true\" v=null", "not (a=1 or b=2) and c!~x", "AND1 'not'",
    ] {
      let q = try Query(text)
      #expect(try Query(q.description) == q, "\(text) → \(q.description)")
    }
  }
}
