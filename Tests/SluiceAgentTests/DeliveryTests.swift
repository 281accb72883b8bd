import Foundation
import NIOCore
import NIOHTTP1
import Testing

@testable import SluiceAgent

struct DeliveryTests {
  func chunk(_ source: Int, _ inode: UInt64, end: UInt64) -> SourceChunk {
    SourceChunk(
      sourceIndex: source, path: "/logs/\(inode).log", identity: FileIdentity(device: 1, inode: inode), endOffset: end)
  }

  /// A checkpoint moves only over chunks every sink has delivered, in chunk order.
  @Test func ackTrackerWaitsForEverySink() throws {
    let dir = try TempDirectory()
    let store = try CheckpointStore(directory: dir.url)
    let ack = AckTracker(sinkCount: 2, sourceNames: ["app"], store: store)
    ack.register(sequence: 1, chunk: chunk(0, 7, end: 100))
    ack.register(sequence: 2, chunk: chunk(0, 7, end: 250))
    ack.register(sequence: 3, chunk: chunk(0, 8, end: 40))
    #expect(store.offsets(source: "app").isEmpty)

    ack.delivered(sink: 0, through: 3)
    #expect(store.offsets(source: "app").isEmpty, "sink 1 has not delivered anything yet")
    ack.delivered(sink: 1, through: 1)
    #expect(store.offsets(source: "app") == [FileIdentity(device: 1, inode: 7): 100])
    ack.delivered(sink: 1, through: 3)
    #expect(
      store.offsets(source: "app") == [FileIdentity(device: 1, inode: 7): 250, FileIdentity(device: 1, inode: 8): 40])
    #expect(ack.unacknowledged == 0)

    // Persisted atomically and read back.
    try store.save()
    let reloaded = try CheckpointStore(directory: dir.url)
    #expect(reloaded.offsets(source: "app") == store.offsets(source: "app"))
    #expect(!FileManager.default.fileExists(atPath: dir.file("checkpoints.json.tmp").path))
  }

  @Test func corruptCheckpointFileIsAnErrorNotAReset() throws {
    let dir = try TempDirectory()
    try "{not json".write(to: dir.file("checkpoints.json"), atomically: true, encoding: .utf8)
    #expect(throws: (any Error).self) { try CheckpointStore(directory: dir.url) }
  }

  /// Batches seal on count, bytes or age; an empty batch is due only to carry an ack.
  @Test func openBatchLimits() {
    var limits = BatchConfig()
    limits.maxEvents = 3
    limits.maxBytes = ByteSize(bytes: 1 << 20)
    limits.maxAge = .milliseconds(100)
    var b = OpenBatch(limits: limits)
    #expect(!b.isDue(now: .now))
    let full = (0..<3).map { _ in b.append(Array("{}".utf8)) }
    #expect(full == [false, false, true])
    b.throughChunk = 4
    let sealed = b.seal()
    #expect(sealed.eventCount == 3)
    #expect(sealed.payload == Array("{}\n{}\n{}\n".utf8))
    #expect(sealed.throughChunk == 4)
    b.throughChunk = 4
    #expect(!b.isDue(now: .now), "already handed on")
    b.throughChunk = 5
    #expect(b.isDue(now: .now), "carries a new acknowledgement")

    limits.maxBytes = ByteSize(bytes: 10)
    var small = OpenBatch(limits: limits)
    let sealNow = small.append(Array("{\"a\":12345}".utf8))
    #expect(sealNow)
    var aged = OpenBatch(limits: BatchConfig())
    _ = aged.append(Array("{}".utf8))
    #expect(!aged.isDue(now: .now))
    #expect(aged.isDue(now: .now + .seconds(2)))
  }

  @Test(arguments: SinkConfig.Compressor.allCases)
  func gzipRoundTripsThroughTheSystemGzip(compressor: SinkConfig.Compressor) throws {
    let c: any BatchCompressor =
      compressor == .zlib ? GzipCompressor(level: 6) : LibdeflateCompressor(level: 6)
    let input = Array((0..<5000).map { "{\"seq\":\($0),\"msg\":\"hello ünïcode\"}\n" }.joined().utf8)
    let first = c.compress(input)
    let second = c.compress(Array("{\"x\":1}\n".utf8))  // nothing carries over between batches
    #expect(first.count < input.count / 5)
    #expect(try TestReceiver.gunzip(first) == input)
    #expect(try Gunzip.decompress(first) == input)
    #expect(try TestReceiver.gunzip(second) == Array("{\"x\":1}\n".utf8))
    #expect(throws: (any Error).self) { try Gunzip.decompress(Array(first.prefix(first.count / 2))) }
    // Incompressible bytes need the worst-case bound; an empty batch is still a gzip member.
    var rng = SystemRandomNumberGenerator()
    let noise = (0..<300_000).map { _ in UInt8.random(in: 0...255, using: &rng) }
    let packed = c.compress(noise)
    #expect(packed.count > noise.count)
    #expect(try Gunzip.decompress(packed) == noise)
    #expect(try TestReceiver.gunzip(c.compress([UInt8]())) == [])
  }

  @Test func theCompressorAndItsLevelsAreChosenInConfig() throws {
    func read(_ extra: String) -> (sink: SinkConfig?, errors: [String]) {
      let r = ConfigLoader.read(
        yaml: "sources: [{name: a, type: file, include: [\"/x/*.log\"]}]\n"
          + "sinks: [{name: out, type: http, url: \"http://127.0.0.1:1/\"\(extra)}]\n")
      return (r.config?.sinks[0], r.errors.map(\.pathAndMessage))
    }
    #expect(read("").sink?.makeCompressor() is LibdeflateCompressor)
    #expect(read(", compressor: zlib").sink?.makeCompressor() is GzipCompressor)
    #expect(read(", compression: none").sink.map { $0.makeCompressor() == nil } == true)
    #expect(read(", compression_level: 12").errors == [])
    #expect(
      read(", compressor: zlib, compression_level: 10").errors == [
        "sinks[0].compression_level: must be 1 to 9 with compressor zlib"
      ])
    #expect(
      read(", compression_level: 0").errors == [
        "sinks[0].compression_level: must be 1 to 12 with compressor libdeflate"
      ])
  }

  @Test func anHTTPSinkCompressesOnEveryCoreByDefaultAndOtherSinksUseOne() throws {
    let c = try ConfigLoader.parse(
      yaml: "sources: [{name: a, type: file, include: [\"/x/*.log\"]}]\n"
        + "sinks: [{name: h, type: http, url: \"http://127.0.0.1:1/\"}, {name: f, type: file, path: /tmp/x},"
        + " {name: p, type: http, url: \"http://127.0.0.1:1/\", concurrency: 1}]\n")
    // The cores NIO counts for this process (cgroup quota or cpuset, if any), at most 8.
    #expect(c.sinks[0].concurrency == min(8, System.coreCount))
    #expect(c.sinks[1].concurrency == 1, "file and console sinks write in order")
    #expect(c.sinks[2].concurrency == 1)
  }
}
