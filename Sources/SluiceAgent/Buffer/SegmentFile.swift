import Foundation

/// File-level work on disk-buffer segments: names, positional reads, appends, and the
/// recovery scan that checks every record and cuts damaged tails off.
///
/// A segment is named by its id as 20 decimal digits and `.seg`
/// (`00000000000000000042.seg`). Other names in the directory are not segments.
enum SegmentFile {
  static let suffix = ".seg"
  static let idDigits = 20
  /// Ids above this are taken for foreign files, so that the next id never overflows.
  static let maxID: UInt64 = 1 << 62
  /// How much of a segment the recovery scan reads at a time.
  static let scanChunk = 256 * 1024

  static func name(for id: UInt64) -> String {
    let digits = String(id)
    return String(repeating: "0", count: max(0, idDigits - digits.count)) + digits + suffix
  }

  static func path(_ directory: String, _ id: UInt64) -> String { directory + "/" + name(for: id) }

  /// The id a file name stands for, or nil if it is not a segment's name.
  static func id(fromName name: String) -> UInt64? {
    guard name.hasSuffix(suffix) else { return nil }
    let digits = name.utf8.dropLast(suffix.utf8.count)
    guard digits.count == idDigits, digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
      let id = UInt64(String(decoding: digits, as: UTF8.self)), id <= maxID
    else { return nil }
    return id
  }

  /// The ids of the regular segment files in `directory`, ascending.
  static func list(directory: String) throws -> [UInt64] {
    let names: [String]
    do {
      names = try FileManager.default.contentsOfDirectory(atPath: directory)
    } catch {
      throw DiskBufferError("cannot list the buffer directory \(directory): \(error)")
    }
    var ids: [UInt64] = []
    for name in names {
      guard let id = id(fromName: name) else { continue }
      var st = stat()
      guard lstat(directory + "/" + name, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { continue }
      ids.append(id)
    }
    return ids.sorted()
  }

  /// Reads up to `buffer.count` bytes at `offset`, retrying short reads: the count read
  /// (less only at end of file), or -1 on an error.
  static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, at offset: Int) -> Int {
    var done = 0
    while done < buffer.count {
      let n = pread(fd, buffer.baseAddress! + done, buffer.count - done, off_t(offset + done))
      if n < 0 {
        if errno == EINTR { continue }
        return -1
      }
      if n == 0 { break }
      done += n
    }
    return done
  }

  /// Writes `header` then `payload` with `writev(2)`, resuming after short writes.
  /// - Returns: 0, or the `errno` of the failure.
  static func write(_ fd: Int32, header: UnsafeRawBufferPointer, payload: UnsafeRawBufferPointer) -> Int32 {
    let total = header.count + payload.count
    var done = 0
    return withUnsafeTemporaryAllocation(of: iovec.self, capacity: 2) { iov -> Int32 in
      while done < total {
        var count: Int32 = 0
        if done < header.count {
          iov[0] = iovec(
            iov_base: UnsafeMutableRawPointer(mutating: header.baseAddress! + done), iov_len: header.count - done)
          count = 1
        }
        let payloadDone = max(0, done - header.count)
        if payload.count > payloadDone {
          iov[Int(count)] = iovec(
            iov_base: UnsafeMutableRawPointer(mutating: payload.baseAddress! + payloadDone),
            iov_len: payload.count - payloadDone)
          count += 1
        }
        let n = writev(fd, iov.baseAddress!, count)
        if n < 0 {
          if errno == EINTR { continue }
          return errno
        }
        if n == 0 { return EIO }
        done += n
      }
      return 0
    }
  }

  /// Makes directory entries (new segments, the renamed acknowledgement file) durable.
  static func syncDirectory(_ directory: String) -> Bool {
    let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    return fsync(fd) == 0
  }

  // MARK: - Recovery

  /// What scanning one segment found.
  struct ScanResult {
    /// The segment's length once damage is cut off.
    var size = 0
    /// Unacknowledged records that passed their checks, their events and bytes on disk.
    var records = 0
    var events = 0
    var bytes = 0
    /// The segment ended in an incomplete record (or zero fill).
    var tornTail = false
    var corruptRecords = 0
    var bytesDiscarded = 0
    /// Corrupt records stepped over in place (the record after each one checks out): they
    /// must be treated as acknowledged, so that nothing reads them.
    var skipped: [Range<DiskBuffer.RecordID>] = []
  }

  /// Checks every record of segment `id` from byte `start`, truncating the file at the
  /// first record that is incomplete, or corrupt and cannot be stepped over safely.
  ///
  /// Records inside `acknowledged` (sorted) are jumped over unread. A corrupt record is
  /// stepped over only when its length field leads exactly to the end of the file or to
  /// a record that passes its checksum; no byte that fails a checksum is ever accepted.
  static func scan(
    path: String, segment id: UInt64, from start: Int, acknowledged: [Range<DiskBuffer.RecordID>],
    scratch: inout [UInt8]
  ) throws -> ScanResult {
    var fd = open(path, O_RDWR | O_CLOEXEC)
    if fd < 0 { fd = open(path, O_RDONLY | O_CLOEXEC) }
    guard fd >= 0 else { throw DiskBufferError.posix("cannot open buffer segment \(path)") }
    defer { close(fd) }
    var st = stat()
    guard fstat(fd, &st) == 0 else { throw DiskBufferError.posix("cannot stat buffer segment \(path)") }
    let size = Int(st.st_size)
    if scratch.count < scanChunk { scratch = [UInt8](repeating: 0, count: scanChunk) }

    var result = ScanResult(size: size)
    var offset = min(max(0, start), size)
    var ackIndex = 0
    func cut(at offset: Int) {
      result.bytesDiscarded += size - offset
      result.size = offset
      _ = ftruncate(fd, off_t(offset))  // if this fails, the next open finds the same damage again
    }
    scanning: while offset < size {
      let here = DiskBuffer.RecordID(segment: id, offset: UInt64(offset))
      while ackIndex < acknowledged.count, acknowledged[ackIndex].upperBound <= here { ackIndex += 1 }
      if ackIndex < acknowledged.count, acknowledged[ackIndex].contains(here) {
        let end = acknowledged[ackIndex].upperBound
        guard end.segment == id else { break }  // acknowledged to the end of this segment
        offset = Int(clamping: end.offset)
        continue
      }
      switch try check(fd, at: offset, size: size, scratch: &scratch, path: path) {
      case .valid(let header):
        result.records += 1
        result.events += header.eventCount
        result.bytes += header.frameSize
        offset += header.frameSize
      case .torn:
        result.tornTail = true
        cut(at: offset)
        break scanning
      case .corrupt(let frame):
        result.corruptRecords += 1
        if let frame {
          let next = offset + frame
          let resumes: Bool
          if next == size {
            resumes = true
          } else if case .valid = try check(fd, at: next, size: size, scratch: &scratch, path: path) {
            resumes = true
          } else {
            resumes = false
          }
          if resumes {
            result.bytesDiscarded += frame
            result.skipped.append(here..<DiskBuffer.RecordID(segment: id, offset: UInt64(next)))
            offset = next
            continue
          }
        }
        cut(at: offset)
        break scanning
      }
    }
    return result
  }

  enum Check {
    case valid(BufferFraming.Header)
    /// Incomplete: the file ends inside the record, or only zeros remain.
    case torn
    /// Bad magic or checksum; `frame` is the size the length field claims, if it fits the file.
    case corrupt(frame: Int?)
  }

  /// Checks the record at `offset` of a file of `size` bytes, checksum included.
  static func check(_ fd: Int32, at offset: Int, size: Int, scratch: inout [UInt8], path: String) throws -> Check {
    let left = size - offset
    guard left >= BufferFraming.headerSize else { return .torn }
    return try scratch.withUnsafeMutableBytes { buffer -> Check in
      let head = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<BufferFraming.headerSize])
      let n = read(fd, into: head, at: offset)
      guard n >= 0 else { throw DiskBufferError.posix("cannot read buffer segment \(path)") }
      guard n == head.count else { return .torn }  // shrank under us
      let raw = UnsafeRawBufferPointer(head)
      let claimed = BufferFraming.rawPayloadLength(raw)
      let frame: Int? = claimed <= left - BufferFraming.headerSize ? BufferFraming.headerSize + claimed : nil
      guard let header = BufferFraming.decodeHeader(raw) else {
        if raw.allSatisfy({ $0 == 0 }), try isZero(fd, from: offset + head.count, to: size, buffer: buffer, path: path)
        {
          return .torn
        }
        return .corrupt(frame: frame)
      }
      guard frame != nil else { return .torn }
      let prefix = BufferFraming.prefix(payloadLength: header.payloadLength, eventCount: header.eventCount)
      var sum = prefix.withUnsafeBytes { BufferFraming.crc(0, $0) }
      var position = offset + BufferFraming.headerSize
      var remaining = header.payloadLength
      while remaining > 0 {
        let chunk = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<min(remaining, buffer.count)])
        let got = read(fd, into: chunk, at: position)
        guard got >= 0 else { throw DiskBufferError.posix("cannot read buffer segment \(path)") }
        guard got == chunk.count else { return .torn }
        sum = BufferFraming.crc(sum, UnsafeRawBufferPointer(chunk))
        position += got
        remaining -= got
      }
      return sum == header.checksum ? .valid(header) : .corrupt(frame: frame)
    }
  }

  /// Whether bytes `from..<to` of the file are all zero (a tail the file system extended
  /// but never filled).
  static func isZero(
    _ fd: Int32, from: Int, to: Int, buffer: UnsafeMutableRawBufferPointer, path: String
  ) throws
    -> Bool
  {
    var position = from
    while position < to {
      let chunk = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<min(to - position, buffer.count)])
      let got = read(fd, into: chunk, at: position)
      guard got >= 0 else { throw DiskBufferError.posix("cannot read buffer segment \(path)") }
      guard got > 0 else { return true }
      if !UnsafeRawBufferPointer(rebasing: chunk[0..<got]).allSatisfy({ $0 == 0 }) { return false }
      position += got
    }
    return true
  }
}

/// A segment opened for positional reads, closed when the last reference goes (so a
/// sender can finish reading a record while the buffer moves on).
final class SegmentReader: Sendable {
  let fd: Int32

  init?(path: String) {
    fd = open(path, O_RDONLY | O_CLOEXEC)
    if fd < 0 { return nil }
  }

  deinit { close(fd) }

  /// The header at `offset`, if it reads in full and is well formed.
  func header(at offset: Int) -> BufferFraming.Header? {
    withUnsafeTemporaryAllocation(byteCount: BufferFraming.headerSize, alignment: 8) { buffer in
      guard SegmentFile.read(fd, into: buffer, at: offset) == buffer.count else { return nil }
      return BufferFraming.decodeHeader(UnsafeRawBufferPointer(buffer))
    }
  }

  /// The payload of the record `header` describes, at `offset`, if it reads in full and
  /// its checksum matches.
  func payload(_ header: BufferFraming.Header, at offset: Int) -> [UInt8]? {
    let n = header.payloadLength
    let bytes = [UInt8](unsafeUninitializedCapacity: n) { buffer, count in
      let got = SegmentFile.read(fd, into: UnsafeMutableRawBufferPointer(buffer), at: offset + BufferFraming.headerSize)
      count = max(0, got)
    }
    guard bytes.count == n, bytes.withUnsafeBytes({ BufferFraming.verify(header, payload: $0) }) else { return nil }
    return bytes
  }
}

/// A disk-buffer operation failed (the file system refused a read, write or rename).
public struct DiskBufferError: Error, CustomStringConvertible {
  public var message: String
  public var description: String { message }

  init(_ message: String) { self.message = message }

  /// `what`, with the current `errno` explained.
  static func posix(_ what: String, _ code: Int32 = errno) -> DiskBufferError {
    DiskBufferError("\(what): \(String(cString: strerror(code)))")
  }
}
