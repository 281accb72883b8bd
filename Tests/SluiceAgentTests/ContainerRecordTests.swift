import Testing

@testable import SluiceAgent

/// Joining a container record's parts, without a file.
@Suite("Container record")
struct ContainerRecordTests {
  static func add(_ r: inout ContainerRecord, _ part: String, time: String, maxLine: Int = 1 << 20) {
    Array(part.utf8).withUnsafeBytes { r.append($0, maxLine: maxLine) }
    r.noteTime(Array(time.utf8))
  }

  @Test func partsJoinAndTheFirstPartsTimeIsKept() {
    var r = ContainerRecord()
    #expect(r.isEmpty)
    Self.add(&r, "hello ", time: "T1")
    Self.add(&r, "world", time: "T2")
    #expect(String(decoding: r.bytes, as: UTF8.self) == "hello world")
    #expect(String(decoding: r.time, as: UTF8.self) == "T1")
    #expect(!r.overlong)
    r.reset()
    #expect(r.isEmpty && !r.overlong)
  }

  @Test func theCapCutsAndMarksTheRecord() {
    var r = ContainerRecord()
    Self.add(&r, "abcdef", time: "T", maxLine: 8)
    Self.add(&r, "ghijkl", time: "T", maxLine: 8)
    #expect(String(decoding: r.bytes, as: UTF8.self) == "abcdefgh")
    #expect(r.overlong)
    var inPlace = ContainerRecord()
    let n = inPlace.appendInPlace(maxLine: 4) { content -> Int in
      content.append(contentsOf: Array("0123456789".utf8))
      return 10
    }
    #expect(n == 10)
    #expect(String(decoding: inPlace.bytes, as: UTF8.self) == "0123")
    #expect(inPlace.overlong)
  }
}
