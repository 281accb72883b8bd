import ArgumentParser
import Logging
import ServiceLifecycle
import SluiceAgent
import SluiceLog

struct AgentCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "agent", abstract: "Run the node agent: tail, parse, redact, count and ship logs.")

  @Option(name: .shortAndLong, help: "The YAML configuration file.")
  var config: String

  @Option(help: "The agent's own log level (trace, debug, info, notice, warning, error, critical).")
  var logLevel: String = "info"

  func run() async throws {
    let agentConfig: AgentConfig
    do {
      agentConfig = try ConfigLoader.load(path: config)
    } catch {
      printError("\(config): \(error)")
      throw ExitCode(2)
    }
    let level = Logger.Level(rawValue: logLevel) ?? .info
    LoggingSystem.bootstrap { label in
      var h = SluiceLogHandler(label: label, service: "sluice-agent", output: .stderr)
      h.logLevel = level
      return h
    }
    let logger = Logger(label: "sluice.agent")
    let metrics = AgentMetrics()
    let health = AgentHealth(watchdog: Watchdog(stallAfter: agentConfig.admin.stallAfter.duration))
    let agent = Agent(config: agentConfig, metrics: metrics, health: health, logger: logger)
    var services: [any Service] = []
    if agentConfig.admin.enabled {
      services.append(
        try AdminServer.make(config: agentConfig.admin, metrics: metrics, health: health, logger: logger))
    }
    services.append(agent)
    // Services stop in reverse order: the agent flushes first, the admin endpoint last.
    let group = ServiceGroup(
      configuration: .init(
        services: services.map { .init(service: $0) },
        gracefulShutdownSignals: [.sigterm, .sigint],
        logger: logger))
    do {
      try await group.run()
    } catch {
      logger.critical("agent failed", metadata: ["error": "\(error)"])
      throw ExitCode(1)
    }
  }
}
