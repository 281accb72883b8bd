import Testing

@testable import SluiceCore

@Suite("URLCredentialsDetector")
struct URLCredentialsDetectorTests {
  @Test(
    "finds the userinfo of URLs and DSNs",
    arguments: [
      ("postgres://app:S3cr3t@db:5432/x", ["app:S3cr3t"]),
      ("amqp://user:pass@host", ["user:pass"]),
      ("https://user:token@host/path", ["user:token"]),
      ("mongodb+srv://svc:Pw9x@cluster0.ab1cd.mongodb.net/?retryWrites=true", ["svc:Pw9x"]),
      ("jdbc:mysql://app:pw@db/x", ["app:pw"]),
      ("redis://:S3cr3t@redis:6379/0", [":S3cr3t"]),
      ("postgres://app:p@ss@db/x", ["app:p@ss"]),
      ("url=postgres://app:a%40b@db/x next", ["app:a%40b"]),
      ("https://ghp_0123456789abcdefghijklmn@github.com/org/repo", ["ghp_0123456789abcdefghijklmn"]),
      ("app:Pw1x@tcp(db:3306)/orders?parseTime=true", ["app:Pw1x"]),
      ("dsn=root:Pw2y@unix(/run/mysqld.sock)/app", ["root:Pw2y"]),
      ("a amqp://u:p1@mq:5672/ and redis://:p2@r:6379 b", ["u:p1", ":p2"]),
      (#"{"broker":"amqps://u:Zz9@mq/vhost"}"#, ["u:Zz9"]),
      ("'postgresql://etl:Q!w2@pg/x'", ["etl:Q!w2"]),
      ("dsn app:d9Yh@27xg@tcp(mysql-0:3306)/orders", ["app:d9Yh@27xg"]),
      ("a://u:p1@h b app:p2@x@tcp(db)/x", ["u:p1", "app:p2@x"]),
    ])
  func positives(_ text: String, _ expected: [String]) {
    #expect(found(URLCredentialsDetector(), text) == expected)
  }

  @Test(
    "leaves URLs without a secret alone",
    arguments: [
      "https://example.com:8443/p?a=b@c", "https://host/@user", "http://[::1]:8080", "ssh://git@github.com/org/repo",
      "git@github.com:org/repo.git", "https://jane.doe@example.com/", "postgres://app:${DB_PASSWORD}@db/x",
      "redis://:***@redis:6379", "amqp://user:@host", "mongodb://u:<password>@h/x", "postgres://app:[REDACTED]@db",
      "postgres://app:xxxx@db", "pip install git+https://github.com/org/pkg.git@v1.2.3", "a@tcp(db:3306)", "@",
      "://@", "x://a@b", "tcp(db:3306) refused", "https://short_token1@host/", "s3://bucket/key@2026-11-04.json",
      "jdbc:sqlserver://db:1433;databaseName=orders;user=app;password=qd@vBxE5hR;encrypt=true",
    ])
  func negatives(_ text: String) {
    #expect(found(URLCredentialsDetector(), text) == [])
  }

  @Test func partialKeepsAPlainUserName() {
    let d = URLCredentialsDetector()
    #expect(kept(d, "app:S3cr3t") == "app")
    #expect(kept(d, ":S3cr3t") == "")
    #expect(kept(d, "ghp_0123456789abcdefghijklmn") == "")
    #expect(kept(d, "a%40b:pw") == "")
  }

  @Test func randomURLishTextGivesOrderedMatchesInBounds() {
    var rng = SplitMix64(seed: 0x0C0FFEE)
    let pieces = [
      "://", "@", ":", "/", "a", "pw1", "tcp(", "=", " ", "host", "${X}", "%40", "\"", "?", "#", "postgres",
    ]
    for _ in 0..<3000 {
      let text = (0..<rng.below(16)).map { _ in pieces[rng.below(pieces.count)] }.joined()
      _ = found(URLCredentialsDetector(), text)  // checks order, bounds, overlap and prefilter
    }
  }
}
