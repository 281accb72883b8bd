import SluiceCore
import Testing

@Suite("Path names")
struct PathNameTests {
  @Test(arguments: [
    ("/a/b/c", "/a/b"), ("/a", "/"), ("/", "/"), ("a/b/", "a"), ("a", ""), ("", ""), ("//a//b//", "//a"),
    // Foundation's NSString.deletingLastPathComponent trapped on this one (found by fuzzing
    // the configuration reader: a data_dir whose first byte was not UTF-8).
    ("\u{FFFD}/var/lib/sluice", "\u{FFFD}/var/lib"), ("\u{FFFD}", ""), ("é/x", "é"),
  ])
  func parent(_ path: String, _ expected: String) {
    #expect(PathName.parent(path) == expected)
  }
}
