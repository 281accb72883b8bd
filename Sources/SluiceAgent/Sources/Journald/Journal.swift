import CSystemd

#if canImport(Glibc)
  import Glibc
#endif

/// An error from libsystemd's sd-journal, with the call that failed.
struct JournalError: Error, CustomStringConvertible {
  var call: String
  /// The negative errno the call returned.
  var code: Int32
  var description: String { "\(call): \(String(cString: strerror(-code)))" }
}

/// The one place that calls sd-journal: an open journal handle and the reads the source
/// needs. Not thread-safe (nor is sd-journal): a `Journal` is created, used and closed on one
/// thread (``JournaldSource`` gives it a dedicated one).
///
/// A Darwin build has no libsystemd; the journald source is Linux-only, and this is the file
/// a stub for other platforms would replace.
final class Journal {
  private var handle: OpaquePointer?

  /// Opens the journal files in `directory` (a host's `/var/log/journal` mounted into a
  /// pod, or a directory of `.journal` files), or the local machine's journal if nil.
  init(directory: String?) throws(JournalError) {
    var j: OpaquePointer?
    let rc: Int32
    if let directory {
      rc = sd_journal_open_directory(&j, directory, 0)
    } else {
      rc = sd_journal_open(&j, Int32(SD_JOURNAL_LOCAL_ONLY))
    }
    guard rc >= 0, let j else { throw JournalError(call: "sd_journal_open", code: rc) }
    handle = j
  }

  deinit { close() }

  func close() {
    if let handle { sd_journal_close(handle) }
    handle = nil
  }

  /// Asks sd-journal to hand out at most about `bytes` of each (compressed) field; larger
  /// fields are cut by the caller anyway.
  func setDataThreshold(_ bytes: Int) { sd_journal_set_data_threshold(handle, bytes) }

  func seekHead() throws(JournalError) { try check(sd_journal_seek_head(handle), "sd_journal_seek_head") }
  func seekTail() throws(JournalError) { try check(sd_journal_seek_tail(handle), "sd_journal_seek_tail") }

  /// Seeks to `cursor` (or, if its entry is gone, to where it would have been). Throws if
  /// the text is not a cursor at all.
  func seek(cursor: String) throws(JournalError) {
    try check(sd_journal_seek_cursor(handle, cursor), "sd_journal_seek_cursor")
  }

  /// Whether the current entry is the one `cursor` names.
  func isAt(cursor: String) -> Bool { sd_journal_test_cursor(handle, cursor) > 0 }

  /// Moves to the next entry; false at the end.
  func next() throws(JournalError) -> Bool {
    let rc = sd_journal_next(handle)
    try check(rc, "sd_journal_next")
    return rc > 0
  }

  /// Moves to the previous entry; false at the start.
  func previous() throws(JournalError) -> Bool {
    let rc = sd_journal_previous(handle)
    try check(rc, "sd_journal_previous")
    return rc > 0
  }

  /// The current entry's cursor.
  func cursor() throws(JournalError) -> String {
    var p: UnsafeMutablePointer<CChar>?
    let rc = sd_journal_get_cursor(handle, &p)
    guard rc >= 0, let p else { throw JournalError(call: "sd_journal_get_cursor", code: rc) }
    defer { free(p) }
    return String(cString: p)
  }

  /// The current entry's `__REALTIME_TIMESTAMP`, in microseconds since the epoch.
  func realtimeMicroseconds() -> UInt64 {
    var usec: UInt64 = 0
    return sd_journal_get_realtime_usec(handle, &usec) >= 0 ? usec : 0
  }

  /// Calls `body` with each field of the current entry as `NAME=value` bytes, until it
  /// returns false. The bytes are valid only during the call. Fields that cannot be read
  /// (compressed with an algorithm this libsystemd lacks) are skipped by sd-journal.
  func forEachField(_ body: (UnsafeRawBufferPointer) -> Bool) {
    sd_journal_restart_data(handle)
    var data: UnsafeRawPointer?
    var length = 0
    while sd_journal_enumerate_available_data(handle, &data, &length) > 0 {
      guard let data else { continue }
      if !body(UnsafeRawBufferPointer(start: data, count: length)) { return }
    }
  }

  /// What ``wait(microseconds:)`` saw.
  enum Change { case none, appended, invalidated }

  /// Waits up to `microseconds` for the journal to change (entries appended, files added,
  /// rotated or removed), and lets sd-journal take the change in.
  func wait(microseconds: UInt64) throws(JournalError) -> Change {
    let rc = sd_journal_wait(handle, microseconds)
    try check(rc, "sd_journal_wait")
    switch Int(rc) {
    case Int(SD_JOURNAL_APPEND): return .appended
    case Int(SD_JOURNAL_INVALIDATE): return .invalidated
    default: return .none
    }
  }

  private func check(_ rc: Int32, _ call: String) throws(JournalError) {
    if rc < 0 { throw JournalError(call: call, code: rc) }
  }
}
