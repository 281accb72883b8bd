import Foundation
import Testing
import Yams

/// The PrometheusRule in `k8s/base/prometheusrule.yaml`: its groups pass `promtool check
/// rules`, `promtool test rules` (k8s/monitoring/alerts.test.yaml) proves each alert fires on
/// crafted series and stays silent on healthy ones, and every alert links to a runbook that
/// exists.
@Suite(.timeLimit(.minutes(3)))
struct AlertRuleTests {
  static let promtool = "/usr/bin/promtool"

  /// The rule groups, as promtool reads them (the PrometheusRule's `spec`), in `dir`.
  static func extractRules(into dir: TempDirectory) throws -> (file: String, groups: [[String: Any]]) {
    let rendering = try Manifests.render("k8s")
    let rule = try rendering.object("PrometheusRule", named: "sluice")
    let spec = try #require(rule["spec"] as? [String: Any])
    let groups = try #require(spec["groups"] as? [[String: Any]])
    let file = dir.file("sluice-rules.yaml").path
    try Yams.dump(object: spec).write(toFile: file, atomically: true, encoding: .utf8)
    return (file, groups)
  }

  static func alerts(_ groups: [[String: Any]]) -> [[String: Any]] {
    groups.flatMap { ($0["rules"] as? [[String: Any]]) ?? [] }.filter { $0["alert"] != nil }
  }

  @Test func rulesPassPromtoolCheckAndUnitTests() throws {
    try #require(
      FileManager.default.isExecutableFile(atPath: Self.promtool),
      "promtool is missing (scripts/test installs the Debian package prometheus)")
    let dir = try TempDirectory()
    let (file, groups) = try Self.extractRules(into: dir)
    let check = try Manifests.run(Self.promtool, ["check", "rules", file])
    #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
    let count = groups.flatMap { ($0["rules"] as? [[String: Any]]) ?? [] }.count
    #expect(check.stdout.contains("SUCCESS: \(count) rules found"), "\(check.stdout)")

    let tests = Manifests.root.appendingPathComponent("k8s/monitoring/alerts.test.yaml")
    try FileManager.default.copyItem(at: tests, to: dir.file("alerts.test.yaml"))
    let run = try Manifests.run(Self.promtool, ["test", "rules", "alerts.test.yaml"], directory: dir.path)
    #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
    #expect(run.stdout.contains("SUCCESS"), "\(run.stdout)")
  }

  /// Every alert has a case where it fires and one where it stays silent.
  @Test func everyAlertIsProvenToFireAndToStaySilent() throws {
    let dir = try TempDirectory()
    let (_, groups) = try Self.extractRules(into: dir)
    let text = try String(
      contentsOf: Manifests.root.appendingPathComponent("k8s/monitoring/alerts.test.yaml"), encoding: .utf8)
    let suite = try #require(try Yams.load(yaml: text) as? [String: Any])
    var fires: Set<String> = []
    var silent: Set<String> = []
    for test in (suite["tests"] as? [[String: Any]]) ?? [] {
      for check in (test["alert_rule_test"] as? [[String: Any]]) ?? [] {
        guard let name = check["alertname"] as? String else { continue }
        let expected = (check["exp_alerts"] as? [Any]) ?? []
        if expected.isEmpty { silent.insert(name) } else { fires.insert(name) }
      }
    }
    let names = Self.alerts(groups).compactMap { $0["alert"] as? String }
    #expect(names.count == 12)
    for name in names {
      #expect(fires.contains(name), "no test where \(name) fires")
      #expect(silent.contains(name), "no test where \(name) stays silent")
    }
  }

  /// Each alert's runbook_url points at its own section of docs/runbooks.md, which has one
  /// section per alert and no other.
  @Test func everyAlertLinksToItsRunbook() throws {
    let dir = try TempDirectory()
    let (_, groups) = try Self.extractRules(into: dir)
    let runbooks = try String(contentsOf: Manifests.root.appendingPathComponent("docs/runbooks.md"), encoding: .utf8)
    let sections = Set(
      runbooks.split(separator: "\n").filter { $0.hasPrefix("## ") }.map { String($0.dropFirst(3)) })
    var named: Set<String> = []
    for alert in Self.alerts(groups) {
      let name = try #require(alert["alert"] as? String)
      named.insert(name)
      let annotations = try #require(alert["annotations"] as? [String: String], "\(name) has no annotations")
      #expect(annotations["summary"] != nil && annotations["description"] != nil, "\(name)")
      let url = try #require(annotations["runbook_url"], "\(name) has no runbook_url")
      #expect(url.hasSuffix("/docs/runbooks.md#\(name.lowercased())"), "\(name): \(url)")
      #expect(sections.contains(name), "docs/runbooks.md has no section ## \(name)")
      let labels = try #require(alert["labels"] as? [String: String])
      #expect(["critical", "warning"].contains(labels["severity"] ?? ""), "\(name) severity")
    }
    #expect(sections == named, "runbooks without an alert: \(sections.subtracting(named))")
  }

  /// The burn-rate alerts take the objective from one recorded series, and nowhere else.
  @Test func theSLOObjectiveIsOneParameter() throws {
    let dir = try TempDirectory()
    let (_, groups) = try Self.extractRules(into: dir)
    let rules = groups.flatMap { ($0["rules"] as? [[String: Any]]) ?? [] }
    let objective = rules.filter { $0["record"] as? String == "sluice:log_slo:objective" }
    #expect(objective.count == 1)
    #expect(objective.first?["expr"] as? String == "vector(0.999)")
    for alert in Self.alerts(groups) where (alert["alert"] as? String ?? "").contains("Burn") {
      let expr = try #require(alert["expr"] as? String)
      #expect(expr.contains("scalar(sluice:log_slo:objective)"))
      #expect(!expr.contains("0.999") && !expr.contains("0.001"), "\(expr)")
    }
  }
}
