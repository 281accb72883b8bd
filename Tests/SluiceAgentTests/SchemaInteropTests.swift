import Foundation
import Logging
import SluiceCore
import SluiceLog
import Testing

/// What SluiceLog writes in each schema preset is understood by `sluice grep` (and, through
/// the same `Event.level`, by the agent's metrics step).
struct SchemaInteropTests {
  @Test(arguments: LogSchema.allCases)
  func grepReadsEverySchemaSluiceLogWrites(_ schema: LogSchema) throws {
    let dir = try TempDirectory()
    let path = dir.file("app.log").path
    let output = try LogOutput.file(path)
    let logger = Logger(label: "interop") {
      SluiceLogHandler(
        label: $0, configuration: .init(service: "checkout", schema: schema, output: output), metadataProvider: nil)
    }
    logger.info("fine")
    logger.warning("careful")
    logger.error("failed", metadata: ["status": .stringConvertible(502)])
    logger.critical("down")
    output.flush()

    let (status, out, err) = try AgentProcess.run(["grep", "level>=error", path])
    #expect(status == 0, "\(err)")
    let lines = out.split(separator: "\n").map(String.init)
    #expect(lines.count == 2, "\(schema): \(out)")
    // The agent's level reading, on the same lines.
    let levels = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map {
      Event(String($0)).level
    }
    #expect(levels == [.info, .warning, .error, .critical], "\(schema)")
  }
}
