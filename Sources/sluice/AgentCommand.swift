import ArgumentParser
import Logging
import ServiceLifecycle
import SluiceAgent
import SluiceCore
import SluiceLog

struct AgentCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "agent", abstract: "Run the node agent: tail, parse, redact, count and ship logs.")

  @OptionGroup var source: ConfigOptions

  @Flag(help: "Print the effective configuration (defaults filled in, secrets masked) and exit.")
  var printConfig = false

  @Option(help: "The agent's own log level (trace, debug, info, notice, warning, error, critical).")
  var logLevel: String = "info"

  func run() async throws {
    let memorySettings = MemoryTuning.apply()
    let result = source.read()
    guard let agentConfig = result.config else {
      for e in result.errors { printError(e.description, prefix: false) }
      printError("\(source.label): invalid configuration, not starting", prefix: false)
      throw ExitCode(1)
    }
    if printConfig {
      print(ConfigPrinter.yaml(agentConfig), terminator: "")
      return
    }
    let level = Logger.Level(rawValue: logLevel) ?? .info
    LoggingSystem.bootstrap { label in
      var h = SluiceLogHandler(label: label, service: "sluice-agent", output: .stderr)
      h.logLevel = level
      return h
    }
    let logger = Logger(label: "sluice.agent")
    if !memorySettings.isEmpty {
      logger.debug("memory tuned", metadata: ["settings": "\(memorySettings.joined(separator: ","))"])
    }
    let metrics = AgentMetrics()
    let health = AgentHealth(watchdog: Watchdog(stallAfter: agentConfig.admin.stallAfter.duration))
    // Start-up's code (arguments, YAML, building the pipeline) does not run again: once the
    // pipeline is built, drop the pages it mapped in (docs/performance.md, "Code layout").
    let agent = Agent(config: agentConfig, metrics: metrics, health: health, logger: logger) {
      let advised = MemoryTuning.releaseStartupCode()
      if advised > 0 { logger.debug("start-up code pages dropped", metadata: ["advised_bytes": "\(advised)"]) }
    }
    let source = self.source
    let reloader = ConfigReloader(running: agentConfig, metrics: metrics, logger: logger, load: { source.read() })
    reloader.onApply { agent.apply($0) }
    var services: [any Service] = [ReloadOnSignal(reloader: reloader)]
    if agentConfig.admin.enabled {
      services.append(
        try AdminServer.make(
          config: agentConfig.admin, metrics: metrics, health: health, logger: logger, reloader: reloader))
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
