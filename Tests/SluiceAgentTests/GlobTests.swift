import Foundation
import Testing

@testable import SluiceAgent

@Suite("Glob")
struct GlobTests {
  func realpaths(_ paths: [String]) -> Set<String> {
    Set(paths.map { URL(fileURLWithPath: $0).resolvingSymlinksInPath().path })
  }

  @Test func doubleStarMatchesAnyDepthAndFollowsSymlinksWithoutLooping() throws {
    let dir = try TempDirectory()
    for f in ["a/x.log", "a/b/c/y.log", "a/b/c/notes.txt", "d/z.log", ".hidden/h.log", "top.log"] {
      try dir.append("line\n", to: f)
    }
    let fm = FileManager.default
    try fm.createSymbolicLink(atPath: dir.file("a/b/loop").path, withDestinationPath: dir.file("a").path)
    try fm.createSymbolicLink(atPath: dir.file("elsewhere").path, withDestinationPath: dir.file("d").path)
    let all = Glob.expand(dir.path + "/**/*.log")
    #expect(
      realpaths(all)
        == realpaths(["a/x.log", "a/b/c/y.log", "d/z.log", "top.log"].map { dir.file($0).path }))
    #expect(!all.contains { $0.contains(".hidden") })
    // `**` in the middle, and a literal part after it.
    let under = Glob.expand(dir.path + "/a/**/c/*.log")
    #expect(under == [dir.file("a/b/c/y.log").path])
    // Nothing matches: nothing returned.
    #expect(Glob.expand(dir.path + "/**/*.none").isEmpty)
    // Without `**`, glob(3) as before.
    #expect(Glob.expand(dir.path + "/*/x.log") == [dir.file("a/x.log").path])
  }

  /// A directory on the way that cannot be read hides its files: the expansion says which
  /// and why, rather than matching nothing in silence. (Tests run as root, which reads any
  /// directory; a symlink loop is an error root gets too. PodSecurityTests checks a
  /// permission error, with the capability that bypasses it dropped.)
  @Test func unreadableDirectoriesAreReportedAndMissingOnesAreNot() throws {
    let dir = try TempDirectory()
    try dir.append("line\n", to: "ok/a.log")
    try FileManager.default.createSymbolicLink(
      atPath: dir.file("loop").path, withDestinationPath: dir.file("loop").path)
    // A loop met while listing is not a directory: skipped, nothing below it to hide.
    for pattern in [dir.path + "/*/*.log", dir.path + "/**/*.log"] {
      var unreadable: [Glob.Unreadable] = []
      #expect(Glob.expand(pattern, unreadable: &unreadable) == [dir.file("ok/a.log").path], "\(pattern)")
      #expect(unreadable.isEmpty, "\(pattern): \(unreadable)")
    }
    // A directory the pattern names that cannot be opened hides whatever it holds.
    for pattern in [dir.path + "/loop/*.log", dir.path + "/loop/**/*.log"] {
      var unreadable: [Glob.Unreadable] = []
      #expect(Glob.expand(pattern, unreadable: &unreadable).isEmpty)
      #expect(unreadable.map(\.path) == [dir.file("loop").path], "\(pattern): \(unreadable)")
      #expect(unreadable.map(\.error) == [ELOOP], "\(pattern)")
    }
    var none: [Glob.Unreadable] = []
    #expect(Glob.expand(dir.path + "/missing/*/*.log", unreadable: &none).isEmpty)
    #expect(Glob.expand(dir.path + "/missing.log", unreadable: &none).isEmpty)
    #expect(none.isEmpty, "a missing directory or file is no problem: \(none)")
    var literal: [Glob.Unreadable] = []
    #expect(Glob.expand(dir.path + "/loop/a.log", unreadable: &literal).isEmpty)
    #expect(literal.map(\.error) == [ELOOP])
  }
}
