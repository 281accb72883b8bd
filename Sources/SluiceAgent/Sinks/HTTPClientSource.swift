import AsyncHTTPClient
import Logging
import NIOCore
import NIOSSL
import Synchronization

/// A sink's HTTP client, rebuilt when its TLS files change.
///
/// cert-manager and the kubelet renew certificates by replacing the files in place. At most
/// once a second, before a request, the files' stamps (modification time, size, inode) are
/// compared with those the client was built from; if they differ and the new files load, the
/// next requests go through a new client built from them. A replaced client is kept until
/// shutdown (its idle connections close after the pool's idle timeout), so requests in flight
/// on it finish normally. If the new files do not load (say, the certificate is renewed but
/// the key not yet), the old client stays and the check is repeated.
final class HTTPClientSource: Sendable {
  private struct State {
    var client: HTTPClient
    var stamps: [SecretSource.Stamp?]
    var lastCheck: ContinuousClock.Instant
    var retired: [HTTPClient] = []
  }

  private let state: Mutex<State>
  private let config: SinkConfig
  private let logger: Logger
  private let files: [SecretSource]

  init(config: SinkConfig, logger: Logger) throws {
    self.config = config
    self.logger = logger
    let tls = config.tls
    self.files = [tls?.caFile, tls?.certFile, tls?.keyFile].compactMap { $0 }.map { SecretSource.file($0) }
    let stamps = files.map(\.stamp)
    let client = try Self.makeClient(config, logger: logger, warn: true)
    self.state = Mutex(State(client: client, stamps: stamps, lastCheck: .now))
  }

  /// The client to send the next request with.
  func client() -> HTTPClient {
    let now = ContinuousClock.now
    let (current, changed) = state.withLock { s -> (HTTPClient, [SecretSource.Stamp?]?) in
      guard !files.isEmpty, now - s.lastCheck >= .seconds(1) else { return (s.client, nil) }
      s.lastCheck = now
      let stamps = files.map(\.stamp)
      return (s.client, stamps == s.stamps ? nil : stamps)
    }
    guard let changed else { return current }
    do {
      let fresh = try Self.makeClient(config, logger: logger, warn: false)
      return state.withLock { s in
        s.retired.append(s.client)
        s.client = fresh
        s.stamps = changed
        logger.info("TLS files changed; new connections use them", metadata: ["sink": "\(config.name)"])
        return fresh
      }
    } catch {
      logger.warning(
        "TLS files changed but do not load yet; keeping the previous ones",
        metadata: ["sink": "\(config.name)", "error": "\(error)"])
      return current
    }
  }

  func shutdown() async {
    let clients = state.withLock { [$0.client] + $0.retired }
    for c in clients { try? await c.shutdown() }
  }

  static func makeClient(_ config: SinkConfig, logger: Logger, warn: Bool) throws -> HTTPClient {
    let tls = try tlsConfiguration(config.tls, sink: config.name, logger: logger, warn: warn)
    // Loads the files together: a certificate and a key that do not match fail here.
    if config.tls != nil { _ = try NIOSSLContext(configuration: tls) }
    var pool = HTTPClient.Configuration.ConnectionPool(
      idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: max(1, config.concurrency))
    // A failed connect fails the attempt at once, and the sink runner tries again on its
    // short connect backoff: left on, the client retries underneath until `connect_timeout`,
    // and delivery resumed only that long after the sink came back.
    pool.retryConnectionEstablishment = false
    return HTTPClient(
      eventLoopGroupProvider: .singleton,
      configuration: .init(
        tlsConfiguration: tls, redirectConfiguration: .disallow,
        timeout: .init(connect: .nanoseconds(config.connectTimeout.nanoseconds)),
        connectionPool: pool))
  }

  /// Verification on, against the system trust store plus `ca_file`; a client certificate
  /// for mutual TLS; verification off only when `insecure_skip_verify` says so, loudly.
  static func tlsConfiguration(
    _ settings: TLSConfig?, sink: String, logger: Logger, warn: Bool = true
  ) throws
    -> TLSConfiguration
  {
    var tls = TLSConfiguration.makeClientConfiguration()
    guard let settings else { return tls }
    if let ca = settings.caFile {
      do {
        tls.additionalTrustRoots = [.certificates(try NIOSSLCertificate.fromPEMFile(ca))]
      } catch {
        throw ConfigError(path: "tls.ca_file", message: "cannot read certificates from \(ca): \(error)")
      }
    }
    switch (settings.certFile, settings.keyFile) {
    case (let cert?, let key?):
      do {
        tls.certificateChain = try NIOSSLCertificate.fromPEMFile(cert).map { .certificate($0) }
      } catch {
        throw ConfigError(path: "tls.cert_file", message: "cannot read certificates from \(cert): \(error)")
      }
      do {
        tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: key, format: .pem))
      } catch {
        throw ConfigError(path: "tls.key_file", message: "cannot read a private key from \(key): \(error)")
      }
    case (nil, nil):
      break
    default:
      throw ConfigError(path: "tls", message: "cert_file and key_file go together")
    }
    if settings.insecureSkipVerify {
      tls.certificateVerification = .none
      if warn {
        logger.warning(
          "TLS certificate verification is OFF for this sink (tls.insecure_skip_verify); anyone on the path can read and alter what is sent",
          metadata: ["sink": "\(sink)"])
      }
    }
    return tls
  }
}
