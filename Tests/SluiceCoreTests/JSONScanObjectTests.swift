import Testing

@testable import SluiceCore

/// `JSONScanner.scanObject(_:keeping:into:)`: a tape of the kept members only, stopping once the
/// projection is settled, and skipping what it does not keep by structure alone.
@Suite struct JSONScanObjectTests {
  /// Scans `text` with `projection`; the tape, or the error.
  func scanObject(_ text: String, _ projection: JSONProjection) -> (tape: [JSONToken], complete: Bool)? {
    var tape: [JSONToken] = []
    let bytes = Array(text.utf8)
    do {
      let complete = try bytes.withUnsafeBytes { raw throws(JSONScanError) in
        try JSONScanner().scanObject(raw, keeping: projection, into: &tape)
      }
      return (tape, complete)
    } catch {
      return nil
    }
  }

  /// The kept members, in order, as an object.
  func members(_ text: String, _ tape: [JSONToken]) -> JSONValue {
    let bytes = Array(text.utf8)
    return bytes.withUnsafeBytes { raw in
      var out: [JSONMember] = []
      var i = 1
      while i < tape.count, tape[i].kind == .key {
        let key = JSONTape.string(at: i, tape: tape, bytes: raw)
        out.append(JSONMember(key, JSONValue.build(at: i + 1, tape: tape, bytes: raw)))
        i = JSONTape.next(after: i + 1, in: tape)
      }
      return .object(out)
    }
  }

  @Test func onlyKeptMembersAreRecordedWithTheirWholeValues() throws {
    let p = try #require(JSONProjection(keys: ["level", "http"]))
    let text = #"{"ts":1,"level":"error","msg":"a \"quoted\" {text}","http":{"status":500,"path":"/x"},"n":[1,2]}"#
    let (tape, complete) = try #require(scanObject(text, p))
    #expect(complete)
    #expect(members(text, tape) == ["level": "error", "http": ["status": 500, "path": "/x"]])
    #expect(tape.first?.kind == .objectStart && tape.last?.kind == .objectEnd && Int(tape[0].end) == tape.count)
  }

  @Test func theScanStopsOnceSettledAndDoesNotReadFurther() throws {
    let p = try #require(JSONProjection(keys: ["level", "service"], settling: ["level"]))
    // Broken after `level`: never read.
    let text = #"{"ts":"x","level":"warn","service":"a", this is not JSON"#
    let (tape, complete) = try #require(scanObject(text, p))
    #expect(!complete)
    #expect(members(text, tape) == ["level": "warn"])
    // A break in the object's frame before `level` is an error; a skipped value is not
    // checked beyond its extent (`nope` is passed over as a scalar).
    #expect(scanObject(#"{"ts" "x","level":"warn"}"#, p) == nil)
    #expect(scanObject(#"{"ts":nope,"level":"warn","x":1}"#, p)?.complete == false)
  }

  @Test func unsettledScansReadToTheEndAndCheckTheFrame() throws {
    let p = try #require(JSONProjection(keys: ["level"], settling: ["level"]))
    #expect(scanObject(#"{"a":1,"b":{"c":[1,2,{"d":"]}"}]}}"#, p).map { $0.complete } == true)
    #expect(scanObject(#"{"a":1,"b":2"#, p) == nil)
    #expect(scanObject(#"{"a":1} trailing"#, p) == nil)
    #expect(scanObject(#"{"a":"unterminated}"#, p) == nil)
    #expect(scanObject(#"[1,2]"#, p) == nil)
    #expect(scanObject(#"  {}  "#, p).map { $0.tape.count } == 2)
  }

  @Test func skippedValuesWithBracketsAndEscapesInsideStrings() throws {
    let p = try #require(JSONProjection(keys: ["level"], settling: ["level"]))
    let text = #"{"a":{"x":"}]\"{","y":[1,{"z":"\\"}],"w":"\u005c"},"b":"\\\"","c":-1.5e3,"level":"error","d":true}"#
    let (tape, complete) = try #require(scanObject(text, p))
    #expect(!complete)
    #expect(members(text, tape) == ["level": "error"])
  }

  @Test func aKeyWithEscapesIsKeptWhateverItSpells() throws {
    let p = try #require(JSONProjection(keys: ["level"], settling: ["level"]))
    let text = #"{"le\u0076el":"error","other":1}"#
    let (tape, _) = try #require(scanObject(text, p))
    #expect(members(text, tape) == ["level": "error"])
  }

  @Test func keptValuesAreValidatedAsAFullScanValidatesThem() throws {
    let p = try #require(JSONProjection(keys: ["level"], settling: ["level"]))
    #expect(scanObject(#"{"level":"bad \x escape","a":1}"#, p) == nil)
    #expect(scanObject(#"{"level":01,"a":1}"#, p) == nil)
    #expect(scanObject(#"{"level":[1,,2],"a":1}"#, p) == nil)
  }

  @Test func pathsKeepTheWholeKeyAndTheFirstComponent() throws {
    #expect(JSONProjection.keys(forPath: "error.type") == (["error.type", "error"], "error.type"))
    #expect(JSONProjection.keys(forPath: "service") == (["service"], "service"))
    let p = try #require(JSONProjection(paths: ["error.type"]))
    let text = #"{"error":{"type":"Timeout"},"x":1}"#
    let (tape, complete) = try #require(scanObject(text, p))
    #expect(complete)  // `error.type` as one key could still follow
    #expect(members(text, tape) == ["error": ["type": "Timeout"]])
  }

  /// Validating: one pass that keeps the projection's members and checks everything else as
  /// a whole scan does; it succeeds exactly when the whole scan does.
  @Test func validatingScansAcceptExactlyWhatAWholeScanAccepts() throws {
    let p = try #require(JSONProjection(keys: ["level"], settling: ["level"]))
    func validating(_ text: String) -> Bool {
      var tape: [JSONToken] = []
      return
        (try? Array(text.utf8).withUnsafeBytes { raw throws(JSONScanError) in
          try JSONScanner().scanObject(raw, keeping: p, validating: true, into: &tape)
        }) == true
    }
    #expect(validating(#"{"level":"info","a":{"b":[1,2.5e3,true,null,"\u00e9"]},"c":"x"}"#))
    #expect(!validating(#"{"level":"info","a":nope}"#))  // skipped, but checked
    #expect(!validating(#"{"level":"info","a":"bad \x"}"#))
    #expect(!validating(#"{"level":"info","a":01}"#))
    var rng = SplitMix64(seed: 11)
    let interesting = Array(#"{}[],:"\0-e.tfn"#.utf8) + [0x00, 0x80, 0xC0, 0xFF]
    var agreed = 0
    for _ in 0..<3000 {
      var bytes = jsonBytes(
        .object([JSONMember("level", randomValue(&rng, depth: 1)), JSONMember("z", randomValue(&rng))]))
      if rng.oneIn(2) {
        let at = rng.below(bytes.count)
        bytes[at] = interesting[rng.below(interesting.count)]
      }
      let whole = if case .success = scan(bytes) { true } else { false }
      var tape: [JSONToken] = []
      let one =
        (try? bytes.withUnsafeBytes { raw throws(JSONScanError) in
          try JSONScanner().scanObject(raw, keeping: p, validating: true, into: &tape)
        }) != nil
      #expect(one == whole || !(bytes.first == UInt8(ascii: "{")), "\(String(decoding: bytes, as: UTF8.self))")
      if one == whole { agreed += 1 }
    }
    #expect(agreed > 2900)
  }

  /// Random objects and projections: every settling key reads the same value as on the full
  /// tape (first occurrence), and so does every kept key when the scan went to the end.
  @Test func randomObjectsReadTheSameAsAFullScan() throws {
    var rng = SplitMix64(seed: 7)
    let pool = ["a", "b", "level", "x.y", "x", "é", ""]
    var settledEarly = 0
    for _ in 0..<3000 {
      var members: [JSONMember] = []
      for _ in 0..<rng.below(8) {
        let key = rng.oneIn(3) ? randomString(&rng, maxLength: 3) : pool[rng.below(pool.count)]
        members.append(JSONMember(key, randomValue(&rng, depth: 1)))
      }
      let bytes = jsonBytes(.object(members))
      let kept = pool.filter { _ in rng.oneIn(2) }
      let settling = kept.filter { _ in rng.oneIn(2) }
      let projection = try #require(JSONProjection(keys: kept, settling: settling))
      guard case .success(let full) = scan(bytes) else {
        Issue.record("does not scan: \(String(decoding: bytes, as: UTF8.self))")
        continue
      }
      var partial: [JSONToken] = []
      let complete = try bytes.withUnsafeBytes { raw in
        try JSONScanner().scanObject(raw, keeping: projection, into: &partial)
      }
      if !complete { settledEarly += 1 }
      bytes.withUnsafeBytes { raw in
        for key in kept where complete || settling.contains(key) {
          var k = key
          let (a, b) = k.withUTF8 { u in
            (
              JSONTape.member(UnsafeRawBufferPointer(u), inObjectAt: 0, tape: full, bytes: raw),
              JSONTape.member(UnsafeRawBufferPointer(u), inObjectAt: 0, tape: partial, bytes: raw)
            )
          }
          #expect(
            a.map { JSONValue.build(at: $0, tape: full, bytes: raw) }
              == b.map { JSONValue.build(at: $0, tape: partial, bytes: raw) },
            "\(key) in \(String(decoding: bytes, as: UTF8.self))")
        }
      }
    }
    #expect(settledEarly > 100)
  }
}
