import Dispatch
import Foundation
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// Wakes a file source as soon as a watched directory changes (a file in it grows, appears,
/// moves or goes), through Linux inotify; the source's polling stays as the fallback and for
/// what inotify does not report (new subdirectories of `**` patterns, network filesystems).
///
/// One background thread blocks in `poll(2)` on the inotify descriptor and rings the
/// ``Doorbell``; the source then looks at its files, which is what it would do on a timer
/// anyway. The events' names matter only to the ``CopyTruncateCapture``: a file created next
/// to another as its copy, and writes to a file being captured.
final class FileWatcher: @unchecked Sendable {
  // @unchecked: `watched` is guarded by `lock`; the descriptors are immutable after init.
  let doorbell = Doorbell()
  private let inotify: Int32
  private let wakeRead: Int32
  private let wakeWrite: Int32
  /// The directories watched (a set: `watch` is called for every directory on every poll),
  /// and the same by watch descriptor, for the events' names.
  private let lock = Mutex((watched: Set<String>(), byDescriptor: [Int32: String]()))
  /// Reads what a file gains between a copytruncate's copy and its truncation.
  let capture = CopyTruncateCapture()
  private let finished = DispatchSemaphore(value: 0)

  /// Whether events go to ``capture`` (off in the agent for now; see docs/reliability.md).
  private let capturing: Bool

  /// Nil where inotify is unavailable (the source then polls only).
  init?(capturingCopies: Bool = false) {
    capturing = capturingCopies
    inotify = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
    guard inotify >= 0 else { return nil }
    var fds: [Int32] = [0, 0]
    guard pipe(&fds) == 0 else {
      close(inotify)
      return nil
    }
    for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
    wakeRead = fds[0]
    wakeWrite = fds[1]
    let thread = Thread { [self] in self.run() }
    thread.name = "sluice-inotify"
    thread.start()
  }

  /// Watches `directory` (once; later calls are free). Failures (a directory that is gone,
  /// the watch limit reached) leave that directory to polling.
  func watch(directory: String) {
    let isNew = lock.withLock { $0.watched.insert(directory).inserted }
    guard isNew else { return }
    let mask = UInt32(IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_CLOSE_WRITE | IN_ATTRIB)
    let wd = inotify_add_watch(inotify, directory, mask)
    lock.withLock {
      if wd >= 0 { $0.byDescriptor[wd] = directory } else { $0.watched.remove(directory) }
    }
  }

  /// Stops the thread and closes the descriptors.
  func shutdown() {
    var b: UInt8 = 1
    _ = write(wakeWrite, &b, 1)
    finished.wait()
    capture.shutdown()
    close(inotify)
    close(wakeRead)
    close(wakeWrite)
  }

  private func run() {
    var fds = [
      pollfd(fd: inotify, events: Int16(POLLIN), revents: 0), pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0),
    ]
    var buffer = [UInt8](repeating: 0, count: 64 * 1024)
    while true {
      // While a copy is made (copytruncate), look at its file in a loop rather than wait.
      let spinning = capturing && capture.isSpinning
      let n = poll(&fds, 2, spinning ? 0 : -1)
      if n < 0 && errno == EINTR { continue }
      if n < 0 || fds[1].revents != 0 { break }
      if spinning { capture.pollHot() }
      if fds[0].revents != 0 {
        // Drain; what changed is looked at by the source itself.
        while true {
          let n = buffer.withUnsafeMutableBytes { read(inotify, $0.baseAddress, $0.count) }
          if n <= 0 { break }
          if capturing { buffer.withUnsafeBytes { dispatch(UnsafeRawBufferPointer(rebasing: $0[0..<n])) } }
        }
        capture.expire()
        doorbell.ring()
      }
    }
    finished.signal()
  }
}

extension FileWatcher {
  /// Hands created and modified names to the capture. An event is a `struct inotify_event`
  /// (descriptor, mask, cookie, name length) followed by its NUL-padded name.
  fileprivate func dispatch(_ events: UnsafeRawBufferPointer) {
    let header = MemoryLayout<inotify_event>.size
    var at = 0
    while at + header <= events.count {
      let wd = events.loadUnaligned(fromByteOffset: at, as: Int32.self)
      let mask = events.loadUnaligned(fromByteOffset: at + 4, as: UInt32.self)
      let length = Int(events.loadUnaligned(fromByteOffset: at + 12, as: UInt32.self))
      let nameStart = at + header
      at = nameStart + length
      guard length > 0, at <= events.count, mask & UInt32(IN_CREATE | IN_MODIFY) != 0,
        let directory = lock.withLock({ $0.byDescriptor[wd] })
      else { continue }
      let raw = UnsafeRawBufferPointer(rebasing: events[nameStart..<at])
      let name = String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
      if mask & UInt32(IN_CREATE) != 0 {
        capture.created(name, in: directory)
      } else {
        capture.modified(name, in: directory)
      }
    }
  }
}

/// A wake-up that is remembered until someone waits for it.
final class Doorbell: Sendable {
  private let latch = Latch(permanent: false)

  func ring() { latch.signal() }

  /// Returns at the next ring (at once if it rang since the last wait), or on cancellation.
  func wait() async { await latch.wait() }
}
