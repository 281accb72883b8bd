import Testing

@testable import SluiceCore

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
      ("level>=error", "level>=error"),
      ("status >= 500 and path~/api", "status>=500 and path~/api"),
      (#"msg="hello world""#, #"msg="hello world""#),
      ("a=1 && b!=2", "a=1 and b!=2"),
      ("a==1", "a=1"),
      ("a<1 AND b<=2 And c>3", "a<1 and b<=2 and c>3"),
      ("  http.status  !=  404  ", "http.status!=404"),
      ("name='x y'", #"name="x y""#),
      (#"msg="say \"hi\"""#, #"msg="say \"hi\"""#),
      (#"msg='it\'s'"#, "msg=it's"),
      (#"a="""#, #"a="""#),
      ("level=warn", "level=warn"),
      ("level=whatever", "level=whatever"),  // = and != take any text
      ("level~err", "level~err"),
      ("msg~\u{E9}t\u{E9}", "msg~\u{E9}t\u{E9}"),
      ("a=~1", "a~1"),  // LogQL's spelling of ~
      ("msg contains x", "msg contains x"),
    ])
  func parses(_ text: String, _ canonical: String) throws {
    let query = try Query(text)
    #expect(query.description == canonical)
    #expect(try Query(canonical) == query)
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
      ("a=", 2, "expected a value after '='"),
      ("a = ", 3, "expected a value after '='"),  // just after the operator
      ("a=1 and", 7, "expected a term after 'and'"),
      ("a=1 &&", 6, "expected a term after '&&'"),
      ("=1", 0, "expected a field name before '='"),
      ("a=>1", 1, "unknown operator '=>'"),
      (#"msg="open"#, 4, "unterminated string"),
    ])
  func errors(_ text: String, _ position: Int, _ message: String) {
    let error = parseError(text)
    #expect(error != nil, "\(text) should not parse")
    #expect(error?.position == position)
    #expect(error?.message.hasPrefix(message) == true, "\(String(describing: error))")
    #expect(error?.description == error.map { "query error at \($0.position): \($0.message)" })
  }

  /// What the first cut refused is now a query: juxtaposition is `and`, a lone word a search term.
  @Test func formerErrorsAreQueries() throws {
    #expect(try Query("a") == Query("a"))
    #expect(try Query("a b").description == "a and b")
    #expect(try Query("a=1 b=2") == Query("a=1 and b=2"))
    #expect(try Query("a=1 andb=2").description == "a=1 and andb=2")
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

  @Test func numbersInStringsCompareAsNumbers() throws {
    // A number written as a string compares as a number with a number ("10" > 9), as text
    // with text ("10" sorts before "9").
    #expect(try matches("n>9", #"{"n":"10"}"#))
    #expect(try !matches("n<9", #"{"n":"10"}"#))
    #expect(try !matches(#"n>"9""#, #"{"n":"10"}"#))
    #expect(try matches("name>alice", #"{"name":"bob"}"#))
    // A numeric field equals no word that is not a number; ordering it by one is a type
    // error (false for the agent, thrown for grep).
    #expect(try matches("status!=abc", #"{"status":503}"#))
    #expect(try !matches("status=abc", #"{"status":503}"#))
    #expect(try !matches("status<abc", #"{"status":503}"#))
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

  @Test func containsAndLiteralPatterns() throws {
    for op in ["~", " contains "] {
      #expect(try matches("path\(op)/api", #"{"path":"/api/v1/users"}"#))
      #expect(try matches("path\(op)/api", #"{"path":"/v2/api"}"#))
      #expect(try !matches("path\(op)/api", #"{"path":"/health"}"#))
      #expect(try !matches("path\(op)/api", #"{"other":"/api"}"#))
      #expect(try matches("status\(op)50", #"{"status":503}"#))
      #expect(try matches(#"tags\#(op)"prod""#, #"{"tags":["prod","eu"]}"#))  // containers: their JSON text
      #expect(try matches(#"user\#(op)'"id":7'"#, #"{"user":{"id":7}}"#))
    }
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
    for op in ["=", ">", ">=", "<", "<=", "~", " contains "] {
      #expect(try !matches("user\(op)bob", #"{"msg":"x"}"#), "\(op)")
    }
    // `!~` is `not ~`, like `!=`.
    #expect(try matches("user!~bob", #"{"msg":"x"}"#))
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

// MARK: - Compiled matching

/// `matches` for the agent and for grep (where a type error counts as no match here) give
/// `expected`. (The randomized agreement with an evaluation through `String`s is in
/// CompiledQueryTests.)
private func expectMatch(
  _ query: String, _ json: String, _ expected: Bool, sourceLocation: SourceLocation = #_sourceLocation
) throws {
  let q = try Query(query)
  let event = structuredEvent(json, sourceLocation: sourceLocation)
  #expect(q.matches(event) == expected, "\(query) on \(json)", sourceLocation: sourceLocation)
  let grep = event.bytes.withUnsafeBytes { raw in (try? q.matches(event, line: raw)) ?? false }
  #expect(grep == expected, "grep: \(query) on \(json)", sourceLocation: sourceLocation)
}

@Suite("Query: compiled matching")
struct QueryCompiledMatchTests {
  static let event = #"""
    {"s":"bob","n":12,"f":-0.5,"e":1e3,"t":true,"z":null,"o":{"p":{"q":"deep"}},"a.b":"dotted",\#
    "x":{"y.z":7},"arr":[1,"two"]}
    """#

  @Test(
    "every operator on every kind of value",
    arguments: [
      // A string.
      ("s=bob", true), ("s==bob", true), ("s=bobby", false), ("s=bo", false), ("s=Bob", false),
      ("s!=bob", false), ("s!=alice", true), ("s>alice", true), ("s>bob", false), ("s>bo", true),
      ("s>=bob", true), ("s>=boc", false), ("s<carol", true), ("s<bob", false), ("s<bobby", true),
      ("s<=bob", true), ("s<=bo", false), ("s~ob", true), ("s~bob", true), ("s~x", false),
      ("s~bobby", false), (#"s~"""#, true),
      // A number: numeric against a numeric value, as its literal text otherwise.
      ("n=12", true), ("n=12.0", true), ("n=1.2e1", true), ("n!=12", false), ("n!=13", true),
      ("n>11.5", true), ("n>12", false), ("n>=12", true), ("n<12", false), ("n<=12", true),
      ("n<1e3", true), ("n~2", true), ("n~12", true), ("n~3", false), ("n=abc", false),
      ("n!=abc", true), ("n<abc", false), ("n>abc", false),  // ordering a number by text: a type error
      ("f=-0.5", true), ("f=-5e-1", true), ("f<0", true), ("f>-1", true), ("f>=-0.5", true),
      ("f<-0.5", false), ("f~.5", true), (#"f~"-0""#, true), ("f~5e", false),
      ("e=1000", true), ("e>=1e3", true), ("e<1000.5", true), ("e>999.999", true), ("e~e3", true),
      ("e~1000", false),  // contains looks at the literal
      // Booleans and null equal their literals (and a boolean its text); they do not order.
      ("t=true", true), ("t!=true", false), ("t!=false", true), ("t=1", false), (#"t="true""#, true),
      ("t>abc", false), ("t~ru", true), ("t~false", false), ("t contains ru", true),
      ("z=null", true), ("z!=null", false), ("z=nil", false), ("z<zzz", false), (#"z="null""#, false),
      ("z~ul", true), ("z~nil", false),
      // A missing field: only != holds.
      ("m=x", false), ("m!=x", true), ("m>x", false), ("m>=x", false), ("m<x", false), ("m<=x", false),
      ("m~x", false), ("m!~x", true), ("m contains x", false),
      // Nested paths, and keys that contain dots.
      ("o.p.q=deep", true), ("o.p.q~ee", true), ("o.p.q!=deep", false), ("o.p.q>dee", true),
      ("o.p~deep", true), ("o.p=deep", false), ("o.p.q.r=deep", false), ("o.x.q=deep", false),
      ("o.p.q.r!=deep", true), ("a.b=dotted", true), ("a.b.c=dotted", false),
      ("x.y.z=7", false),  // "x" then "y" (no such key); a dotted key is only tried whole
      ("arr~two", true), ("arr=two", false),
    ])
  func operators(_ query: String, _ expected: Bool) throws {
    try expectMatch(query, Self.event, expected)
  }

  @Test func dottedPaths() throws {
    try expectMatch("a.b=1", #"{"a.b":1,"a":{"b":2}}"#, true)  // the whole key first
    try expectMatch("a.b=2", #"{"a.b":1,"a":{"b":2}}"#, false)
    try expectMatch("a.b=2", #"{"a":{"b":2}}"#, true)
    try expectMatch("a.b.c>=3", #"{"a":{"b":{"c":3}}}"#, true)
    try expectMatch("a.b.c=3", #"{"a":{"b":[3]}}"#, false)
    try expectMatch("a.b=1", #"{"a":"b"}"#, false)
    try expectMatch("a..b=1", #"{"a":{"":{"b":1}}}"#, true)
    try expectMatch(".a=1", #"{"":{"a":1}}"#, true)
    try expectMatch("a.=1", #"{"a":{"":1}}"#, true)
    try expectMatch("http.status>=500", #"{"http":{"method":"GET","status":503}}"#, true)
    try expectMatch("a.b=x", #"{"a":{"b":"y"},"a":{"b":"x"}}"#, false)  // the first member wins
    try expectMatch("m\u{E9}t\u{E9}o=sun", #"{"m\u00e9t\u00e9o":"sun"}"#, true)  // escaped key
    try expectMatch("msg=x", #"{"m\u0073g":"x"}"#, true)
  }

  @Test func escapedStrings() throws {
    let quoted = #"{"msg":"say \"hi\" to \\ them\/all"}"#
    try expectMatch(#"msg='say "hi" to \\ them/all'"#, quoted, true)
    try expectMatch(#"msg~'"hi"'"#, quoted, true)
    try expectMatch(#"msg contains '\\ them/'"#, quoted, true)
    try expectMatch(#"msg~'\\\\ them/'"#, quoted, true)  // the pattern \\ is one backslash
    try expectMatch("msg>say", quoted, true)
    try expectMatch("msg<say", quoted, false)
    try expectMatch(#"msg~"\"hello""#, quoted, false)
    try expectMatch("msg~here", #"{"msg":"tab\there"}"#, true)
    try expectMatch("msg contains '\t'", #"{"msg":"tab\there"}"#, true)
    try expectMatch("msg=ABC", #"{"msg":"\u0041BC"}"#, true)
    try expectMatch("msg~line2", #"{"msg":"line1\r\nline2"}"#, true)
    // "\r\n" is one Character, so neither half of it is contained (as before); a regular
    // expression reads bytes.
    try expectMatch("msg contains '\n'", #"{"msg":"line1\r\nline2"}"#, false)
    try expectMatch("msg contains '\r'", #"{"msg":"line1\r\nline2"}"#, false)
    try expectMatch("msg contains '\n'", #"{"msg":"line1\nline2"}"#, true)
    try expectMatch("msg~'\n'", #"{"msg":"line1\r\nline2"}"#, true)
    try expectMatch("msg~caf", #"{"msg":"caf\u00e9"}"#, true)
    try expectMatch("msg=caf", #"{"msg":"caf\u00e9"}"#, false)
    try expectMatch("msg>caf", #"{"msg":"caf\u00e9"}"#, true)
    try expectMatch("emoji~x", #"{"emoji":"\ud83d\udc4dx"}"#, true)
    let long = String(repeating: "\\n", count: 600) + "needle"  // decodes past the stack buffer
    try expectMatch("msg~needle", #"{"msg":"\#(long)"}"#, true)
    try expectMatch("msg contains needle", #"{"msg":"\#(long)"}"#, true)
  }

  @Test(
    "number literals read as Double(String) reads them",
    arguments: [
      ("n=1000", #"{"n":1e3}"#, true), ("n=1000", #"{"n":1E+3}"#, true), ("n=1", #"{"n":1000e-3}"#, true),
      ("n=-0.5", #"{"n":-0.5}"#, true), ("n>-0.6", #"{"n":-0.5}"#, true), ("n<-0.4", #"{"n":-0.5}"#, true),
      ("n=12", #"{"n":12}"#, true), ("n>11.999999", #"{"n":12}"#, true), ("n=0", #"{"n":-0}"#, true),
      ("n=0.1", #"{"n":0.1}"#, true), ("n=0.3", #"{"n":0.30000000000000004}"#, false),
      ("n>0.3", #"{"n":0.30000000000000004}"#, true), ("n>1e19", #"{"n":12345678901234567890}"#, true),
      ("n=12345678901234567890", #"{"n":12345678901234567890}"#, true),
      ("n=9007199254740993", #"{"n":9007199254740993}"#, true),  // past 2^53: rounds the same way
      ("n>1e308", #"{"n":1e400}"#, true), ("n<-1e308", #"{"n":-1e400}"#, true), ("n>0", #"{"n":5e-324}"#, true),
      ("n=0", #"{"n":1e-400}"#, true), ("n=0", #"{"n":0e99999999}"#, true),
      ("n=123.456", #"{"n":123.456}"#, true), ("n=1e22", #"{"n":10000000000000000000000}"#, true),
      ("n=1e23", #"{"n":1e23}"#, true), ("n>1e308", #"{"n":1e400}"#, true), ("n!=nan", #"{"n":1}"#, true),
      ("n=nan", #"{"n":1}"#, false), ("n=inf", #"{"n":1e400}"#, false),  // inf, nan, 0x10: words, not numbers
      ("n>=0x10", #"{"n":16}"#, false), ("n=0x10", #"{"n":16}"#, false), ("n=+5", #"{"n":5}"#, true),
    ])
  func numbers(_ query: String, _ json: String, _ expected: Bool) throws {
    try expectMatch(query, json, expected)
  }

  /// `contains`, `=` and the orderings keep `String` semantics (`~` reads bytes).
  @Test func nonASCIITextKeepsStringSemantics() throws {
    try expectMatch("msg contains e", #"{"msg":"e\u0301"}"#, false)  // one character, é
    try expectMatch("msg contains caf", #"{"msg":"cafe\u0301"}"#, true)
    try expectMatch("msg contains cafe", #"{"msg":"cafe\u0301"}"#, false)
    try expectMatch("msg=caf\u{E9}", #"{"msg":"cafe\u0301"}"#, true)  // canonically equivalent
    try expectMatch("msg=caf\u{E9}", "{\"msg\":\"caf\u{E9}\"}", true)
    try expectMatch("unit=K", #"{"unit":"\u212A"}"#, true)  // KELVIN SIGN is K
    try expectMatch("unit contains K", "{\"unit\":\"1 \u{212A}\"}", true)
    try expectMatch("unit contains L", "{\"unit\":\"1 \u{212A}\"}", false)
    try expectMatch("name>E", "{\"name\":\"\u{C9}mile\"}", true)
    try expectMatch("name<F", "{\"name\":\"\u{C9}mile\"}", false)
    try expectMatch("name>bob", "{\"name\":\"bob\u{E9}\"}", true)
    try expectMatch("name>bob", "{\"name\":\"bobe\u{301}\"}", true)
    try expectMatch("name=bob", "{\"name\":\"bob\u{E9}\"}", false)
    try expectMatch("name<bz", "{\"name\":\"b\u{E9}\"}", false)  // é sorts after z
    try expectMatch("name<bz", "{\"name\":\"ba\u{E9}\"}", true)
    try expectMatch("msg contains error", "{\"msg\":\"\u{5931}\u{6557} error \u{5931}\u{6557}\"}", true)
    try expectMatch("msg contains fatal", "{\"msg\":\"\u{5931}\u{6557} error \u{5931}\u{6557}\"}", false)
    try expectMatch("msg contains \u{6557}", "{\"msg\":\"\u{5931}\u{6557} error\"}", true)
    try expectMatch("msg=\u{5931}", "{\"msg\":\"\u{5931}\"}", true)
    try expectMatch("msg~e", #"{"msg":"e\u0301"}"#, true)  // bytes: e, then the combining mark
  }

  @Test func levelKeepsSeveritySemantics() throws {
    try expectMatch("level>=warn", #"{"level":"\u0045RROR"}"#, true)
    try expectMatch("level>=warn", #"{"level":50}"#, true)
    try expectMatch("level<info", #"{"level":20}"#, true)
    try expectMatch("level~crit", #"{"severity":"fatal"}"#, true)
    try expectMatch("level~WARN", #"{"level":"warning"}"#, true)  // a level value is lower-cased
    // A value that names no level looks for itself in the `level` field's text.
    try expectMatch("level~arn", #"{"level":"warn"}"#, true)
    try expectMatch("level~ARN", #"{"level":"warn"}"#, true)  // level patterns ignore case
    try expectMatch("level contains ARN", #"{"level":"warn"}"#, true)
    try expectMatch("level~fatal", #"{"log.level":"FATAL"}"#, true)  // the text of any schema's level field
    try expectMatch("level!~err", #"{"level":"warn"}"#, true)
    try expectMatch("level!~err", #"{"level":"ERR"}"#, false)
    try expectMatch("level in (warn, whatever)", #"{"level":"whatever"}"#, true)
    try expectMatch("level in (warn, error)", #"{"level":"WARNING"}"#, true)
    try expectMatch("level>=4", #"{"level":"warning"}"#, true)  // syslog 4 is warning
    try expectMatch("level>=4", #"{"level":"notice"}"#, false)
    try expectMatch("level>=40", #"{"level":"warning"}"#, true)  // pino 40 is warn
    try expectMatch("level~arn", #"{"level":"error"}"#, false)
    try expectMatch("level=whatever", #"{"level":"whatever","lvl":"info"}"#, true)
    try expectMatch("level~what", #"{"level":"whatever","lvl":"info"}"#, true)
    try expectMatch("level~what", #"{"lvl":"info"}"#, false)
    try expectMatch("level=whatever", #"{"msg":"no level"}"#, false)
    try expectMatch("level!=whatever", #"{"msg":"no level"}"#, true)
  }

  @Test func equalityAndDescription() throws {
    let query = try Query("a=1 and b~x")
    #expect(query.matches(structuredEvent(#"{"a":1,"b":"xy"}"#)))
    #expect(!query.matches(structuredEvent(#"{"a":2,"b":"xy"}"#)))
    #expect(query == (try Query("a = 1  &&  b ~ x")))
    #expect(query == (try Query(#""a"=1 b~'x'"#)))
    #expect(query != (try Query("a=1 and b~y")))
    #expect(query.description == "a=1 and b~x")
  }
}
