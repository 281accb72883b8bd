import Foundation
import SluiceCore
import Synchronization

/// The built `sluice` binary run as a child process, the way an operator runs it.
final class AgentProcess: Sendable {
  let process: Process
  private let shared = Shared()

  private final class Shared: Sendable {
    let stderrLines = Mutex<[String]>([])
    let listening = Mutex<(port: Int?, waiters: [CheckedContinuation<Int?, Never>])>((nil, []))
    let exited = Mutex<(status: Int32?, waiters: [CheckedContinuation<Int32, Never>])>((nil, []))
    let partial = Mutex<[UInt8]>([])
  }

  /// Where the `sluice` executable is: `$SLUICE_BIN`, or next to the test bundle.
  static var binary: URL {
    if let p = ProcessInfo.processInfo.environment["SLUICE_BIN"] { return URL(fileURLWithPath: p) }
    var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    // swift test runs <build>/debug/SluicePackageTests.xctest; the binary sits beside it.
    if dir.lastPathComponent.hasSuffix(".xctest") { dir = dir.deletingLastPathComponent() }
    return dir.appendingPathComponent("sluice")
  }

  /// Runs `sluice` with `arguments` to completion; returns exit status, stdout and stderr.
  static func run(_ arguments: [String]) throws -> (Int32, String, String) {
    try run(tool: binary, arguments)
  }

  /// Runs any executable to completion; returns exit status, stdout and stderr.
  static func run(tool: URL, _ arguments: [String]) throws -> (Int32, String, String) {
    let p = Process()
    p.executableURL = tool
    p.arguments = arguments
    let out = Pipe()
    let err = Pipe()
    p.standardOutput = out
    p.standardError = err
    try p.run()
    let o = out.fileHandleForReading.readDataToEndOfFile()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
  }

  /// Starts `sluice agent --config <config>` and any `extraArguments` (as user `nobody`
  /// through `setpriv` if asked; the caller must be root), with `environment` added to the
  /// test's own.
  init(
    config: URL, asNobody: Bool = false, extraArguments: [String] = [], environment: [String: String] = [:]
  ) throws {
    process = Process()
    if !environment.isEmpty {
      process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    }
    if asNobody {
      process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
      process.arguments = [
        "--reuid=65534", "--regid=65534", "--clear-groups", Self.binary.path, "agent", "--config", config.path,
      ] + extraArguments
    } else {
      process.executableURL = Self.binary
      process.arguments = ["agent", "--config", config.path] + extraArguments
    }
    let err = Pipe()
    process.standardError = err
    process.standardOutput = FileHandle.nullDevice
    err.fileHandleForReading.readabilityHandler = { [shared] handle in
      let data = handle.availableData
      if data.isEmpty {
        handle.readabilityHandler = nil
        return
      }
      let lines = shared.partial.withLock { buf -> [String] in
        buf.append(contentsOf: data)
        var out: [String] = []
        while let nl = buf.firstIndex(of: 0x0A) {
          out.append(String(decoding: buf[..<nl], as: UTF8.self))
          buf.removeSubrange(...nl)
        }
        return out
      }
      for line in lines {
        shared.stderrLines.withLock { $0.append(line) }
        if line.contains("admin endpoint listening"),
          let v = try? JSONValue.parse(line), case .string(let address)? = v["address"],
          let port = Int(address.split(separator: ":").last ?? "")
        {
          let waiters = shared.listening.withLock { s -> [CheckedContinuation<Int?, Never>] in
            s.port = port
            defer { s.waiters.removeAll() }
            return s.waiters
          }
          for w in waiters { w.resume(returning: port) }
        }
      }
    }
    process.terminationHandler = { [shared] p in
      let waiters = shared.exited.withLock { s -> [CheckedContinuation<Int32, Never>] in
        s.status = p.terminationStatus
        defer { s.waiters.removeAll() }
        return s.waiters
      }
      for w in waiters { w.resume(returning: p.terminationStatus) }
      let l = shared.listening.withLock { s -> [CheckedContinuation<Int?, Never>] in
        defer { s.waiters.removeAll() }
        return s.waiters
      }
      for w in l { w.resume(returning: nil) }
    }
    try process.run()
  }

  /// The admin port, once the agent has logged it (nil if the agent exited first).
  func adminPort() async -> Int? {
    await withCheckedContinuation { c in
      let now = shared.listening.withLock { s -> Int?? in
        if let p = s.port { return .some(p) }
        if !process.isRunning { return .some(nil) }
        s.waiters.append(c)
        return nil
      }
      if let now { c.resume(returning: now) }
    }
  }

  /// Sends SIGTERM and waits for the exit status.
  func terminate() async -> Int32 {
    kill(process.processIdentifier, SIGTERM)
    return await waitForExit()
  }

  /// Sends SIGKILL and waits.
  func kill9() async -> Int32 {
    kill(process.processIdentifier, SIGKILL)
    return await waitForExit()
  }

  func waitForExit() async -> Int32 {
    await withCheckedContinuation { c in
      let now = shared.exited.withLock { s -> Int32? in
        if let st = s.status { return st }
        s.waiters.append(c)
        return nil
      }
      if let now { c.resume(returning: now) }
    }
  }

  /// Everything the agent wrote to stderr so far, one log line each.
  var logLines: [String] { shared.stderrLines.withLock { $0 } }

  var pid: Int32 { process.processIdentifier }

  deinit {
    if process.isRunning { kill(process.processIdentifier, SIGKILL) }
  }
}
