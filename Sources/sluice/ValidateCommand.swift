import ArgumentParser
import Foundation
import SluiceAgent

#if canImport(Glibc)
  import Glibc
#endif

struct ValidateCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "validate",
    abstract: "Check an agent configuration and list every problem in it.",
    discussion: """
      Prints "OK" and a one-line summary of the pipeline when the configuration is valid.
      Otherwise prints every problem, in file order, as FILE:LINE:COLUMN: KEY.PATH: MESSAGE
      (or, with --format json, a JSON object with an "errors" array for CI tooling).
      Exit status: 0 valid, 1 invalid, 2 usage error (a missing option, an unknown flag).
      """)

  @OptionGroup var source: ConfigOptions

  @Option(help: "How to print the result: text or json.")
  var format: OutputFormat = .text

  @Flag(help: "Also print the effective configuration (defaults filled in, secrets masked) when it is valid.")
  var print = false

  enum OutputFormat: String, ExpressibleByArgument { case text, json }

  func run() throws {
    let result = source.read()
    let config = source.label
    switch format {
    case .text:
      if let c = result.config {
        Swift.print("OK: \(config)")
        Swift.print(ConfigSummary.line(c))
        if print { Swift.print(ConfigPrinter.yaml(c), terminator: "") }
      } else {
        for e in result.errors { printError(e.description, prefix: false) }
        printError("\(config): \(result.errors.count) problem\(result.errors.count == 1 ? "" : "s")", prefix: false)
      }
    case .json:
      Swift.print(ConfigSummary.json(result, file: config, printed: print))
    }
    if result.config == nil { throw ExitCode(1) }
  }
}

func printError(_ message: String, prefix: Bool = true) {
  var stderr = StandardError()
  print(prefix ? "sluice: \(message)" : message, to: &stderr)
}

struct StandardError: TextOutputStream {
  mutating func write(_ string: String) {
    var s = string
    s.withUTF8 { buf in _ = Glibc.write(2, buf.baseAddress, buf.count) }
  }
}
