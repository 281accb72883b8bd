import Foundation
import Testing

@testable import SluiceAgent

/// The checkpoint file across versions: what an agent before source-neutral positions wrote
/// (`Fixtures/checkpoints-v1.json`, saved by that agent's demo run) still resumes the same
/// files at the same offsets; cursors of cursor-based sources round-trip; a newer format is
/// refused rather than reset.
@Suite("Checkpoint format")
struct CheckpointFormatTests {
  static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

  @Test func aVersion1FileFromTheEarlierAgentLoadsAndIsRewrittenAsVersion2() throws {
    let dir = try TempDirectory()
    let v1 = try Data(contentsOf: Self.fixtures.appendingPathComponent("checkpoints-v1.json"))
    try v1.write(to: dir.file("checkpoints.json"))
    let store = try CheckpointStore(directory: dir.url)
    let id = FileIdentity(device: 65024, inode: 5_406_911)
    #expect(store.offsets(source: "app") == [id: 137_735])
    #expect(store.fingerprints(source: "app") == [id: Fingerprint(length: 256, hash: 14_367_525_086_049_197_632)])
    #expect(
      store.positions(source: "app") == [
        .file(
          FilePosition(
            path: "./demo/logs/app.log", identity: id, offset: 137_735,
            fingerprint: Fingerprint(length: 256, hash: 14_367_525_086_049_197_632)))
      ])

    // Nothing moved: nothing is written.
    try store.save()
    #expect(try Data(contentsOf: dir.file("checkpoints.json")) == v1)

    // Once a position moves, the file is written as version 2 and reads back the same.
    store.advance(source: "journal", to: .cursor("s=1;i=2"))
    try store.save()
    let written =
      try JSONSerialization.jsonObject(with: Data(contentsOf: dir.file("checkpoints.json"))) as? [String: Any]
    #expect(written?["version"] as? Int == 2)
    #expect((written?["files"] as? [[String: Any]])?.first?["offset"] as? Int == 137_735)
    let reloaded = try CheckpointStore(directory: dir.url)
    #expect(reloaded.offsets(source: "app") == [id: 137_735])
    #expect(reloaded.cursor(source: "journal") == "s=1;i=2")
  }

  @Test func cursorsAdvanceAndAreWrittenOnlyWhenTheyMove() throws {
    let dir = try TempDirectory()
    let store = try CheckpointStore(directory: dir.url)
    #expect(store.cursor(source: "journal") == nil)
    store.advance(source: "journal", to: .cursor("c1"))
    try store.save()
    let first = try FileManager.default.attributesOfItem(atPath: dir.file("checkpoints.json").path)
    // The same cursor again: no write (the file is not replaced).
    store.advance(source: "journal", to: .cursor("c1"))
    try store.save()
    let again = try FileManager.default.attributesOfItem(atPath: dir.file("checkpoints.json").path)
    #expect(first[.systemFileNumber] as? Int == again[.systemFileNumber] as? Int)
    store.advance(source: "journal", to: .cursor("c2"))
    try store.save()
    #expect(try CheckpointStore(directory: dir.url).cursor(source: "journal") == "c2")
    #expect(try CheckpointStore(directory: dir.url).positions(source: "journal") == [.cursor("c2")])
  }

  @Test func theAckTrackerCarriesCursorsLikeFileOffsets() throws {
    let dir = try TempDirectory()
    let store = try CheckpointStore(directory: dir.url)
    let ack = AckTracker(sinkCount: 2, sourceNames: ["journal"], store: store)
    ack.register(sequence: 1, chunk: SourceChunk(sourceIndex: 0, position: .cursor("a")))
    ack.register(sequence: 2, chunk: SourceChunk(sourceIndex: 0, position: .cursor("b")))
    ack.delivered(sink: 0, through: 2)
    #expect(store.cursor(source: "journal") == nil, "one sink has delivered nothing")
    ack.delivered(sink: 1, through: 1)
    #expect(store.cursor(source: "journal") == "a")
    ack.delivered(sink: 1, through: 2)
    #expect(store.cursor(source: "journal") == "b")
  }

  @Test func aNewerFormatIsRefusedNotReset() throws {
    let dir = try TempDirectory()
    try #"{"version":3,"files":[]}"#.write(to: dir.file("checkpoints.json"), atomically: true, encoding: .utf8)
    #expect(throws: CheckpointError.self) { try CheckpointStore(directory: dir.url) }
  }
}
