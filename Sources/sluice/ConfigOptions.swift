import ArgumentParser
import SluiceAgent

/// Where the agent's configuration comes from: a file, a directory of fragments, or both
/// (the file first, then the fragments in name order; see docs/configuration.md).
struct ConfigOptions: ParsableArguments {
  @Option(name: .shortAndLong, help: "The YAML configuration file.")
  var config: String?

  @Option(
    name: .customLong("config-dir"),
    help:
      "A directory of *.yaml fragments merged in name order after --config (lists of named components merge by name).")
  var configDir: String?

  func validate() throws {
    if config == nil && configDir == nil {
      throw ValidationError("Missing expected option '--config' or '--config-dir'")
    }
  }

  /// What the messages call the configuration.
  var label: String { [config, configDir].compactMap { $0 }.joined(separator: " + ") }

  /// Reads and checks the configuration, reporting every problem.
  func read() -> ConfigReadResult {
    var files: [String] = config.map { [$0] } ?? []
    if let configDir {
      do {
        files += try ConfigLoader.fragments(in: configDir)
      } catch {
        return ConfigReadResult(config: nil, errors: [error])
      }
      if files.isEmpty {
        return ConfigReadResult(
          config: nil, errors: [ConfigError(path: "", message: "no *.yaml files in \(configDir)", file: configDir)])
      }
    }
    return ConfigLoader.read(files: files)
  }
}
