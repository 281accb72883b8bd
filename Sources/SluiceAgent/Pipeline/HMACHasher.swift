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
    var bytes: [UInt8]
    switch (file, env) {
    case (let file?, nil):
      guard let data = FileManager.default.contents(atPath: file) else {
        throw KeyError(description: "cannot read the hash key file \(file)")
      }
      bytes = Array(data)
      while let last = bytes.last, last == 0x0A || last == 0x0D { bytes.removeLast() }
    case (nil, let env?):
      guard let value = environment[env], !value.isEmpty else {
        throw KeyError(description: "the environment variable \(env) (hash key) is not set")
      }
      bytes = Array(value.utf8)
    case (nil, nil):
      throw KeyError(description: "the hash action needs hash_key_file or hash_key_env")
    case (_?, _?):
      throw KeyError(description: "set only one of hash_key_file and hash_key_env")
    }
    try self.init(key: bytes)
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
