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
}
