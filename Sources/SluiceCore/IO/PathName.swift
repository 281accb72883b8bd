/// Path names as text, without Foundation's `NSString` path methods (which trap on some
/// non-ASCII names on Linux: `"\u{FFFD}/var/lib/x"` crashed `deletingLastPathComponent`, and
/// a configuration holds whatever its author typed).
public enum PathName {
  /// The directory part of `path`: `/a/b/c` → `/a/b`, `/a` → `/`, `a/b/` → `a`, `a` → `""`,
  /// `/` → `/`. Trailing slashes are ignored, as `dirname(1)` does.
  public static func parent(_ path: String) -> String {
    var bytes = Array(path.utf8)
    while bytes.count > 1 && bytes.last == UInt8(ascii: "/") { bytes.removeLast() }
    guard let slash = bytes.lastIndex(of: UInt8(ascii: "/")) else { return "" }
    var end = slash
    while end > 0 && bytes[end - 1] == UInt8(ascii: "/") { end -= 1 }
    if end == 0 { return "/" }
    return String(decoding: bytes[..<end], as: UTF8.self)
  }
}
