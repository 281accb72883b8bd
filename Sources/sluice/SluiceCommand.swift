import ArgumentParser
import SluiceCore

#if canImport(Glibc)
  import Glibc
#endif

@main
struct SluiceCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "sluice",
    abstract: "A log pipeline: a node agent, a JSON log grep, and a logging library.",
    version: SluiceVersionInfo.string,
    subcommands: [AgentCommand.self, GrepCommand.self, ValidateCommand.self, VersionCommand.self])

  /// Runs the chosen command. A usage error (unknown flag, missing option) exits with 2, as
  /// grep and most Unix tools do, rather than ArgumentParser's 64; every other outcome is
  /// ArgumentParser's (help and version 0, a command's own `ExitCode`).
  static func main() async {
    SignalMask.unblockAll()
    do {
      var command = try parseAsRoot()
      if var command = command as? any AsyncParsableCommand {
        try await command.run()
      } else {
        try command.run()
      }
    } catch {
      if exitCode(for: error) == .validationFailure {
        printError(fullMessage(for: error), prefix: false)
        Glibc.exit(2)
      }
      exit(withError: error)
    }
  }
}
