import ArgumentParser

@main
struct SluiceCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "sluice",
    abstract: "A log pipeline: a node agent, a JSON log grep, and a logging library.",
    version: SluiceVersionInfo.string,
    subcommands: [AgentCommand.self, GrepCommand.self, ValidateCommand.self, VersionCommand.self])
}
