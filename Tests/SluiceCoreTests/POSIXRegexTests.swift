import Testing

@testable import SluiceCore

@Suite("POSIXRegex and ByteSearch")
struct POSIXRegexTests {
  private func matches(_ regex: POSIXRegex, _ text: String) -> Bool {
    var text = text
    return text.withUTF8 { regex.matches(UnsafeRawBufferPointer($0)) }
  }

  @Test func literalPatternsSkipRegcomp() throws {
    #expect(POSIXRegex.literalBytes(of: "timeout") == Array("timeout".utf8))
    #expect(POSIXRegex.literalBytes(of: "/api/v1") == Array("/api/v1".utf8))
    #expect(POSIXRegex.literalBytes(of: #"example\.com"#) == Array("example.com".utf8))
    #expect(POSIXRegex.literalBytes(of: #"a\\b"#) == Array(#"a\b"#.utf8))
    #expect(POSIXRegex.literalBytes(of: "") == [])
    for pattern in ["^a", "a$", "a.b", "a*", "a+", "a?", "a|b", "(a)", "[a]", "a{2}", #"\w"#, #"a\"#] {
      #expect(POSIXRegex.literalBytes(of: pattern) == nil, "\(pattern)")
    }
    let literal = try POSIXRegex(#"db\.internal"#)
    #expect(literal.literal != nil)
    #expect(matches(literal, "host db.internal up"))
    #expect(!matches(literal, "host dbXinternal up"))
    let folded = try POSIXRegex("TimeOut", options: .ignoreCase)
    #expect(folded.literal == Array("timeout".utf8))
    #expect(matches(folded, "a TIMEOUT b") && matches(folded, "timeout") && !matches(folded, "time out"))
  }

  @Test func extendedExpressions() throws {
    let r = try POSIXRegex("^/api/v[0-9]+/(users|items)$")
    #expect(r.literal == nil)
    #expect(matches(r, "/api/v2/users") && matches(r, "/api/v10/items"))
    #expect(!matches(r, "/api/v2/users/1") && !matches(r, "x/api/v2/users"))
    let i = try POSIXRegex("fail(ed|ure)", options: .ignoreCase)
    #expect(matches(i, "Payment FAILED") && matches(i, "failure") && !matches(i, "fail"))
    // REG_STARTEND: the text needs no NUL, and a NUL inside is just a byte.
    let afterNUL = try POSIXRegex("b$")
    let bytes: [UInt8] = [0x61, 0x00, 0x62]
    #expect(bytes.withUnsafeBytes { afterNUL.matches($0) })
    #expect(bytes.withUnsafeBytes { afterNUL.matches(UnsafeRawBufferPointer(rebasing: $0[0..<2])) } == false)
    #expect(matches(try POSIXRegex("^$"), ""))
  }

  @Test func firstMatchReportsRanges() throws {
    let r = try POSIXRegex("[0-9]+", options: .reportsRanges)
    var text = "ab 12 cd 345"
    text.withUTF8 { p in
      let raw = UnsafeRawBufferPointer(p)
      #expect(r.firstMatch(in: raw) == 3..<5)
      #expect(r.firstMatch(in: raw, from: 5) == 9..<12)
      #expect(r.firstMatch(in: raw, from: 12) == nil)
    }
    let anchored = try POSIXRegex("^a", options: .reportsRanges)
    var twice = "aa"
    twice.withUTF8 { #expect(anchored.firstMatch(in: UnsafeRawBufferPointer($0), from: 1) == nil) }  // REG_NOTBOL
    let literal = try POSIXRegex("cd", options: .reportsRanges)
    text.withUTF8 { #expect(literal.firstMatch(in: UnsafeRawBufferPointer($0), from: 1) == 6..<8) }
  }

  @Test func compileErrorsExplainThemselves() {
    #expect(throws: POSIXRegex.CompileError.self) { try POSIXRegex("a(b") }
    do {
      _ = try POSIXRegex("a(b")
    } catch {
      #expect(error.description == "invalid regular expression 'a(b': Unmatched ( or \\(")
    }
    #expect(throws: POSIXRegex.CompileError.self) { try POSIXRegex("[a") }
  }

  @Test func oneRegexOnSeveralThreads() async throws {
    let r = try POSIXRegex("err(or)?: [a-z]+ [0-9]{3}")
    let results = await withTaskGroup(of: Int.self) { group in
      for t in 0..<4 {
        group.addTask {
          var hits = 0
          for k in 0..<5000 {
            var line = k % 2 == 0 ? "x error: disk 50\(t) y" : "x warning: disk 50\(t) y"
            if line.withUTF8({ r.matches(UnsafeRawBufferPointer($0)) }) { hits += 1 }
          }
          return hits
        }
      }
      return await group.reduce(into: []) { $0.append($1) }
    }
    #expect(results == [2500, 2500, 2500, 2500])
  }

  /// Both searches against a naive one, on random bytes biased to letters of either case.
  @Test func byteSearchAgreesWithANaiveSearch() {
    var rng = SplitMix64(seed: 31)
    let alphabet = Array("aAbBcC-. \u{E9}".utf8)
    func random(_ n: Int) -> [UInt8] { (0..<n).map { _ in alphabet[rng.below(alphabet.count)] } }
    for _ in 0..<20_000 {
      let hay = random(rng.below(40))
      let needle = random(1 + rng.below(4))
      let lowered = needle.map(ByteSearch.foldASCII)
      let folded = hay.map(ByteSearch.foldASCII)
      func naive(_ h: [UInt8], _ n: [UInt8]) -> Int? {
        guard n.count <= h.count else { return nil }
        return (0...(h.count - n.count)).first { Array(h[$0..<$0 + n.count]) == n }
      }
      hay.withUnsafeBytes { h in
        needle.withUnsafeBytes { n in
          #expect(ByteSearch.firstIndex(of: n, in: h) == naive(hay, needle))
        }
        lowered.withUnsafeBytes { n in
          #expect(ByteSearch.firstIndex(ofLowercased: n, ignoringASCIICaseIn: h) == naive(folded, lowered))
        }
      }
    }
  }
}

/// Patterns that would make glibc's `regcomp` use exponential memory are refused with a
/// reason (found by fuzzing the grep query `~` operator: `@` and 30 `+` took 24 GB).
@Suite struct RegexCostTests {
  @Test(arguments: [
    "@" + String(repeating: "+", count: 30), "a++", "a*+", "a+*", "a??", "a{2}{3}", "a+{2}", "(ab)++", "[a-z]++",
  ])
  func stackedRepetitionsAreRefused(_ pattern: String) {
    #expect(throws: POSIXRegex.CompileError.self) { try POSIXRegex(pattern) }
    #expect(RegexCost.problem(in: pattern)?.contains("directly after another") == true)
  }

  @Test func nestedBoundsThatMultiplyTooFarAreRefused() {
    #expect(RegexCost.problem(in: "((a{1,100}){1,100}){1,100}")?.contains("100000 positions") == true)
    #expect(RegexCost.problem(in: "(a{1,100}){1,100}") == nil)  // 10,000 positions: 13 MB
    #expect(RegexCost.problem(in: "a{1000000}")?.contains("positions") == true)
  }

  @Test(arguments: [
    "^(ERROR|WARN)", "[0-9]{4}-[0-9]{2}-[0-9]{2}", #"\++"#, "a+b*c?", "(a+)+", "((a+)+)+", "[+*]+", "[]+]+",
    "[[:digit:]]+x", "^[[:space:]]+(at |\\.\\.\\.)", "(a|b|c){1,10}", "x{", "a{,3}", "(a)(b)+",
  ])
  func ordinaryPatternsPass(_ pattern: String) throws {
    #expect(RegexCost.problem(in: pattern) == nil, "\(pattern)")
  }
}
