#if canImport(Glibc)
  import Glibc
#endif

/// Shell-style file name patterns, expanded with the C library's `glob(3)` and matched
/// with `fnmatch(3)`.
enum Glob {
  /// Paths matching `pattern`, sorted. Patterns that match nothing yield nothing.
  static func expand(_ pattern: String) -> [String] {
    var g = glob_t()
    defer { globfree(&g) }
    guard glob(pattern, GLOB_NOSORT, nil, &g) == 0 else { return [] }
    var out: [String] = []
    for i in 0..<Int(g.gl_pathc) {
      if let p = g.gl_pathv[i] { out.append(String(cString: p)) }
    }
    return out.sorted()
  }

  /// Whether `path` matches `pattern`. A pattern without `/` is matched against the file
  /// name only (so `*.gz` excludes every gzip file).
  static func matches(_ path: String, _ pattern: String) -> Bool {
    if pattern.contains("/") { return fnmatch(pattern, path, 0) == 0 }
    let name = path.split(separator: "/").last.map(String.init) ?? path
    return fnmatch(pattern, name, 0) == 0
  }
}
