import Crypto
import Foundation
import SluiceCore

/// The `hash` action's digest: HMAC-SHA256 (swift-crypto) of the value under a secret key,
/// truncated to 64 bits and written as 16 lower-case hex digits.
///
/// The key comes from a file (`hash_key_file`, e.g. a mounted Kubernetes Secret; a trailing
/// newline is ignored) or an environment variable (`hash_key_env`); it is never logged. It
/// must be at least 16 bytes: with a short key, digests of low-entropy values (phone numbers,
/// SSNs) could be reversed by trying every value.
struct HMACHasher: RedactionHasher {
  let key: SymmetricKey
  static let minimumKeyBytes = 16

  struct KeyError: Error, CustomStringConvertible {
    var description: String
  }

  init(key: [UInt8]) throws {
    guard key.count >= Self.minimumKeyBytes else {
      throw KeyError(description: "the hash key must be at least \(Self.minimumKeyBytes) bytes (it has \(key.count))")
    }
    self.key = SymmetricKey(data: key)
  }

  /// Reads the key from `file` or the environment variable `env` (exactly one must be set).
  init(file: String?, env: String?, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
    let source = try SecretSource.choose(file: file, env: env, fileKey: "hash_key_file", envKey: "hash_key_env")
    try self.init(key: source.read(environment: environment))
  }

  func appendDigest(of value: UnsafeRawBufferPointer, to out: inout [UInt8]) {
    let mac = HMAC<SHA256>.authenticationCode(for: value, using: key)
    let hex: [UInt8] = Array("0123456789abcdef".utf8)
    mac.withUnsafeBytes { d in
      for b in d.prefix(8) {
        out.append(hex[Int(b >> 4)])
        out.append(hex[Int(b & 15)])
      }
    }
  }
}
