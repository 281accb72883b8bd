import Foundation

/// Where a secret (a sink's token or password, the redaction hash key) is kept: a file, such
/// as a mounted Kubernetes Secret, or an environment variable — never the configuration
/// itself. Errors name the file or variable, never the value.
enum SecretSource: Equatable {
  case file(String)
  case environment(String)

  struct Unavailable: Error, CustomStringConvertible {
    var description: String
  }

  /// The one of `file` and `env` that is set; `fileKey` and `envKey` name them in the error.
  static func choose(file: String?, env: String?, fileKey: String, envKey: String) throws -> SecretSource {
    switch (file, env) {
    case (let f?, nil): return .file(f)
    case (nil, let e?): return .environment(e)
    default: throw Unavailable(description: "set exactly one of \(fileKey) or \(envKey)")
    }
  }

  /// The secret's bytes, without trailing newlines; throws if unreadable, empty or unset.
  func read(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> [UInt8] {
    switch self {
    case .file(let path):
      guard let data = FileManager.default.contents(atPath: path) else {
        throw Unavailable(description: "cannot read the secret file \(path)")
      }
      var bytes = Array(data)
      while let last = bytes.last, last == 0x0A || last == 0x0D { bytes.removeLast() }
      guard !bytes.isEmpty else { throw Unavailable(description: "the secret file \(path) is empty") }
      return bytes
    case .environment(let name):
      guard let value = environment[name], !value.isEmpty else {
        throw Unavailable(description: "the environment variable \(name) is not set")
      }
      return Array(value.utf8)
    }
  }

  /// What changes when a file is replaced or rewritten: modification time (ns), size, inode.
  struct Stamp: Equatable {
    var modified: Int
    var size: Int
    var inode: UInt64
  }

  /// The file's stamp (nil for an environment variable, or a file that is not there).
  var stamp: Stamp? {
    guard case .file(let path) = self else { return nil }
    var st = stat()
    guard stat(path, &st) == 0 else { return nil }
    return Stamp(
      modified: Int(st.st_mtim.tv_sec) * 1_000_000_000 + Int(st.st_mtim.tv_nsec), size: Int(st.st_size),
      inode: UInt64(st.st_ino))
  }
}
