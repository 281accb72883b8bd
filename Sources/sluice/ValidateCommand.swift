import ArgumentParser
import SluiceAgent

#if canImport(Glibc)
  import Glibc
#endif

struct ValidateCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "validate", abstract: "Check an agent configuration file and exit non-zero if it is invalid.")

  @Option(name: .shortAndLong, help: "The YAML configuration file.")
  var config: String

  func run() throws {
    do {
      let c = try ConfigLoader.load(path: config)
      print("\(config): valid (\(c.sources.count) source(s), \(c.pipeline.count) step(s), \(c.sinks.count) sink(s))")
    } catch {
      printError("\(config): \(error)")
      throw ExitCode(2)
    }
  }
}

func printError(_ message: String) {
  var stderr = StandardError()
  print("sluice: \(message)", to: &stderr)
}

struct StandardError: TextOutputStream {
  mutating func write(_ string: String) {
    var s = string
    s.withUTF8 { buf in _ = Glibc.write(2, buf.baseAddress, buf.count) }
  }
}
