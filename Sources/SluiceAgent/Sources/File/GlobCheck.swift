/// What makes a glob pattern wrong before it is ever expanded: `glob(3)` and `fnmatch(3)`
/// treat these as literal text or match nothing, so a typo would leave a source silently idle.
extension Glob {
  /// Why `pattern` is not a usable pattern, or nil.
  static func problem(in pattern: String) -> String? {
    if pattern.isEmpty { return "an empty pattern matches nothing" }
    if pattern.contains("\u{0}") { return "a pattern cannot contain a NUL byte" }
    for component in pattern.split(separator: "/", omittingEmptySubsequences: false)
    where component.contains("**") && component != "**" {
      return "'**' must be a whole path component ('dir/**/x.log'), not part of '\(component)'"
    }
    // Every `[` opens a bracket expression that a `]` closes (a `]` right after `[` or `[!`
    // is a member, as in fnmatch).
    var i = pattern.startIndex
    while i < pattern.endIndex {
      let c = pattern[i]
      if c == "\\" {
        i = pattern.index(after: i)
        if i < pattern.endIndex { i = pattern.index(after: i) }
        continue
      }
      if c == "[" {
        var j = pattern.index(after: i)
        if j < pattern.endIndex && (pattern[j] == "!" || pattern[j] == "^") { j = pattern.index(after: j) }
        if j < pattern.endIndex && pattern[j] == "]" { j = pattern.index(after: j) }
        while j < pattern.endIndex && pattern[j] != "]" && pattern[j] != "/" { j = pattern.index(after: j) }
        guard j < pattern.endIndex, pattern[j] == "]" else {
          return
            "'[' at position \(pattern.distance(from: pattern.startIndex, to: i) + 1) is not closed by ']' in its path component"
        }
        i = pattern.index(after: j)
        continue
      }
      i = pattern.index(after: i)
    }
    return nil
  }
}
