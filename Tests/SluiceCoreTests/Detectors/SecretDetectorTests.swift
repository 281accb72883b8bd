import Foundation
import Testing

@testable import SluiceCore

private let allSecretDetectors: [any Detector] = [
  JWTDetector(), BearerTokenDetector(), AWSKeyDetector(), PrivateKeyDetector(), SecretPairDetector(),
]

// Fixed sample values (not real credentials).
private let jwtHS =
  "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ"
  + ".SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
private let jwtNone = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiI0MiIsImFkbWluIjp0cnVlfQ."
private let awsSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
private let pemBody =
  "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\nMzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu"

@Suite("Secret detectors")
struct SecretDetectorTests {
  // MARK: JWT

  @Test(
    "JWT: finds tokens",
    arguments: [
      ("Authorization: Bearer \(jwtHS)", [jwtHS]),
      (jwtHS, [jwtHS]),
      ("id_token=\(jwtHS)&state=x", [jwtHS]),
      ("(\(jwtHS)).", [jwtHS]),
      ("unsigned \(jwtNone) accepted", [jwtNone]),
      ("\(jwtNone)", [jwtNone]),
      ("two: \(jwtHS),\(jwtNone)", [jwtHS, jwtNone]),
      ("jwt-\(jwtHS)", [jwtHS]),
      ("caf\u{E9} \(jwtHS) \u{1F600}", [jwtHS]),
    ])
  func jwtPositives(_ text: String, _ expected: [String]) {
    #expect(found(JWTDetector(), text) == expected)
  }

  @Test(
    "JWT: ignores non-tokens",
    arguments: [
      "", "e", "eyJ", "eyJhbGciOiJIUzI1NiJ9", "eyJmb28iOiJiYXIifQ==",
      // two segments, or a payload that is not JSON
      "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0",
      "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.dGVzdHBheWxvYWQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
      // header too short to be a JOSE header
      "eyJhbGci.eyJzdWIiOiIxMjM0NTY3ODkwIn0.abc",
      // inside an identifier
      "x\(jwtHS)", "cache_\(jwtHS)", "9\(jwtHS)",
      "com.example.auth.JwtFilter.doFilter(JwtFilter.java:71)",
    ])
  func jwtNegatives(_ text: String) {
    #expect(found(JWTDetector(), text) == [])
  }

  @Test func jwtKeepsNothing() {
    #expect(kept(JWTDetector(), jwtHS) == "")
  }

  // MARK: Bearer

  @Test(
    "bearer: finds credentials",
    arguments: [
      ("Authorization: Bearer abc123DEF456ghi789", ["abc123DEF456ghi789"]),
      ("authorization=Bearer%20abc123DEF456&x=1", ["abc123DEF456"]),
      ("authorization=Bearer+abc123DEF456 200", ["abc123DEF456"]),
      (#"{"Authorization":"Bearer abc.def-ghi_jkl"}"#, ["abc.def-ghi_jkl"]),
      ("Proxy-Authorization: Basic dXNlcjpwYXNzd29yZA==", ["dXNlcjpwYXNzd29yZA=="]),
      ("authorization=Basic%20dXNlcjpwYXNz%3D%3D&y", ["dXNlcjpwYXNz%3D%3D"]),
      ("Authorization: Token 9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b", ["9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b"]),
      ("AUTHORIZATION: BEARER ABCDEF123456", ["ABCDEF123456"]),
      ("retrying with bearer ghp_16C7e42F292c6912E7710c838347Ae178B4a", ["ghp_16C7e42F292c6912E7710c838347Ae178B4a"]),
      ("Bearer \(jwtHS)", [jwtHS]),
      ("login with Basic YWRtaW46c2VjcmV0 failed", ["YWRtaW46c2VjcmV0"]),
      ("Authorization: Bearer some-opaque-value", ["some-opaque-value"]),
      ("headers={Authorization: Bearer abcd1234efgh, Accept: */*}", ["abcd1234efgh"]),
      (
        #"Authorization: Digest username="Mufasa", realm="api", nonce="dcd98b", uri="/", response="6629fae4""#,
        [#"username="Mufasa", realm="api", nonce="dcd98b", uri="/", response="6629fae4""#]
      ),
      (#"sending Digest username="a", response="6629fae4" now"#, [#"username="a", response="6629fae4""#]),
      ("Bearer abc123def456 and Basic dXNlcjpwYXNz", ["abc123def456", "dXNlcjpwYXNz"]),
    ])
  func bearerPositives(_ text: String, _ expected: [String]) {
    #expect(found(BearerTokenDetector(), text) == expected)
  }

  @Test(
    "bearer: ignores prose and placeholders",
    arguments: [
      "", "B", "the bearer of this letter is authorised", "Bearer tokens expire after one hour",
      "Basic authentication is disabled", "token 3 of 5 consumed", "invalid token 3fa85f64-5717-4562-b3fc-2c963f66afa6",
      "digest: sha256:6c3c624b58dbbcd3c0dd82b4c53f04194d1247c6eebdaab7c610cf7d66709b3b",
      "Authorization: Bearer <redacted>", "Authorization: Bearer [REDACTED]", "Authorization: Bearer REDACTED",
      "Authorization: Bearer undefined", "Authorization: Bearer ${TOKEN}", "Authorization: Bearer",
      "Authorization: Bearer abc", "Authorization: Bearer /api/v1/token", "bearerabc123def456",
      "xBearer abc123def456", "Bearer:abc123def456", "Bearers abc123def456",
      #"WWW-Authenticate: Bearer realm="example", error="invalid_token""#,
      "WWW-Authenticate: Bearer realm=api_gateway", #"WWW-Authenticate: Digest realm="api", nonce="abc123""#,
      "basic HealthCheckHandler registered", "Token abc123def456 without a header",
    ])
  func bearerNegatives(_ text: String) {
    #expect(found(BearerTokenDetector(), text) == [])
  }

  @Test func bearerKeepsNothing() {
    #expect(kept(BearerTokenDetector(), "abc123DEF456ghi789") == "")
  }

  // MARK: AWS

  @Test(
    "AWS: finds key ids and secrets",
    arguments: [
      ("AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE", ["AKIAIOSFODNN7EXAMPLE"]),
      ("AKIAIOSFODNN7EXAMPLE", ["AKIAIOSFODNN7EXAMPLE"]),
      ("Credential=ASIAJ2CXBCM5V4ZQ6T2Q/20261123/us-east-1/s3", ["ASIAJ2CXBCM5V4ZQ6T2Q"]),
      ("role AROADBQP57FF2AEXAMPLE assumed", ["AROADBQP57FF2AEXAMPLE"]),
      ("aws_secret_access_key = \(awsSecret)", [awsSecret]),
      (
        #"{"AccessKeyId":"AKIAIOSFODNN7EXAMPLE","SecretAccessKey":"\#(awsSecret)"}"#,
        ["AKIAIOSFODNN7EXAMPLE", awsSecret]
      ),
      ("secretAccessKey: '\(awsSecret)'", [awsSecret]),
      ("AWS_SECRET=\(awsSecret)", [awsSecret]),
      ("aws-secret-access-key \(awsSecret) then AKIAIOSFODNN7EXAMPLE", [awsSecret, "AKIAIOSFODNN7EXAMPLE"]),
      // a key id inside the secret run: one merged match
      ("aws_secret_access_key=AKIAIOSFODNN7EXAMPLE/abcdefghijklmnop+AB", ["AKIAIOSFODNN7EXAMPLE/abcdefghijklmnop+AB"]),
    ])
  func awsPositives(_ text: String, _ expected: [String]) {
    #expect(found(AWSKeyDetector(), text) == expected)
  }

  @Test(
    "AWS: ignores look-alikes",
    arguments: [
      "", "A", "AKIA", "AKIAIOSFODNN7EXAMPL", "AKIAIOSFODNN7EXAMPLE1X", "akiaiosfodnn7example",
      "AKIAIOSF0DNN7EXAMP1E", "xAKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLE_x", "AKIAXXXXXXXXXXXXXXXX",
      "AKIBIOSFODNN7EXAMPLE", "arn:aws:iam::123456789012:role/deploy",
      // a secret without context, a SHA with context, context too far away
      awsSecret, "aws_secret_access_key rotated at commit 8f14e45fceea167a5a36dedd4bea2543f1a2b3c4",
      "aws_secret_access_key loaded from environment, rotating in background; object \(awsSecret)",
      "aws_secret_access_key=\(awsSecret)x", "aws_secret_access_key=x\(awsSecret)",
      "client_secret=\(awsSecret)",
    ])
  func awsNegatives(_ text: String) {
    #expect(found(AWSKeyDetector(), text) == [])
  }

  @Test func awsKeepsTheKeyIdPrefixOnly() {
    let d = AWSKeyDetector()
    #expect(kept(d, "AKIAIOSFODNN7EXAMPLE") == "AKIA")
    #expect(kept(d, "ASIAJ2CXBCM5V4ZQ6T2Q") == "ASIA")
    #expect(kept(d, "AROADBQP57FF2AEXAMPLE") == "AROA")
    #expect(kept(d, awsSecret) == "")
    // What is kept is matched by nothing.
    for detector in allSecretDetectors { #expect(found(detector, "AKIA") == []) }
  }

  // MARK: Private keys

  @Test func privateKeyBlocks() {
    let d = PrivateKeyDetector()
    for label in ["PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY", "OPENSSH PRIVATE KEY", "ENCRYPTED PRIVATE KEY"] {
      let block = "-----BEGIN \(label)-----\n\(pemBody)\n-----END \(label)-----"
      #expect(found(d, "key: \(block)\nnext line") == [block])
      let flat = block.replacingOccurrences(of: "\n", with: " ")
      #expect(found(d, "key=\(flat) cert=x") == [flat])
      let escaped = block.replacingOccurrences(of: "\n", with: "\\n")
      #expect(found(d, #"{"private_key":"\#(escaped)\n"}"#) == [escaped])
    }
    let pgp = "-----BEGIN PGP PRIVATE KEY BLOCK-----\nVersion: 1\n\nlQOYBF\n=ab12\n-----END PGP PRIVATE KEY BLOCK-----"
    #expect(found(d, pgp) == [pgp])
    // Two blocks.
    let a = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIB\n-----END EC PRIVATE KEY-----"
    #expect(found(d, "\(a), \(a)") == [a, a])
  }

  @Test func truncatedPrivateKeyRunsToTheEnd() {
    let d = PrivateKeyDetector()
    let text = "could not parse -----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA3Tz2mr7SZiAMfQyuvBjM9Oi"
    #expect(found(d, text) == [String(text.dropFirst(16))])
    // An END marker cut short.
    let cut = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADAN\n-----END PRIV"
    #expect(found(d, cut) == [cut])
    // A different END (a certificate after a truncated key) does not end the key.
    let chain = "-----BEGIN PRIVATE KEY-----\nMIIEvQ\n-----END CERTIFICATE----- tail"
    #expect(found(d, chain) == [chain])
  }

  @Test(
    "private key: ignores certificates, public keys and bare markers",
    arguments: [
      "", "-", "-----BEGIN CERTIFICATE-----\nMIIDdzCCAl+gAwIBAgIE\n-----END CERTIFICATE-----",
      "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----",
      "-----BEGIN RSA PUBLIC KEY-----\nMIIBCgKCAQEA\n-----END RSA PUBLIC KEY-----",
      "-----BEGIN CERTIFICATE REQUEST-----\nMIIC\n-----END CERTIFICATE REQUEST-----",
      "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7 deploy", "-----BEGIN PRIVATE KEY-----",
      "-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----", #"expected "-----BEGIN PRIVATE KEY-----""#,
      "---BEGIN PRIVATE KEY--- MIIE", "-----BEGIN PRIVATE KEYS-----\nMIIE", "BEGIN RSA PRIVATE KEY MIIE",
    ])
  func privateKeyNegatives(_ text: String) {
    #expect(found(PrivateKeyDetector(), text) == [])
  }

  // MARK: Secret pairs

  @Test(
    "secret pair: finds values",
    arguments: [
      ("password=hunter2", ["hunter2"]),
      ("PASSWORD=HUNTER2", ["HUNTER2"]),
      ("db_password=s3cr3t host=db", ["s3cr3t"]),
      (#"{"user":"bob","password":"a b;c,d"}"#, ["a b;c,d"]),
      (#"{"password":"ab\"cd","x":1}"#, [#"ab\"cd"#]),
      (#"body={\"api_key\":\"k-123\",\"u\":1}"#, ["k-123"]),
      ("{'secret': 'x y'}", ["x y"]),
      ("?user=bob&access_token=abc123&x=1", ["abc123"]),
      (#""password" => "rails1""#, ["rails1"]),
      ("params[password]=pw1&params[user]=bob", ["pw1"]),
      ("{Host:db User:app Password:hunter2}", ["hunter2}"]),
      ("X-Api-Key: abcd1234", ["abcd1234"]),
      ("clientSecret=abc", ["abc"]),
      ("dbPassword=x9 userToken:t1", ["x9", "t1"]),
      (
        "private_key=-----BEGIN EC PRIVATE KEY----- MHcCAQEEIB -----END EC PRIVATE KEY----- ok",
        ["-----BEGIN EC PRIVATE KEY----- MHcCAQEEIB -----END EC PRIVATE KEY-----"]
      ),
      ("--token=tok_123 --verbose", ["tok_123"]),
      ("token: 12345", ["12345"]),
      ("password = changeme", ["changeme"]),
      ("Cookie: sessionid=abc; csrftoken=def", ["abc", "def"]),
      ("Set-Cookie: id=a3fWa; Expires=Wed, 21 Oct 2026", ["a3fWa"]),
      ("Cookie: sid=\"q1w2e3\"; theme=dark user=42", ["q1w2e3", "dark"]),
      ("{\"cookie\":\"_ga=GA1.2.6577; session=eyKB1kuojwe\",\"ua\":\"curl\"}", ["GA1.2.6577", "eyKB1kuojwe"]),
      ("Set-Cookie: session=Zx81kd9a; Path=/; HttpOnly; Secure", ["Zx81kd9a"]),
      ("cookie: 0f3a9c71be2d4410", ["0f3a9c71be2d4410"]),
      ("auth=admin:pa55word", ["admin:pa55word"]),
      ("credentials=svc:abcdef12", ["svc:abcdef12"]),
      ("pwd=Winter2026", ["Winter2026"]),
      ("JSESSIONID=ABCDEF0123456789; Path=/", ["ABCDEF0123456789"]),
      ("a password=x1 and token=y2", ["x1", "y2"]),
      ("password=\u{E9}t\u{E9}2026 ok", ["\u{E9}t\u{E9}2026"]),
    ])
  func pairPositives(_ text: String, _ expected: [String]) {
    #expect(found(SecretPairDetector(), text) == expected)
  }

  @Test(
    "secret pair: ignores counters, prose and placeholders",
    arguments: [
      "", "=", "p", "password", "token_count=12", "tokens_used=532", "max_tokens=4096", "password_policy=strict",
      "password_reset_requested user=42", "secret_santa_enabled=true", "oauth=enabled", "auth=oauth2",
      "credentials: 'include'", "Invalid password: too short", "token: expired", "password: 8+ chars",
      "password=", "password=***", "password=[REDACTED]", "password=[REDACTED:secret_pair]", "password=<redacted>",
      "password=${DB_PASSWORD}", "token={{ .Values.token }}", "token={token}", #""password": null"#,
      #""secret": true"#, "PWD=/home/app", "auth::login", "cache=auth:token:42", "password==x", "Auth: user_id=4242 ok",
      "cookie: enabled", "apikey=XXXXXXXXXXXX", "password=%s", "mypassword=x", "passwordx=y", "dbpassword=x",
      "DBPASSWORD=x", #"{"note":"token="}"#, #"{\"note\":\"password=\"}"#, "Set-Cookie: ; Path=/",
    ])
  func pairNegatives(_ text: String) {
    #expect(found(SecretPairDetector(), text) == [])
  }

  @Test func pairKeysAreConfigurable() {
    let d = SecretPairDetector(keys: ["pin", "Otp-Code"])
    #expect(found(d, "pin=1234 otp_code=998877 password=x") == ["1234", "998877"])
    #expect(found(d, "card_pin: 9876 OTPCode=1") == ["9876", "1"])
    #expect(found(SecretPairDetector(keys: []), "password=x") == [])
    #expect(SecretPairDetector().minimumLength == 5)
    let single = SecretPairDetector(keys: ["k"])
    #expect(single.minimumLength == 3)
    #expect(found(single, "k=v") == ["v"])
  }

  @Test func pairKeepsNothing() {
    #expect(kept(SecretPairDetector(), "hunter2") == "")
  }

  // MARK: All

  @Test func emptyAndTinyInputs() {
    for d in allSecretDetectors {
      #expect(found(d, "") == [])
      #expect(found(d, "x") == [])
      #expect(found(d, "=") == [])
      #expect(found(d, "\u{E9}") == [])
      // nil base address
      var matches: [DetectorMatch] = []
      d.detect(in: UnsafeRawBufferPointer(start: nil, count: 0), rule: 0, into: &matches)
      #expect(matches.isEmpty)
    }
  }

  @Test func ruleNamesAndPrefilters() {
    #expect(allSecretDetectors.map(\.name) == ["jwt", "bearer", "aws_key", "private_key", "secret_pair"])
    // Every match of a detector contains its required classes and is at least minimumLength long.
    let samples = [
      "Authorization: Bearer \(jwtHS)", "aws_secret_access_key=\(awsSecret) AKIAIOSFODNN7EXAMPLE",
      "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIB\n-----END EC PRIVATE KEY-----", "pwd=x Basic YWRtaW46c2VjcmV0",
    ]
    for d in allSecretDetectors {
      for s in samples {
        let bytes = Array(s.utf8)
        let classes = bytes.withUnsafeBytes { ByteClasses.of($0) }
        if !found(d, bytes).isEmpty {
          #expect(classes.isSuperset(of: d.requires), "\(d.name) in \(s)")
          #expect(bytes.count >= d.minimumLength, "\(d.name) in \(s)")
        }
      }
    }
  }

  @Test func randomTextKeepsInvariants() {
    var rng = SplitMix64(seed: 0x5EC2)
    let pieces = [
      "Bearer ", "Basic ", "Token ", "Digest ", "Authorization: ", "%20", "+", "=", ":", " ", "\"", "'", "\\\"", ",",
      "&", ";", "password", "token", "_", "-", ".", "eyJ", "hbGciOiJIUzI1NiJ9", "abc123", "AKIA", "IOSFODNN7EXAMPLE",
      "aws_secret_access_key", awsSecret, "-----BEGIN ", "RSA PRIVATE KEY", "-----", "-----END ", "\n", "\u{E9}",
      "cookie", "[REDACTED]", "x", "A", "==",
    ]
    var total = 0
    for _ in 0..<4000 {
      let text = (0..<rng.below(16)).map { _ in pieces[rng.below(pieces.count)] }.joined()
      for d in allSecretDetectors { total += found(d, text).count }  // checks order, bounds, overlap
    }
    #expect(total > 150)
  }

}
