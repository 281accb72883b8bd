import Foundation
import Synchronization
import Testing

@testable import SluiceAgent

/// The in-memory sink queue: bounded, acknowledgements in push order whatever order
/// senders finish in, and drop policies that count what they drop.
@Suite(.timeLimit(.minutes(3)))  // a hang, not a slow run: the full suite can starve a test for a minute
struct MemoryQueueTests {
  final class Acks: Sendable {
    let values = Mutex<[UInt64]>([])
    var last: UInt64? { values.withLock { $0.max() } }
  }

  final class Sizes: Sendable {
    let values = Mutex<[Int]>([])
  }

  static func make(events: Int = 100, bytes: Int = 1 << 20, policy: BufferConfig.Policy = .block) -> (MemoryQueue, Acks)
  {
    let acks = Acks()
    let q = MemoryQueue(
      limits: .init(maxEvents: events, maxBytes: bytes, policy: policy),
      acknowledge: { v in acks.values.withLock { $0.append(v) } },
      counters: AgentMetrics().buffer(sink: "t", maxEvents: events, maxBytes: bytes))
    return (q, acks)
  }

  static func batch(_ n: Int, through: UInt64?, size: Int = 10) -> Batch {
    Batch(payload: [UInt8](repeating: 0x61, count: size * n), eventCount: n, throughChunk: through)
  }

  @Test func acknowledgesInPushOrderWhateverTheCompletionOrder() async {
    let (q, acks) = Self.make()
    for k in 1...4 { #expect(await q.push(Self.batch(1, through: UInt64(k))) == .queued(droppedOldest: 0)) }
    var popped: [QueuedBatch] = []
    for _ in 0..<4 { popped.append(await q.pop()!) }
    q.complete(popped[2].ticket)
    q.complete(popped[1].ticket)
    #expect(acks.last == nil, "the first batch is still in flight")
    q.complete(popped[0].ticket)
    #expect(acks.last == 3)
    q.complete(popped[3].ticket)
    #expect(acks.last == 4)
  }

  @Test func anEmptyBatchIsAcknowledgedOnlyAfterEverythingBeforeIt() async {
    let (q, acks) = Self.make()
    _ = await q.push(Self.batch(1, through: 1))
    _ = await q.push(Batch(payload: [], eventCount: 0, throughChunk: 2))
    #expect(acks.last == nil)
    let b = await q.pop()!
    q.complete(b.ticket)
    #expect(acks.last == 2)
  }

  @Test func aGivenBackBatchHoldsBackEveryLaterAcknowledgement() async {
    let (q, acks) = Self.make()
    _ = await q.push(Self.batch(1, through: 1))
    _ = await q.push(Self.batch(1, through: 2))
    let a = await q.pop()!
    let b = await q.pop()!
    q.giveBack(a.ticket)
    q.complete(b.ticket)
    #expect(acks.last == nil)
  }

  @Test func blockWaitsForRoomAndResumesWhenASenderTakesABatch() async {
    let (q, _) = Self.make(events: 10)
    #expect(await q.push(Self.batch(10, through: 1)) == .queued(droppedOldest: 0))
    let pushed = Sizes()
    let pusher = Task {
      let r = await q.push(Self.batch(5, through: 2))
      pushed.values.withLock { $0.append(1) }
      return r
    }
    // The queue is full: the push waits until a pop makes room.
    var spins = 0
    while q.blockedPushes == 0 && spins < 100_000 {
      await Task.yield()
      spins += 1
    }
    #expect(q.blockedPushes == 1)
    #expect(pushed.values.withLock { $0.isEmpty })
    let first = await q.pop()!
    #expect(first.eventCount == 10)
    #expect(await pusher.value == .queued(droppedOldest: 0))
    #expect(pushed.values.withLock { $0 == [1] })
    #expect(await q.pop()?.eventCount == 5)
  }

  @Test func blockIsReleasedByClose() async {
    let (q, _) = Self.make(events: 10)
    _ = await q.push(Self.batch(10, through: 1))
    let pusher = Task { await q.push(Self.batch(5, through: 2)) }
    q.close()
    #expect(await pusher.value == .closed)
    #expect(await q.pop() == nil)
  }

  @Test func dropOldestKeepsTheNewestAndReportsWhatItDropped() async {
    let (q, acks) = Self.make(events: 10, policy: .dropOldest)
    #expect(await q.push(Self.batch(4, through: 1)) == .queued(droppedOldest: 0))
    #expect(await q.push(Self.batch(4, through: 2)) == .queued(droppedOldest: 0))
    #expect(await q.push(Self.batch(4, through: 3)) == .queued(droppedOldest: 4))
    #expect(acks.last == 1, "a dropped batch is done with")
    q.finish()
    var left: [Int] = []
    while let b = await q.pop() {
      left.append(b.eventCount)
      q.complete(b.ticket)
    }
    #expect(left == [4, 4])
    #expect(acks.last == 3)
  }

  /// `sluice_buffer_usage_ratio` is the fuller of the two caps, and falls as batches complete.
  @Test func usageRatioIsTheFullerOfEventsAndBytes() async {
    let metrics = AgentMetrics()
    let q = MemoryQueue(
      limits: .init(maxEvents: 10, maxBytes: 1_000, policy: .block), acknowledge: { _ in },
      counters: metrics.buffer(sink: "t", maxEvents: 10, maxBytes: 1_000))
    func usage() -> String? {
      String(decoding: metrics.exposition(), as: UTF8.self).split(separator: "\n")
        .first { $0.hasPrefix("sluice_buffer_usage_ratio{") }?.split(separator: " ").last.map(String.init)
    }
    _ = await q.push(Self.batch(2, through: 1, size: 300))  // 20 % of events, 60 % of bytes
    #expect(usage() == "0.6")
    _ = await q.push(Self.batch(6, through: 2, size: 10))  // 80 % of events, 66 % of bytes
    #expect(usage() == "0.8")
    let first = await q.pop()!
    q.complete(first.ticket)
    #expect(usage() == "0.6")
  }

  @Test func dropNewestRefusesTheNewBatchAndStillAcknowledgesInOrder() async {
    let (q, acks) = Self.make(events: 10, policy: .dropNewest)
    _ = await q.push(Self.batch(8, through: 1))
    #expect(await q.push(Self.batch(4, through: 2)) == .droppedNewest)
    #expect(acks.last == nil, "the dropped batch waits for the one before it")
    let b = await q.pop()!
    q.complete(b.ticket)
    #expect(acks.last == 2)
  }

  @Test func finishLetsSendersDrainThenEnds() async {
    let (q, _) = Self.make()
    let consumer = Task {
      var n = 0
      while let b = await q.pop() {
        n += b.eventCount
        q.complete(b.ticket)
      }
      return n
    }
    for k in 1...50 { _ = await q.push(Self.batch(2, through: UInt64(k))) }
    q.finish()
    #expect(await consumer.value == 100)
  }

  @Test func manySendersEachBatchHandedOutOnce() async {
    let (q, acks) = Self.make(events: 50)
    let seen = Sizes()
    await withTaskGroup(of: Void.self) { group in
      for _ in 0..<4 {
        group.addTask {
          while let b = await q.pop() {
            seen.values.withLock { $0.append(Int(b.payload.count)) }
            q.complete(b.ticket)
          }
        }
      }
      for k in 1...2000 { _ = await q.push(Self.batch(1, through: UInt64(k), size: k)) }
      q.finish()
    }
    #expect(seen.values.withLock { $0.sorted() } == Array(1...2000))
    #expect(acks.last == 2000)
  }
}
