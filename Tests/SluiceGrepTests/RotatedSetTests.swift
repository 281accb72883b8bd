import Testing

@testable import SluiceGrep

@Suite("RotatedSet")
struct RotatedSetTests {
  @Test("numeric suffixes, compressed or not, oldest first")
  func numeric() {
    #expect(RotatedSet.order(["app.log.2.gz", "app.log", "app.log.1"]) == ["app.log.2.gz", "app.log.1", "app.log"])
    #expect(
      RotatedSet.order(["app.log", "app.log.1", "app.log.2.gz", "app.log.10.gz", "app.log.9.gz"])
        == ["app.log.10.gz", "app.log.9.gz", "app.log.2.gz", "app.log.1", "app.log"])
    #expect(RotatedSet.order(["x.log.1.zst", "x.log", "x.log.3.zst"]) == ["x.log.3.zst", "x.log.1.zst", "x.log"])
  }

  @Test("a set without its live file")
  func withoutBase() {
    #expect(
      RotatedSet.order(["app.log.1", "app.log.3.gz", "app.log.2"]) == ["app.log.3.gz", "app.log.2", "app.log.1"])
  }

  @Test("dateext suffixes, daily and hourly, compressed or not")
  func dateext() {
    #expect(
      RotatedSet.order(["app.log", "app.log-20261201.gz", "app.log-20261130", "app.log-20261115.gz"])
        == ["app.log-20261115.gz", "app.log-20261130", "app.log-20261201.gz", "app.log"])
    #expect(
      RotatedSet.order(["app.log-2026120110.gz", "app.log", "app.log-2026120109", "app.log-20261201"])
        == ["app.log-20261201", "app.log-2026120109", "app.log-2026120110.gz", "app.log"])
  }

  @Test("the base compressed sits between the rotated members and the base")
  func baseCompressed() {
    #expect(
      RotatedSet.order(["app.log", "app.log.gz", "app.log.1.gz"]) == ["app.log.1.gz", "app.log.gz", "app.log"])
  }

  @Test("numbered members are older than dated ones in a mixed set")
  func numberedAndDated() {
    #expect(
      RotatedSet.order(["app.log", "app.log-20261201", "app.log.1"]) == ["app.log.1", "app.log-20261201", "app.log"])
  }

  @Test("sets keep the order of their first member; unrelated paths keep theirs")
  func mixedSets() {
    #expect(
      RotatedSet.order(["b.log", "notes.txt", "a.log.1", "b.log.1", "other", "a.log", "b.log.2.gz"])
        == ["b.log.2.gz", "b.log.1", "b.log", "notes.txt", "a.log.1", "a.log", "other"])
  }

  @Test("directories are part of the name")
  func directories() {
    #expect(
      RotatedSet.order(["/var/log/app.log", "/srv/app.log.1", "/var/log/app.log.1"])
        == ["/var/log/app.log.1", "/var/log/app.log", "/srv/app.log.1"])
    #expect(RotatedSet.order(["logs/.1", "logs/x"]) == ["logs/.1", "logs/x"])
  }

  @Test("what is not a rotation suffix is left alone")
  func notRotation() {
    // Not a date (month 13), too few digits, a huge number, a dash and a number.
    #expect(RotatedSet.order(["app.log", "app.log-20261399"]) == ["app.log", "app.log-20261399"])
    #expect(RotatedSet.order(["app.log-2026", "app.log"]) == ["app.log-2026", "app.log"])
    #expect(
      RotatedSet.order(["app.log", "app.log.12345678901234567890"]) == ["app.log", "app.log.12345678901234567890"])
    #expect(RotatedSet.order(["server-1", "server-2"]) == ["server-1", "server-2"])
    #expect(RotatedSet.order([]) == [])
  }

  @Test("numbered files of one base that is not given still group")
  func numberedGroup() {
    #expect(RotatedSet.order(["data.1", "x", "data.2"]) == ["data.2", "data.1", "x"])
  }

  @Test("equal ranks and duplicates keep command-line order")
  func duplicates() {
    #expect(RotatedSet.order(["a.log", "a.log.1", "a.log"]) == ["a.log.1", "a.log", "a.log"])
    #expect(RotatedSet.order(["a.log.1.gz", "a.log.1"]) == ["a.log.1.gz", "a.log.1"])
  }
}
