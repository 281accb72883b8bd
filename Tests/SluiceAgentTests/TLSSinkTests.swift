import Foundation
import NIOSSL
import Testing

@testable import SluiceAgent

/// HTTPS sinks against a real TLS server on loopback, with certificates made by `openssl`:
/// verification is on by default, a private CA is trusted through `ca_file`, mutual TLS
/// sends a client certificate, and `insecure_skip_verify` works only when set, with a warning.
@Suite(.timeLimit(.minutes(3)))
struct TLSSinkTests {
  /// A CA, a server certificate for 127.0.0.1 and a client certificate, all signed by the CA.
  final class Certificates {
    let dir: TempDirectory
    var ca: String { dir.file("ca.pem").path }
    var serverCert: String { dir.file("server.pem").path }
    var serverKey: String { dir.file("server.key").path }
    var clientCert: String { dir.file("client.pem").path }
    var clientKey: String { dir.file("client.key").path }

    init() throws {
      dir = try TempDirectory()
      let d = dir.path
      try Self.sh(
        """
        cd \(d)
        openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj /CN=sluice-test-ca
        printf 'subjectAltName=IP:127.0.0.1\\n' > server.ext
        openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj /CN=127.0.0.1
        openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 -extfile server.ext
        openssl req -newkey rsa:2048 -nodes -keyout client.key -out client.csr -subj /CN=sluice-agent
        openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out client.pem -days 2
        openssl req -x509 -newkey rsa:2048 -nodes -keyout rogue.key -out rogue.pem -days 2 -subj /CN=not-trusted
        """)
    }

    func server(requireClientCertificate: Bool) throws -> TLSConfiguration {
      var tls = TLSConfiguration.makeServerConfiguration(
        certificateChain: try NIOSSLCertificate.fromPEMFile(serverCert).map { .certificate($0) },
        privateKey: .privateKey(try NIOSSLPrivateKey(file: serverKey, format: .pem)))
      if requireClientCertificate {
        tls.certificateVerification = .noHostnameVerification
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(ca))
      }
      return tls
    }

    static func sh(_ script: String) throws {
      let p = Process()
      p.executableURL = URL(fileURLWithPath: "/bin/sh")
      p.arguments = ["-ec", script]
      p.standardOutput = FileHandle.nullDevice
      p.standardError = FileHandle.nullDevice
      try p.run()
      p.waitUntilExit()
      guard p.terminationStatus == 0 else { throw CocoaError(.executableLoad) }
    }
  }

  /// Runs an agent shipping three events to `receiver` with the given `tls:` settings.
  /// Returns whether they arrived, the send errors counted, and the agent's log.
  static func ship(to receiver: TestReceiver, tls: String, expectDelivery: Bool) async throws -> (Bool, Double, String)
  {
    let dir = try TempDirectory()
    try dir.append("{\"n\":1}\n{\"n\":2}\n{\"n\":3}\n", to: "logs/app.log")
    // A refused handshake may only end at the request timeout, so keep it short there; a
    // delivery gets room, so a loaded machine does not turn a slow answer into a resend.
    let timeout = expectDelivery ? "15s" : "1s"
    try """
    data_dir: \(dir.path)/data
    sources: [{name: app, type: file, include: ["\(dir.path)/logs/*.log"], read_from: beginning, poll_interval: 20ms}]
    sinks:
      - {name: out, type: http, url: "\(receiver.url)", batch: {max_age: 20ms}, timeout: \(timeout), retry: {initial_backoff: 20ms, max_backoff: 100ms}, tls: \(tls)}
    admin: {address: "127.0.0.1:0"}
    shutdown_grace: 1s
    """.write(to: dir.file("agent.yaml"), atomically: true, encoding: .utf8)
    let agent = try AgentProcess(config: dir.file("agent.yaml"))
    let port = try #require(await agent.adminPort())
    var arrived = false
    var errors = 0.0
    if expectDelivery {
      arrived = await receiver.waitForEvents(3, timeout: .seconds(30))
    } else {
      // Failed handshakes are counted as send errors and retried; wait for a few.
      for _ in 0..<400 where errors < 3 {
        errors = try await EndToEndTests.metric("sluice_sink_send_errors_total", port: port) ?? 0
        if errors < 3 { try await Task.sleep(for: .milliseconds(25)) }
      }
    }
    errors = try await EndToEndTests.metric("sluice_sink_send_errors_total", port: port) ?? 0
    _ = await agent.terminate()
    return (arrived, errors, agent.logLines.joined(separator: "\n"))
  }

  @Test func aPrivateCAIsTrustedThroughCAFileAndNotOtherwise() async throws {
    let certs = try Certificates()
    let receiver = try await TestReceiver.start(tls: try certs.server(requireClientCertificate: false))
    defer { receiver.stop() }
    let (ok, _, log) = try await Self.ship(to: receiver, tls: "{ca_file: \(certs.ca)}", expectDelivery: true)
    #expect(ok)
    #expect(!log.contains("verification is OFF"))
    #expect(receiver.requests.allSatisfy { $0.contentEncoding == "gzip" })

    let before = receiver.lines.count
    let (_, errors, _) = try await Self.ship(to: receiver, tls: "{}", expectDelivery: false)
    #expect(errors >= 3, "the system trust store does not know the test CA")
    #expect(receiver.lines.count == before, "nothing crossed an unverified connection")
  }

  @Test func insecureSkipVerifyIsExplicitAndWarns() async throws {
    let certs = try Certificates()
    let receiver = try await TestReceiver.start(tls: try certs.server(requireClientCertificate: false))
    defer { receiver.stop() }
    let (ok, _, log) = try await Self.ship(to: receiver, tls: "{insecure_skip_verify: true}", expectDelivery: true)
    #expect(ok)
    #expect(log.contains("TLS certificate verification is OFF"))
  }

  @Test func mutualTLSSendsTheClientCertificate() async throws {
    let certs = try Certificates()
    let receiver = try await TestReceiver.start(tls: try certs.server(requireClientCertificate: true))
    defer { receiver.stop() }
    let (ok, _, _) = try await Self.ship(
      to: receiver, tls: "{ca_file: \(certs.ca), cert_file: \(certs.clientCert), key_file: \(certs.clientKey)}",
      expectDelivery: true)
    #expect(ok)
    // (At least once: a request answered later than the client waited is sent again, so the
    // first run may have delivered a line twice. The second must deliver none.)
    let delivered = receiver.lines.count
    #expect(Set(receiver.lines.filter { !$0.isEmpty }).count == 3)
    let (_, errors, _) = try await Self.ship(to: receiver, tls: "{ca_file: \(certs.ca)}", expectDelivery: false)
    #expect(errors >= 3, "without a client certificate the server refuses the handshake")
    #expect(receiver.lines.count == delivered, "nothing crossed without a client certificate")
  }

  /// A client certificate renewed in place (as cert-manager does) is used without a restart:
  /// the agent starts with one the server does not trust, the files are replaced by a trusted
  /// pair, and the next connections carry it.
  @Test func aRenewedClientCertificateIsPickedUpWithoutARestart() async throws {
    let certs = try Certificates()
    let receiver = try await TestReceiver.start(tls: try certs.server(requireClientCertificate: true))
    defer { receiver.stop() }
    let dir = try TempDirectory()
    let cert = dir.file("tls.crt").path
    let key = dir.file("tls.key").path
    try FileManager.default.copyItem(atPath: certs.dir.file("rogue.pem").path, toPath: cert)
    try FileManager.default.copyItem(atPath: certs.dir.file("rogue.key").path, toPath: key)
    try dir.append("{\"n\":1}\n{\"n\":2}\n{\"n\":3}\n", to: "logs/app.log")
    try """
    data_dir: \(dir.path)/data
    sources: [{name: app, type: file, include: ["\(dir.path)/logs/*.log"], read_from: beginning, poll_interval: 20ms}]
    sinks:
      - {name: out, type: http, url: "\(receiver.url)", batch: {max_age: 20ms}, timeout: 1s, retry: {initial_backoff: 20ms, max_backoff: 100ms}, tls: {ca_file: \(certs.ca), cert_file: \(cert), key_file: \(key)}}
    admin: {address: "127.0.0.1:0"}
    shutdown_grace: 1s
    """.write(to: dir.file("agent.yaml"), atomically: true, encoding: .utf8)
    let agent = try AgentProcess(config: dir.file("agent.yaml"))
    let port = try #require(await agent.adminPort())
    let refused = try await DeliveryGuaranteeTests.waitForMetric(
      "sluice_sink_send_errors_total", port: port, timeout: .seconds(30)
    ) { $0 >= 2 }
    #expect(refused >= 2, "the untrusted certificate is refused")
    #expect(receiver.lines.isEmpty)
    // Renewed the way a Secret volume is updated: new files renamed into place.
    for (from, to) in [(certs.clientCert, cert), (certs.clientKey, key)] {
      let tmp = to + ".new"
      try FileManager.default.copyItem(atPath: from, toPath: tmp)
      #expect(rename(tmp, to) == 0)
    }
    #expect(await receiver.waitForEvents(3, timeout: .seconds(30)))
    _ = await agent.terminate()
    #expect(agent.logLines.contains { $0.contains("TLS files changed; new connections use them") })
  }

  @Test func tlsSettingsAreChecked() {
    for (tls, phrase) in [
      ("{cert_file: /etc/hostname}", "go together"),
      ("{ca_file: /nonexistent/ca.pem}", "cannot read"),
    ] {
      do {
        _ = try ConfigLoader.parse(
          yaml: """
            sources: [{name: a, type: file, include: [x]}]
            sinks: [{name: o, type: http, url: "https://127.0.0.1:1/x", tls: \(tls)}]
            """)
        Issue.record("accepted \(tls)")
      } catch {
        #expect(error.description.contains(phrase), "\(error)")
      }
    }
    #expect(throws: ConfigError.self) {
      try ConfigLoader.parse(
        yaml: """
          sources: [{name: a, type: file, include: [x]}]
          sinks: [{name: o, type: http, url: "http://127.0.0.1:1/x", tls: {insecure_skip_verify: true}}]
          """)
    }
  }
}
