import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// Shell-style file name patterns: `*`, `?` and `[...]` within one path component (expanded
/// with the C library's `glob(3)`), and `**` for any number of directories, symlinked ones
/// included (each directory is walked once, so symlink loops end).
enum Glob {
  /// A directory the expansion could not read (or a literal path it could not look at),
  /// with `errno`: files below it may match and stay unseen. Missing directories are not
  /// problems (`ENOENT`, `ENOTDIR`: nothing there yet).
  typealias Unreadable = (path: String, error: Int32)

  /// Paths matching `pattern`, sorted. Patterns that match nothing yield nothing.
  static func expand(_ pattern: String) -> [String] {
    var ignored: [Unreadable] = []
    return expand(pattern, unreadable: &ignored)
  }

  /// Paths matching `pattern`, sorted; directories that could not be read on the way (a
  /// permission problem hides every file below it) are added to `unreadable`.
  static func expand(_ pattern: String, unreadable: inout [Unreadable]) -> [String] {
    if pattern.split(separator: "/").contains("**") { return expandRecursive(pattern, unreadable: &unreadable) }
    var out: [String] = []
    let problems = globLock.withLock { _ -> [Unreadable] in
      globErrors = []
      var g = glob_t()
      defer { globfree(&g) }
      if glob(
        pattern, GLOB_NOSORT,
        { path, error in
          if let path, Glob.isProblem(error) { Glob.globErrors.append((String(cString: path), error)) }
          return 0  // go on with the other directories
        }, &g) == 0
      {
        for i in 0..<Int(g.gl_pathc) {
          if let p = g.gl_pathv[i] { out.append(String(cString: p)) }
        }
      }
      return globErrors
    }
    unreadable += problems
    // glob(3) looks at a pattern without wildcards with stat alone, and says nothing when
    // that fails: ask the same question and keep the answer.
    if out.isEmpty && !hasMeta(pattern) {
      var st = stat()
      if stat(pattern, &st) != 0 && isProblem(errno) { unreadable.append((pattern, errno)) }
    }
    return out.sorted()
  }

  /// glob(3)'s error callback is a C function and cannot capture: it reports into this list,
  /// which the lock keeps to one expansion at a time (expansions run once per poll interval).
  private static let globLock = Mutex(())
  nonisolated(unsafe) private static var globErrors: [Unreadable] = []

  private static func isProblem(_ error: Int32) -> Bool { error != ENOENT && error != ENOTDIR }

  /// `pattern` with `**` components: walks the directory tree below the part before the
  /// first `**`.
  private static func expandRecursive(_ pattern: String, unreadable: inout [Unreadable]) -> [String] {
    let absolute = pattern.hasPrefix("/")
    let parts = pattern.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
    var results = Set<String>()
    var visited = Set<[UInt64]>()
    func walk(_ dir: String, _ k: Int) {
      if k == parts.count { return }
      let part = parts[k]
      let isLast = k == parts.count - 1
      if part == "**" {
        // Zero directories here…
        if isLast { return }
        walk(dir, k + 1)
        // …or one more level, for every subdirectory (each directory once per `**`, by
        // identity, so a symlink loop ends).
        for name in entries(dir, unreadable: &unreadable) where !name.hasPrefix(".") {
          let child = join(dir, name)
          guard let id = directoryIdentity(child), visited.insert(id + [UInt64(k)]).inserted else { continue }
          walk(child, k)
        }
        return
      }
      let names: [String] =
        hasMeta(part) ? entries(dir, unreadable: &unreadable).filter { fnmatch(part, $0, FNM_PERIOD) == 0 } : [part]
      for name in names {
        let child = join(dir, name)
        var st = stat()
        guard stat(child, &st) == 0 else {
          // A name the pattern spells out that cannot be looked at (not one a wildcard
          // listed: those exist, or they would not have been listed).
          if !hasMeta(part) && isProblem(errno) { unreadable.append((child, errno)) }
          continue
        }
        if isLast {
          if (st.st_mode & S_IFMT) == S_IFREG { results.insert(child) }
        } else if (st.st_mode & S_IFMT) == S_IFDIR {
          walk(child, k + 1)
        }
      }
    }
    walk(absolute ? "/" : ".", 0)
    return results.map { absolute || !$0.hasPrefix("./") ? $0 : String($0.dropFirst(2)) }.sorted()
  }

  private static func hasMeta(_ part: String) -> Bool { part.contains { $0 == "*" || $0 == "?" || $0 == "[" } }

  private static func join(_ dir: String, _ name: String) -> String { dir == "/" ? "/" + name : dir + "/" + name }

  /// Device and inode if `path` is a directory (following symlinks).
  private static func directoryIdentity(_ path: String) -> [UInt64]? {
    var st = stat()
    guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR else { return nil }
    return [UInt64(st.st_dev), UInt64(st.st_ino)]
  }

  /// The names in `dir` (without `.` and `..`); empty if it cannot be read.
  static func entries(_ dir: String) -> [String] {
    var ignored: [Unreadable] = []
    return entries(dir, unreadable: &ignored)
  }

  /// The names in `dir`; if it cannot be read for another reason than not being there, it
  /// is added to `unreadable`.
  static func entries(_ dir: String, unreadable: inout [Unreadable]) -> [String] {
    guard let d = opendir(dir) else {
      if isProblem(errno) { unreadable.append((dir, errno)) }
      return []
    }
    defer { closedir(d) }
    var names: [String] = []
    while let e = readdir(d) {
      let name = withUnsafeBytes(of: e.pointee.d_name) { raw in
        String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
      }
      if name != "." && name != ".." { names.append(name) }
    }
    return names
  }

  /// Whether `path` matches `pattern`. A pattern without `/` is matched against the file
  /// name only (so `*.gz` excludes every gzip file).
  static func matches(_ path: String, _ pattern: String) -> Bool {
    if pattern.contains("/") { return fnmatch(pattern, path, 0) == 0 }
    let name = path.split(separator: "/").last.map(String.init) ?? path
    return fnmatch(pattern, name, 0) == 0
  }
}
