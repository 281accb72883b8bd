import Foundation
import Synchronization

/// The `Authorization` header value of an HTTP sink, from a secret kept in a file or an
/// environment variable.
///
/// A file is checked before every request (one `stat`) and read again when its modification
/// time, size or inode changed, so a rotated Kubernetes projected token is picked up without a
/// restart. If the file cannot be read any more, the last value read is kept (and the failure
/// logged once by the caller's retries, not here): a sink that was working keeps working while
/// the file is being replaced. The secret is never part of an error or log message.
final class Credentials: Sendable {
  enum Source: Equatable {
    case file(String)
    case environment(String)
  }

  struct ConfigurationError: Error, CustomStringConvertible {
    var description: String
  }

  private let kind: AuthConfig.Kind
  private let username: String
  private let source: Source
  private struct Cached {
    var stamp: (Int, Int, UInt64)?  // mtime (ns), size, inode
    var header: String
  }
  private let cache: Mutex<Cached>

  /// Validates `config` and reads the secret once; throws a message naming the key at fault.
  init(_ config: AuthConfig, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
    kind = config.type
    let file: String?
    let env: String?
    switch config.type {
    case .bearer:
      guard config.username == nil, config.passwordFile == nil, config.passwordEnv == nil else {
        throw ConfigurationError(description: "bearer auth takes token_file or token_env only")
      }
      (file, env) = (config.tokenFile, config.tokenEnv)
      username = ""
    case .basic:
      guard config.tokenFile == nil, config.tokenEnv == nil else {
        throw ConfigurationError(description: "basic auth takes username and password_file or password_env")
      }
      guard let user = config.username, !user.isEmpty, !user.contains(":") else {
        throw ConfigurationError(description: "basic auth needs a username without ':'")
      }
      (file, env) = (config.passwordFile, config.passwordEnv)
      username = user
    }
    switch (file, env) {
    case (let f?, nil): source = .file(f)
    case (nil, let e?): source = .environment(e)
    default:
      throw ConfigurationError(
        description: config.type == .bearer
          ? "set exactly one of token_file and token_env" : "set exactly one of password_file and password_env")
    }
    cache = Mutex(Cached(stamp: nil, header: ""))
    switch source {
    case .environment(let name):
      guard let value = environment[name], !value.isEmpty else {
        throw ConfigurationError(description: "the environment variable \(name) is not set")
      }
      cache.withLock { $0.header = Self.header(kind, username, value) }
    case .file(let path):
      guard let (stamp, value) = Self.read(path) else {
        throw ConfigurationError(description: "cannot read the secret file \(path)")
      }
      cache.withLock { $0 = Cached(stamp: stamp, header: Self.header(kind, username, value)) }
    }
  }

  /// The header value for the next request (the file re-read if it changed).
  var authorization: String {
    guard case .file(let path) = source else { return cache.withLock { $0.header } }
    let current = Self.stamp(path)
    let cached = cache.withLock { $0 }
    if let current, let old = cached.stamp, current == old { return cached.header }
    guard let (stamp, value) = Self.read(path) else { return cached.header }
    let header = Self.header(kind, username, value)
    cache.withLock { $0 = Cached(stamp: stamp, header: header) }
    return header
  }

  private static func header(_ kind: AuthConfig.Kind, _ user: String, _ secret: String) -> String {
    switch kind {
    case .bearer: return "Bearer " + secret
    case .basic: return "Basic " + Data((user + ":" + secret).utf8).base64EncodedString()
    }
  }

  private static func stamp(_ path: String) -> (Int, Int, UInt64)? {
    var st = stat()
    guard stat(path, &st) == 0 else { return nil }
    return (Int(st.st_mtim.tv_sec) * 1_000_000_000 + Int(st.st_mtim.tv_nsec), Int(st.st_size), UInt64(st.st_ino))
  }

  /// The file's stamp and its content without trailing newlines; nil if unreadable or empty.
  private static func read(_ path: String) -> ((Int, Int, UInt64), String)? {
    guard let stamp = stamp(path), let data = FileManager.default.contents(atPath: path) else { return nil }
    var value = String(decoding: data, as: UTF8.self)
    while value.hasSuffix("\n") || value.hasSuffix("\r") { value.removeLast() }
    return value.isEmpty ? nil : (stamp, value)
  }
}
