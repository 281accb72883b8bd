import ArgumentParser
import SluiceAgent

enum SluiceVersionInfo {
  static var string: String { SluiceVersion.string }
}

struct VersionCommand: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "version", abstract: "Print the version.")

  func run() {
    print("sluice \(SluiceVersion.string)")
  }
}
