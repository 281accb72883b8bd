import Foundation
import Testing
import Yams

@testable import SluiceAgent

/// Interpolation, fragments, the effective configuration, and every example file.
@Suite("Config reading")
struct ConfigReadingTests {
  static let base = """
    sources:
      - {name: app, type: file, include: ["/var/log/app/*.log"]}
    sinks:
      - {name: out, type: console}

    """

  static func read(_ yaml: String, _ env: [String: String] = [:]) -> ConfigReadResult {
    ConfigLoader.read(yaml: yaml, environment: env)
  }

  // MARK: Interpolation

  @Test func setVariablesAreSubstitutedInsideValues() throws {
    let r = Self.read(
      Self.base + "data_dir: ${DIR}/sluice\nadmin: {address: \"${HOST}:${PORT}\"}\n",
      ["DIR": "/tmp", "HOST": "127.0.0.1", "PORT": "9999"])
    let c = try #require(r.config, "\(r.errors)")
    #expect(c.dataDir == "/tmp/sluice")
    #expect(c.admin.address == "127.0.0.1:9999")
  }

  @Test func typedValuesAreReadAfterSubstitution() throws {
    let yaml = """
      sources:
        - name: app
          type: file
          include: [x]
          inotify: ${INOTIFY}
      sinks:
        # In flow style a reference is quoted (braces end a plain value there); it is still
        # read as a number.
        - {name: out, type: http, url: "http://127.0.0.1:1", concurrency: "${WORKERS}", batch: {max_age: "${AGE}"}}
      """
    let c = try #require(Self.read(yaml, ["INOTIFY": "false", "WORKERS": "4", "AGE": "250ms"]).config)
    #expect(c.sinks[0].concurrency == 4)
    #expect(c.sinks[0].batch.maxAge == .milliseconds(250))
    #expect(c.sources[0].settings(as: FileSourceConfig.self)?.inotify == false)
    let bad = Self.read(yaml, ["INOTIFY": "false", "WORKERS": "four", "AGE": "1s"])
    #expect(bad.errors.map(\.pathAndMessage) == ["sinks[0].concurrency: expected an integer, found 'four'"])
  }

  @Test func defaultsApplyWhenUnsetOrEmpty() throws {
    let yaml = Self.base + "data_dir: ${DIR:-/var/lib/sluice}\n"
    #expect(Self.read(yaml).config?.dataDir == "/var/lib/sluice")
    #expect(Self.read(yaml, ["DIR": ""]).config?.dataDir == "/var/lib/sluice")
    #expect(Self.read(yaml, ["DIR": "/srv"]).config?.dataDir == "/srv")
    // An empty default is a default.
    #expect(Self.read(Self.base + "data_dir: ./d${SUFFIX:-}\n").config?.dataDir == "./d")
  }

  @Test func anUnsetVariableWithoutDefaultIsAnErrorThatNamesIt() {
    let r = Self.read(Self.base + "data_dir: ${SLUICE_NOT_SET_ANYWHERE}\n")
    #expect(r.config == nil)
    #expect(
      r.errors.map(\.description) == [
        "5:11: data_dir: environment variable SLUICE_NOT_SET_ANYWHERE is not set (write ${SLUICE_NOT_SET_ANYWHERE:-default} to give a default)"
      ])
  }

  @Test func dollarDollarBraceIsALiteral() throws {
    let c = try #require(Self.read(Self.base + "data_dir: \"./a$${HOME}b$$c\"\n", ["HOME": "/root"]).config)
    #expect(c.dataDir == "./a${HOME}b$$c")
  }

  @Test func aValueCannotChangeTheDocumentsStructure() throws {
    // A variable holding YAML stays one string value.
    let c = try #require(
      Self.read(Self.base + "data_dir: ${EVIL}\n", ["EVIL": "x\nsinks: []\nadmin: {enabled: false}"]).config)
    #expect(c.dataDir == "x\nsinks: []\nadmin: {enabled: false}")
    #expect(c.sinks.count == 1 && c.admin.enabled)
  }

  @Test func expansionRules() throws {
    let env = ["A": "1", "B": "two"]
    #expect(try Interpolation.expand("${A}-${B}-${C:-3}", environment: env) == "1-two-3")
    #expect(try Interpolation.expand("no refs $ here", environment: env) == "no refs $ here")
    #expect(try Interpolation.expand("${A:-x:-y}", environment: env) == "1")
    #expect(try Interpolation.expand("${C:-x:-y}", environment: env) == "x:-y")
    #expect(throws: Interpolation.Failure.self) { try Interpolation.expand("${A", environment: env) }
    #expect(throws: Interpolation.Failure.self) { try Interpolation.expand("${A B}", environment: env) }
    #expect(throws: Interpolation.Failure.self) { try Interpolation.expand("${}", environment: env) }
  }

  // MARK: Suggestions

  @Test func suggestionsAreCloseNamesOnly() {
    let keys = ["include", "exclude", "read_from", "poll_interval", "max_line_bytes"]
    #expect(KeySuggestion.closest(to: "includ", in: keys) == "include")
    #expect(KeySuggestion.closest(to: "raed_from", in: keys) == "read_from")
    #expect(KeySuggestion.closest(to: "poll-interval", in: keys) == "poll_interval")
    #expect(KeySuggestion.closest(to: "Exclude", in: keys) == "exclude")
    #expect(KeySuggestion.closest(to: "colour", in: keys) == nil)
    #expect(KeySuggestion.closest(to: "x", in: keys) == nil)
  }

  // MARK: YAML syntax

  @Test func syntaxErrorsShowTheLineAndACaret() {
    let r = Self.read("sources:\n  - {name: a, type: file, include: [x]\nsinks: []\n")
    #expect(r.errors.count == 1)
    let e = r.errors[0]
    #expect(e.message.hasPrefix("YAML syntax error: "), "\(e)")
    #expect(e.line != nil && e.column != nil)
    let excerpt = e.excerpt ?? ""
    let lines = excerpt.split(separator: "\n", omittingEmptySubsequences: false)
    #expect(lines.count == 2, "\(excerpt)")
    // The caret sits under the reported column of the quoted line.
    if lines.count == 2, let column = e.column {
      let prefix = "  \(e.line!) | "
      #expect(lines[0].hasPrefix(prefix))
      #expect(
        lines[1].firstIndex(of: "^").map { lines[1].distance(from: lines[1].startIndex, to: $0) } == prefix.count
          + column - 1)
    }
  }

  @Test func aTabIndentIsExplainedInOneSentence() {
    let r = Self.read("sources:\n\t- {name: a, type: file, include: [x]}\n")
    #expect(r.errors.count == 1)
    #expect(r.errors.first?.line == 2, "\(r.errors)")
    #expect(r.errors.first?.message.contains("\n") == false)
  }

  // MARK: Fragments

  @Test func fragmentsMergeByNameAndReportTheirOwnPositions() throws {
    let dir = try TempDirectory()
    try
      "sources:\n  - {name: app, type: file, include: [/a/*.log], exclude: [x]}\nsinks:\n  - {name: out, type: console}\n"
      .write(to: dir.file("10-base.yaml"), atomically: true, encoding: .utf8)
    try """
    sources:
      - {name: app, read_from: beginning, exclude: [y, z]}
      - {name: sys, type: journald}
    pipeline:
      - {type: parse}
    sinks:
      - {name: out, format: ndjson}
    admin: {address: "127.0.0.1:0"}

    """.write(to: dir.file("20-more.yaml"), atomically: true, encoding: .utf8)
    try "pipeline:\n  - {type: redact}\n".write(to: dir.file("30-redact.yml"), atomically: true, encoding: .utf8)
    try "not: yaml: at all".write(to: dir.file("README.txt"), atomically: true, encoding: .utf8)
    let files = try ConfigLoader.fragments(in: dir.path)
    #expect(files.map { ($0 as NSString).lastPathComponent } == ["10-base.yaml", "20-more.yaml", "30-redact.yml"])
    let r = ConfigLoader.read(files: files, environment: [:])
    let c = try #require(r.config, "\(r.errors)")
    #expect(c.sources.map(\.name) == ["app", "sys"])
    let app = try #require(c.sources[0].settings(as: FileSourceConfig.self))
    #expect(app.include == ["/a/*.log"])  // kept from the first file
    #expect(app.readFrom == .beginning)  // added by the second
    #expect(app.exclude == ["y", "z"])  // a plain list is replaced
    #expect(c.pipeline.map(\.type) == ["parse", "redact"])  // unnamed steps are appended
    #expect(c.sinks.count == 1 && c.sinks[0].format == .ndjson)
    #expect(c.admin.address == "127.0.0.1:0")

    // A mistake in a later fragment is reported in that file, at its own line.
    try "sinks:\n  - name: out\n    batch: {max_events: 0}\n".write(
      to: dir.file("40-bad.yaml"), atomically: true, encoding: .utf8)
    let bad = ConfigLoader.read(files: try ConfigLoader.fragments(in: dir.path), environment: [:])
    #expect(
      bad.errors.map(\.description) == [
        "\(dir.file("40-bad.yaml").path):3:25: sinks[0].batch.max_events: must be at least 1"
      ])
  }

  // MARK: The effective configuration

  @Test func printedConfigurationMasksSecretsAndReadsBackTheSame() throws {
    let yaml = Self.base.replacingOccurrences(
      of: "{name: out, type: console}",
      with:
        "{name: out, type: http, url: \"https://127.0.0.1:1\", headers: {Authorization: \"Bearer ${TOKEN}\", X-Scope-OrgID: tenant-a, X-Api-Key: k}}"
    )
    let c = try #require(Self.read(yaml, ["TOKEN": "s3cr3t-value"]).config)
    let printed = ConfigPrinter.yaml(c)
    #expect(!printed.contains("s3cr3t-value"))
    #expect(!printed.contains(": k\n"))
    #expect(
      printed.contains("Authorization: '\(ConfigPrinter.mask)'")
        || printed.contains("Authorization: \(ConfigPrinter.mask)"), "\(printed)")
    #expect(printed.contains("X-Scope-OrgID: tenant-a"))
    #expect(printed.contains("compression_level: 6"))  // defaults are filled in
    // Apart from the masked values it is the same configuration.
    let again = try #require(Self.read(printed).config)
    var expected = c
    expected.sinks[0].headers["Authorization"] = ConfigPrinter.mask
    expected.sinks[0].headers["X-Api-Key"] = ConfigPrinter.mask
    #expect(again == expected)
  }

  static let examples: [String] = {
    let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("config")
    return ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []).filter { $0.hasSuffix(".yaml") }
      .sorted()
      .map { dir.appendingPathComponent($0).path }
  }()

  @Test func thereAreExamplesForEverySinkEncodingAndSource() {
    let names = Self.examples.map { ($0 as NSString).lastPathComponent }
    for needed in ["demo.yaml", "agent.yaml", "loki.yaml", "elasticsearch.yaml", "otlp.yaml"] {
      #expect(names.contains(needed), "\(names)")
    }
  }

  @Test(arguments: examples)
  func everyExampleConfigIsValidAndPrintsBackTheSame(_ path: String) throws {
    // Secrets read from the environment are checked to be there (elasticsearch.yaml).
    setenv("ES_PASSWORD", "example-only", 0)
    let r = ConfigLoader.read(files: [path], environment: [:])
    let c = try #require(r.config, "\(path): \(r.errors.map(\.description))")
    let again = ConfigLoader.read(yaml: ConfigPrinter.yaml(c), environment: [:])
    #expect(again.config == c, "\(again.errors)")
  }
}
