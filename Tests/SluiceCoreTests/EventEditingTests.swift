import SluiceCore
import Testing

/// Removing members of a structured event in place: the result is valid JSON with the
/// member and exactly one separating comma gone, whatever the member's position and shape.
struct EventEditingTests {
  @Test(arguments: [
    (#"{"a":1,"b":2,"c":3}"#, "a", #"{"b":2,"c":3}"#),
    (#"{"a":1,"b":2,"c":3}"#, "b", #"{"a":1,"c":3}"#),
    (#"{"a":1,"b":2,"c":3}"#, "c", #"{"a":1,"b":2}"#),
    (#"{"a":1}"#, "a", "{}"),
    (#"{ "a" : 1 , "b" : [1, {"x": 2}] }"#, "b", #"{ "a" : 1 }"#),
    (#"{ "a" : "s" , "b" : true }"#, "a", #"{ "b" : true }"#),
    (#"{"a":{"b":{"c":1,"d":2}},"e":null}"#, "a.b.c", #"{"a":{"b":{"d":2}},"e":null}"#),
    (#"{"a":{"b":{"c":1}}}"#, "a.b", #"{"a":{}}"#),
    (#"{"log.level":"info","msg":"x"}"#, "log.level", #"{"msg":"x"}"#),
    (#"{"k":1,"k":2,"j":3,"k":4}"#, "k", #"{"j":3}"#),
    (#"{"a\u0062":1,"c":2}"#, "ab", #"{"c":2}"#),
    (#"{"a":"x"}"#, "missing", #"{"a":"x"}"#),
    (#"{"a":"x"}"#, "a.b", #"{"a":"x"}"#),
  ])
  func removesAMemberAndItsComma(json: String, path: String, expected: String) throws {
    var event = Event(json)
    event.removeMembers(at: path)
    #expect(event.text == expected)
    // Still one valid JSON object, and the tape describes the new bytes.
    #expect(try JSONValue.parse(event.text) == JSONValue.parse(expected))
    #expect(event.valueIndex(at: path) == nil)
  }

  @Test func aRawEventIsLeftAlone() {
    var event = Event()
    var line = "plain text"
    line.withUTF8 { event.load(UnsafeRawBufferPointer($0)) }
    #expect(event.removeMembers(at: "plain") == 0)
    #expect(event.text == "plain text")
  }

  @Test func valueIndexFindsFlatAndNestedPaths() {
    let event = Event(#"{"service.name":"flat","service":{"name":"nested"},"n":3}"#)
    #expect(event.valueIndex(at: "service.name").map { event.value(at: $0) } == .string("flat"))
    #expect(event.valueIndex(at: "n").map { event.value(at: $0) } == .int(3))
    #expect(event.valueIndex(at: "nope") == nil)
  }
}
