/// Orders input paths so that each rotated set is read oldest first: `app.log.2.gz app.log
/// app.log.1` → `app.log.2.gz, app.log.1, app.log`. Recognise numeric suffixes `.N` and
/// `.N.gz` (also `.N.zst`), logrotate `dateext` suffixes (`-YYYYMMDD`, `-YYYYMMDDHH`,
/// optionally `.gz`), and `.gz` of the base itself. Sets keep the order in which their first
/// member appeared on the command line; unrelated paths keep command-line order.
///
/// Within a set, from oldest to newest:
/// 1. numbered members, highest number first (`app.log.3.gz`, `app.log.2`, `app.log.1`);
/// 2. dated members, earliest first (`app.log-20261130.gz`, `app.log-2026120110`) — when a
///    set has both kinds, the numbered ones are taken as older (left from before `dateext`
///    was turned on);
/// 3. the base compressed (`app.log.gz`);
/// 4. the base itself (`app.log`), the file being written.
///
/// Paths are compared as written (`./app.log` and `app.log` are different sets); members of
/// equal rank keep their command-line order. Nothing is read from the file system.
public enum RotatedSet {
  /// `paths` reordered so that every rotated set is read oldest first (see ``RotatedSet``).
  public static func order(_ paths: [String]) -> [String] {
    var groupOfBase: [String: Int] = [:]
    var groups: [[(rank: Rank, index: Int)]] = []
    for (index, path) in paths.enumerated() {
      let (base, rank) = classify(path)
      if let g = groupOfBase[base] {
        groups[g].append((rank, index))
      } else {
        groupOfBase[base] = groups.count
        groups.append([(rank, index)])
      }
    }
    var result: [String] = []
    result.reserveCapacity(paths.count)
    for group in groups {
      let sorted = group.sorted { a, b in a.rank != b.rank ? a.rank < b.rank : a.index < b.index }
      for member in sorted { result.append(paths[member.index]) }
    }
    return result
  }

  /// A member's age within its set: smaller is older.
  struct Rank: Comparable {
    /// 0 numbered, 1 dated, 2 base compressed, 3 base.
    var kind: Int
    /// Within a kind: minus the number, or the date as `YYYYMMDDHH`.
    var value: Int64

    static func < (a: Rank, b: Rank) -> Bool { (a.kind, a.value) < (b.kind, b.value) }

    static let base = Rank(kind: 3, value: 0)
  }

  /// The base name of the set `path` belongs to, and its rank there.
  static func classify(_ path: String) -> (base: String, rank: Rank) {
    let bytes = Array(path.utf8)
    var stem = bytes[...]
    var compressed = false
    for suffix in [".gz", ".zst"] {
      let s = suffix.utf8
      if stem.count > s.count && stem.suffix(s.count).elementsEqual(s) {
        stem = stem.dropLast(s.count)
        compressed = true
        break
      }
    }
    // The trailing run of digits and the byte before it.
    var digitsStart = stem.endIndex
    while digitsStart > stem.startIndex, isDigit(stem[digitsStart - 1]) { digitsStart -= 1 }
    let digitCount = stem.endIndex - digitsStart
    if digitCount > 0 && digitsStart > stem.startIndex {
      let separator = stem[digitsStart - 1]
      let base = stem[stem.startIndex..<(digitsStart - 1)]
      let digits = stem[digitsStart...]
      if isUsableBase(base) {
        if separator == UInt8(ascii: "."), digitCount <= 9 {
          return (string(base), Rank(kind: 0, value: -number(digits)))
        }
        if separator == UInt8(ascii: "-"), digitCount == 8 || digitCount == 10, isPlausibleDate(digits) {
          let value = number(digits)
          return (string(base), Rank(kind: 1, value: digitCount == 8 ? value * 100 : value))
        }
      }
    }
    if compressed && isUsableBase(stem) { return (string(stem), Rank(kind: 2, value: 0)) }
    return (path, .base)
  }

  /// A base must name a file: not empty, not ending in a directory separator.
  private static func isUsableBase(_ base: ArraySlice<UInt8>) -> Bool {
    guard let last = base.last else { return false }
    return last != UInt8(ascii: "/")
  }

  /// `YYYYMMDD[HH]` with a month 01–12, a day 01–31 and an hour 00–23.
  private static func isPlausibleDate(_ digits: ArraySlice<UInt8>) -> Bool {
    let d = Array(digits)
    let month = number(d[4..<6][...])
    let day = number(d[6..<8][...])
    guard (1...12).contains(month), (1...31).contains(day) else { return false }
    return d.count == 8 || number(d[8..<10][...]) <= 23
  }

  private static func isDigit(_ c: UInt8) -> Bool { c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }

  private static func number(_ digits: ArraySlice<UInt8>) -> Int64 {
    digits.reduce(0) { $0 * 10 + Int64($1 - UInt8(ascii: "0")) }
  }

  private static func string(_ bytes: ArraySlice<UInt8>) -> String { String(decoding: bytes, as: UTF8.self) }
}
