import Foundation
import Synchronization

/// The `Authorization` header value of an HTTP sink, from a secret kept in a file or an
/// environment variable (``SecretSource``).
///
/// A file is checked before every request (one `stat`) and read again when its modification
/// time, size or inode changed, so a rotated Kubernetes projected token is picked up without a
/// restart. If the file cannot be read any more, the last value read is kept: a sink that was
/// working keeps working while the file is being replaced. The secret is never part of an
/// error or log message.
final class Credentials: Sendable {
  struct ConfigurationError: Error, CustomStringConvertible {
    var description: String
  }

  private let kind: AuthConfig.Kind
  private let username: String
  private let source: SecretSource
  private struct Cached {
    var stamp: SecretSource.Stamp?
    var header: String
  }
  private let cache: Mutex<Cached>

  /// Validates `config` and reads the secret once; throws a message naming the key at fault.
  init(_ config: AuthConfig, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
    kind = config.type
    switch config.type {
    case .bearer:
      guard config.username == nil, config.passwordFile == nil, config.passwordEnv == nil else {
        throw ConfigurationError(description: "bearer auth takes token_file or token_env only")
      }
      source = try SecretSource.choose(
        file: config.tokenFile, env: config.tokenEnv, fileKey: "token_file", envKey: "token_env")
      username = ""
    case .basic:
      guard config.tokenFile == nil, config.tokenEnv == nil else {
        throw ConfigurationError(description: "basic auth takes username and password_file or password_env")
      }
      guard let user = config.username, !user.isEmpty, !user.contains(":") else {
        throw ConfigurationError(description: "basic auth needs a username without ':'")
      }
      source = try SecretSource.choose(
        file: config.passwordFile, env: config.passwordEnv, fileKey: "password_file", envKey: "password_env")
      username = user
    }
    let stamp = source.stamp
    let header = Self.header(kind, username, try source.read(environment: environment))
    cache = Mutex(Cached(stamp: stamp, header: header))
  }

  /// The header value for the next request (the file read again if it changed).
  var authorization: String {
    let cached = cache.withLock { $0 }
    guard case .file = source else { return cached.header }
    let stamp = source.stamp
    if let stamp, stamp == cached.stamp { return cached.header }
    guard let secret = try? source.read() else { return cached.header }
    let header = Self.header(kind, username, secret)
    cache.withLock { $0 = Cached(stamp: stamp, header: header) }
    return header
  }

  private static func header(_ kind: AuthConfig.Kind, _ user: String, _ secret: [UInt8]) -> String {
    switch kind {
    case .bearer: return "Bearer " + String(decoding: secret, as: UTF8.self)
    case .basic: return "Basic " + Data(Array((user + ":").utf8) + secret).base64EncodedString()
    }
  }
}
