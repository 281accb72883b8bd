import CZlib

/// Byte layouts of the disk buffer: the record frame in segment files, and the
/// acknowledgement file. Integers are little-endian; checksums are zlib's CRC-32.
///
/// A segment file holds records back to back, with no file header. A record is
///
/// | offset | size | field |
/// | --- | --- | --- |
/// | 0 | 2 | magic `0x53 0x42` ("SB") |
/// | 2 | 1 | format version, 1 |
/// | 3 | 1 | flags, 0 (reserved) |
/// | 4 | 4 | payload length in bytes |
/// | 8 | 4 | event count |
/// | 12 | 4 | CRC-32 of bytes 0..<12 followed by the payload |
/// | 16 | length | payload |
///
/// The acknowledgement file (``DiskBuffer/ackFileName``) says which records are
/// acknowledged: everything before `position`, and everything inside `ranges`.
///
/// | offset | size | field |
/// | --- | --- | --- |
/// | 0 | 4 | magic "SBAK" |
/// | 4 | 4 | version, 1 |
/// | 8 | 8 | position: segment id |
/// | 16 | 8 | position: byte offset |
/// | 24 | 4 | n, the number of ranges |
/// | 28 | 32·n | ranges: start segment, start offset, end segment, end offset (end exclusive) |
/// | 28 + 32·n | 4 | CRC-32 of all preceding bytes |
enum BufferFraming {
  static let headerSize = 16
  static let maxPayloadLength = Int(UInt32.max)
  static let maxEventCount = Int(UInt32.max)
  static let magic: (UInt8, UInt8) = (0x53, 0x42)
  static let version: UInt8 = 1

  /// A record header that passed its structural checks (not yet its checksum).
  struct Header: Equatable, Sendable {
    var payloadLength: Int
    var eventCount: Int
    var checksum: UInt32

    /// Header and payload together: the bytes the record takes on disk.
    var frameSize: Int { BufferFraming.headerSize + payloadLength }
  }

  /// The 16 header bytes for `payload`.
  static func encodeHeader(payload: UnsafeRawBufferPointer, eventCount: Int) -> [UInt8] {
    var bytes = prefix(payloadLength: payload.count, eventCount: eventCount)
    let sum = bytes.withUnsafeBytes { crc(crc(0, $0), payload) }
    appendLE(sum, to: &bytes)
    return bytes
  }

  /// Header bytes 0..<12, the part the checksum covers.
  static func prefix(payloadLength: Int, eventCount: Int) -> [UInt8] {
    var bytes: [UInt8] = [magic.0, magic.1, version, 0]
    bytes.reserveCapacity(headerSize)
    appendLE(UInt32(payloadLength), to: &bytes)
    appendLE(UInt32(eventCount), to: &bytes)
    return bytes
  }

  /// Parses 16 header bytes; nil when the magic, version or flags are wrong.
  static func decodeHeader(_ bytes: UnsafeRawBufferPointer) -> Header? {
    guard bytes.count >= headerSize, bytes[0] == magic.0, bytes[1] == magic.1, bytes[2] == version, bytes[3] == 0
    else { return nil }
    return Header(
      payloadLength: Int(loadLE32(bytes, at: 4)), eventCount: Int(loadLE32(bytes, at: 8)),
      checksum: loadLE32(bytes, at: 12))
  }

  /// The length field of a header that may be damaged (to try to step over a bad record).
  static func rawPayloadLength(_ bytes: UnsafeRawBufferPointer) -> Int { Int(loadLE32(bytes, at: 4)) }

  /// Whether `payload` is the one `header` was written for.
  static func verify(_ header: Header, payload: UnsafeRawBufferPointer) -> Bool {
    guard payload.count == header.payloadLength else { return false }
    let p = prefix(payloadLength: header.payloadLength, eventCount: header.eventCount)
    return p.withUnsafeBytes { crc(crc(0, $0), payload) } == header.checksum
  }

  // MARK: - The acknowledgement file

  static let ackMagic: [UInt8] = Array("SBAK".utf8)
  static let ackVersion: UInt32 = 1

  /// What the acknowledgement file holds.
  struct AckFile: Equatable, Sendable {
    /// Every record before this position is acknowledged.
    var position: DiskBuffer.RecordID
    /// Further acknowledged (or dropped) records past `position`: sorted, disjoint, non-empty.
    var ranges: [Range<DiskBuffer.RecordID>]
  }

  static func encode(_ ack: AckFile) -> [UInt8] {
    var bytes = ackMagic
    bytes.reserveCapacity(32 + 32 * ack.ranges.count)
    appendLE(ackVersion, to: &bytes)
    appendLE(ack.position.segment, to: &bytes)
    appendLE(ack.position.offset, to: &bytes)
    appendLE(UInt32(ack.ranges.count), to: &bytes)
    for r in ack.ranges {
      appendLE(r.lowerBound.segment, to: &bytes)
      appendLE(r.lowerBound.offset, to: &bytes)
      appendLE(r.upperBound.segment, to: &bytes)
      appendLE(r.upperBound.offset, to: &bytes)
    }
    let sum = bytes.withUnsafeBytes { crc(0, $0) }
    appendLE(sum, to: &bytes)
    return bytes
  }

  /// Parses an acknowledgement file; nil for anything damaged or inconsistent.
  static func decodeAck(_ bytes: UnsafeRawBufferPointer) -> AckFile? {
    guard bytes.count >= 32, Array(bytes[0..<4]) == ackMagic, loadLE32(bytes, at: 4) == ackVersion else { return nil }
    let count = Int(loadLE32(bytes, at: 24))
    guard count <= (bytes.count - 32) / 32, bytes.count == 32 + 32 * count else { return nil }
    let sum = crc(0, UnsafeRawBufferPointer(rebasing: bytes[0..<(bytes.count - 4)]))
    guard sum == loadLE32(bytes, at: bytes.count - 4) else { return nil }
    func id(at offset: Int) -> DiskBuffer.RecordID {
      DiskBuffer.RecordID(segment: loadLE64(bytes, at: offset), offset: loadLE64(bytes, at: offset + 8))
    }
    let position = id(at: 8)
    guard position.segment <= SegmentFile.maxID else { return nil }
    var ranges: [Range<DiskBuffer.RecordID>] = []
    var previous = position
    for k in 0..<count {
      let lower = id(at: 28 + 32 * k)
      let upper = id(at: 28 + 32 * k + 16)
      guard previous <= lower, lower < upper, upper.segment <= SegmentFile.maxID else { return nil }
      ranges.append(lower..<upper)
      previous = upper
    }
    return AckFile(position: position, ranges: ranges)
  }

  // MARK: - Little-endian integers

  static func appendLE(_ value: UInt32, to bytes: inout [UInt8]) {
    for shift in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt32(shift))) }
  }

  static func appendLE(_ value: UInt64, to bytes: inout [UInt8]) {
    for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
  }

  static func loadLE32(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> UInt32 {
    var value: UInt32 = 0
    for k in 0..<4 { value |= UInt32(bytes[offset + k]) << UInt32(8 * k) }
    return value
  }

  static func loadLE64(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> UInt64 {
    var value: UInt64 = 0
    for k in 0..<8 { value |= UInt64(bytes[offset + k]) << UInt64(8 * k) }
    return value
  }

  /// Continues a CRC-32 (0 to start) over `bytes`, with zlib.
  static func crc(_ crc: UInt32, _ bytes: UnsafeRawBufferPointer) -> UInt32 {
    guard var p = bytes.baseAddress, bytes.count > 0 else { return crc }
    var value = uLong(crc)
    var left = bytes.count
    while left > 0 {
      let n = min(left, 1 << 30)  // zlib takes a 32-bit length
      value = crc32(value, p.assumingMemoryBound(to: Bytef.self), uInt(n))
      p += n
      left -= n
    }
    return UInt32(truncatingIfNeeded: value)
  }
}
