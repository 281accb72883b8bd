import Foundation
import Logging
import SluiceCore
import Testing

@testable import SluiceLog

/// Secret keys, the `Sensitivity` attribute and value redaction through the shared engine.
struct RedactionTests {
  static let marker = "\"[REDACTED]\""

  // MARK: - SecretKeys semantics

  /// Whole `_`/`-`/`.`-separated parts (or runs of parts) equal to a name, in any case.
  @Test(arguments: [
    "password", "Password", "PASSWORD", "db_password", "password-hash", "user.password", "Authorization",
    "set-cookie", "Set-Cookie", "cookie", "api_key", "API-KEY", "X-Api-Key", "apikey", "access_token", "token",
    "refresh-token", "client_secret", "secret", "x.secret.value", "passwd", "pwd", "ssn", "card_number", "cvv",
    "private.key", "credit-card",
    // `token` is a whole part here, so this is redacted too (unlike `tokens_used`).
    "token_count",
  ])
  func defaultSecretNamesMatch(key: String) {
    #expect(SecretKeys().matches(key))
  }

  @Test(arguments: [
    "tokens_used", "passwords_count", "password2", "mypassword", "tokenizer", "secretary", "authorized",
    "cookies", "api", "key", "user", "pass", "", "apikeys", "cvv2", "api_keys", "x_api", "pass_word",
  ])
  func otherNamesDoNotMatch(key: String) {
    #expect(!SecretKeys().matches(key))
  }

  @Test func customNamesReplaceTheDefaults() {
    let keys = SecretKeys(["ticket", "session-id"])
    #expect(keys.matches("ticket"))
    #expect(keys.matches("TICKET"))
    #expect(keys.matches("old_ticket"))
    #expect(keys.matches("session_id"))
    #expect(keys.matches("x.session.id"))
    #expect(!keys.matches("password"))
    #expect(!keys.matches("tickets"))
  }

  // MARK: - Secret keys in lines

  @Test func secretCallSiteMetadataIsRedacted() throws {
    let log = try TestLog()
    log.logger().info(
      "login",
      metadata: [
        "password": "hunter2", "Authorization": "Bearer abc.def", "db_password": "pw1", "set-cookie": "sid=1",
        "api_key": "k-123", "X-Api-Key": "k-456", "password_numeric": .stringConvertible(1234),
        "secret_list": ["a", "b"], "tokens_used": .stringConvertible(17), "passwords_count": .stringConvertible(2),
        "user": "alice",
      ])
    let raw = try #require(try log.lines().first)
    let v = try JSONValue.parse(raw)
    for key in [
      "password", "Authorization", "db_password", "set-cookie", "api_key", "X-Api-Key", "password_numeric",
      "secret_list",
    ] {
      #expect(v[key] == "[REDACTED]", "\(key)")
    }
    #expect(v["tokens_used"] == .int(17))
    #expect(v["passwords_count"] == .int(2))
    #expect(v["user"] == "alice")
    for secret in ["hunter2", "Bearer", "pw1", "sid=1", "k-123", "k-456", "1234"] {
      #expect(!raw.contains(secret), "\(secret) leaked: \(raw)")
    }
  }

  @Test func secretLoggerBoundMetadataIsRedacted() throws {
    let log = try TestLog()
    var logger = log.logger()
    logger[metadataKey: "client_secret"] = "cs-1"
    logger[metadataKey: "tokens_used"] = .stringConvertible(5)
    logger.info("a")
    logger[metadataKey: "client_secret"] = "cs-2"
    logger.info("b")
    let lines = try log.lines()
    for line in lines {
      let v = try JSONValue.parse(line)
      #expect(v["client_secret"] == "[REDACTED]")
      #expect(v["tokens_used"] == .int(5))
      #expect(!line.contains("cs-"), "\(line)")
    }
  }

  @Test func secretsNestedInDictionariesAndArraysAreRedacted() throws {
    let log = try TestLog()
    log.logger().info(
      "nested",
      metadata: [
        "db": [
          "host": "db1", "password": "pw-nested", "opts": ["api_key": "k-deep", "retries": .stringConvertible(3)],
        ],
        "items": [["token": "t-in-array", "id": .stringConvertible(1)]],
      ])
    let raw = try #require(try log.lines().first)
    let v = try JSONValue.parse(raw)
    #expect(v["db"] == ["host": "db1", "opts": ["api_key": "[REDACTED]", "retries": 3], "password": "[REDACTED]"])
    #expect(v["items"] == [["id": 1, "token": "[REDACTED]"]])
    for secret in ["pw-nested", "k-deep", "t-in-array"] { #expect(!raw.contains(secret), "\(secret): \(raw)") }
  }

  @Test func secretContextFieldsAreRedacted() throws {
    let log = try TestLog()
    let logger = log.logger()
    withLogContext(fields: ["session_token": "st-1", "tokens_used": 9, "tenant": "acme"]) {
      logger.info("ctx")
      // Through the merging path too (a call-site key collides with a field).
      logger.info("ctx merged", metadata: ["tenant": "other"])
    }
    let lines = try log.lines()
    try #require(lines.count == 2)
    for line in lines {
      let v = try JSONValue.parse(line)
      #expect(v["session_token"] == "[REDACTED]", "\(line)")
      #expect(v["tokens_used"] == .int(9), "\(line)")
      #expect(!line.contains("st-1"), "\(line)")
    }
  }

  @Test func secretsNestedInContextFieldsAreRedacted() throws {
    let log = try TestLog()
    withLogContext(fields: ["db": ["host": "h", "password": "pw-ctx"], "list": [["api_key": "k-ctx"]]]) {
      log.logger().info("ctx")
    }
    let raw = try #require(try log.lines().first)
    let v = try JSONValue.parse(raw)
    #expect(v["db"]?["password"] == "[REDACTED]", "\(raw)")
    #expect(v["db"]?["host"] == "h")
    #expect(!raw.contains("pw-ctx") && !raw.contains("k-ctx"), "\(raw)")
  }

  @Test func customSecretKeysReplaceTheDefaultList() throws {
    let log = try TestLog()
    var logger = log.logger { $0.secretKeys = ["ticket"] }
    logger[metadataKey: "bound_ticket"] = "bt-1"
    logger.info("custom", metadata: ["ticket": "t-1", "password": "visible", "nested": ["Ticket": "t-2"]])
    let v = try log.single()
    #expect(v["ticket"] == "[REDACTED]")
    #expect(v["bound_ticket"] == "[REDACTED]")
    #expect(v["nested"] == ["Ticket": "[REDACTED]"])
    #expect(v["password"] == "visible")
  }

  @Test func customSecretKeysAndMarkerApplyToContextFields() throws {
    let log = try TestLog()
    let logger = log.logger {
      $0.secretKeys = ["ticket"]
      $0.redactionMarker = "***"
    }
    withLogContext(fields: ["ticket": "t-ctx", "password": "p-ctx"]) {
      logger.info("fast path")
      logger.info("merging path", metadata: ["password": "p-call"])
    }
    let lines = try log.lines()
    try #require(lines.count == 2)
    for line in lines {
      let v = try JSONValue.parse(line)
      #expect(v["ticket"] == "***", "\(line)")
      #expect(!line.contains("t-ctx"), "\(line)")
    }
    #expect(try JSONValue.parse(lines[0])["password"] == "p-ctx")
    #expect(try JSONValue.parse(lines[1])["password"] == "p-call")
  }

  @Test func customRedactionMarker() throws {
    let log = try TestLog()
    log.logger { $0.redactionMarker = "<hidden \"x\">" }.info(
      "m", metadata: ["password": "p", "who": "\("alice", sensitivity: .sensitive)"])
    let v = try log.single()
    #expect(v["password"] == "<hidden \"x\">")
    #expect(v["who"] == "<hidden \"x\">")
  }

  // MARK: - Sensitivity attribute (SLG-0004)

  @Test func sensitiveValuesAreRedactedPublicOnesAreNot() throws {
    let log = try TestLog()
    var logger = log.logger()
    logger[metadataKey: "bound_email"] = "\("bound@example.com", sensitivity: .sensitive)"
    let card = 4_111_111_111_111_111
    logger.info(
      "attributes",
      metadata: [
        "email": "\("alice@example.com", sensitivity: .sensitive)",
        "mixed": "user \("bob", sensitivity: .sensitive) logged in",
        "number": "\(card, sensitivity: .sensitive)",
        "attributed": .attributed(12345, attributes: [Sensitivity.sensitive]),
        "region": "\("eu-west-1", sensitivity: .public)",
        "in_list": ["\("s1", sensitivity: .sensitive)", "plain"],
        "in_dict": ["inner": "\("s2", sensitivity: .sensitive)"],
        "plain": "\("interpolated") value",
      ])
    let raw = try #require(try log.lines().first)
    let v = try JSONValue.parse(raw)
    #expect(v["email"] == "[REDACTED]")
    #expect(v["mixed"] == "[REDACTED]")
    #expect(v["number"] == "[REDACTED]")
    #expect(v["attributed"] == "[REDACTED]")
    #expect(v["bound_email"] == "[REDACTED]")
    #expect(v["region"] == "eu-west-1")
    #expect(v["in_list"] == ["[REDACTED]", "plain"])
    #expect(v["in_dict"] == ["inner": "[REDACTED]"])
    #expect(v["plain"] == "interpolated value")
    for secret in ["alice@", "bound@", "bob", "4111", "12345", "s1", "s2"] {
      #expect(!raw.contains(secret), "\(secret): \(raw)")
    }
  }

  // MARK: - Value detectors

  @Test func aFullPolicyAppliesActionsAndFieldRulesAtTheSource() throws {
    let log = try TestLog()
    let policy = RedactionPolicy(
      detectors: [.init(EmailDetector(), action: .partial), .init(PaymentCardDetector(), action: .drop)],
      deniedFields: [.init(fields: [FieldPattern("customer.address")])], allowedFields: [FieldPattern("audit_email")])
    let logger = log.logger { $0.redaction = policy }
    logger.info(
      "refund for alice@example.com",
      metadata: [
        "card": "4111 1111 1111 1111", "audit_email": "ops@example.com",
        "customer": ["address": "1 Main St", "tier": "gold"],
      ])
    let v = try JSONValue.parse(try #require(try log.lines().first))
    #expect(v["message"] == "refund for [REDACTED:email:example.com]")
    #expect(v["card"] == nil)
    #expect(v["audit_email"] == "ops@example.com")
    #expect(v["customer"] == ["address": "[REDACTED:field]", "tier": "gold"])
  }

  @Test func emailDetectorRedactsMessageAndMetadataValues() throws {
    let log = try TestLog()
    var logger = log.logger { $0.valueDetectors = [EmailDetector()] }
    logger[metadataKey: "owner"] = "owner carol@example.net"
    logger.info(
      "contact alice@example.com",
      metadata: [
        "note": "mail bob@example.org, \"quoted\"\nnext", "nested": ["list": ["dave@example.io"]],
        "alice@example.com": "key names are not scanned", "count": .stringConvertible(3),
      ])
    logger.info("no address here", metadata: ["x": "y"])
    let lines = try log.lines()
    try #require(lines.count == 2)
    let v = try JSONValue.parse(lines[0])
    #expect(v["message"] == "contact [REDACTED:email]")
    #expect(v["note"] == "mail [REDACTED:email], \"quoted\"\nnext")
    #expect(v["nested"] == ["list": ["[REDACTED:email]"]])
    #expect(v["owner"] == "owner [REDACTED:email]")
    #expect(v["alice@example.com"] == "key names are not scanned")
    #expect(v["count"] == .int(3))
    #expect(
      keys(v) == [
        "timestamp", "level", "message", "logger", "service", "owner", "alice@example.com", "count", "nested", "note",
      ])
    #expect(!lines[0].contains("bob@") && !lines[0].contains("carol@") && !lines[0].contains("dave@"))
    let second = try JSONValue.parse(lines[1])
    #expect(second["message"] == "no address here")
    #expect(second["x"] == "y")
  }

  @Test func emailDetectorFindsEscapedAddressesAndWorksWithOtel() throws {
    let log = try TestLog()
    let logger = log.logger {
      $0.schema = .otel
      $0.valueDetectors = [EmailDetector()]
    }
    logger.info("\u{1}\"x\" eve@example.com\t", metadata: ["to": "\u{0}frank@example.com"])
    let v = try log.single()
    #expect(v["body"] == "\u{1}\"x\" [REDACTED:email]\t")
    #expect(v["attributes"]?["to"] == "\u{0}[REDACTED:email]")
  }

  struct WordDetector: Detector {
    let name: String
    let word: String
    func detect(in text: UnsafeRawBufferPointer, rule: Int, into matches: inout [DetectorMatch]) {
      let w = Array(word.utf8)
      var i = 0
      while i + w.count <= text.count {
        if text[i..<(i + w.count)].elementsEqual(w) {
          matches.append(DetectorMatch(range: i..<(i + w.count), rule: rule))
          i += w.count
        } else {
          i += 1
        }
      }
    }
  }

  /// Each handler's own detectors apply, even when handlers come and go on one thread.
  @Test func eachConfigurationUsesItsOwnDetectors() throws {
    let log = try TestLog()
    for round in 0..<40 {
      let useApple = round % 2 == 0
      let detector = WordDetector(name: useApple ? "apple" : "pear", word: useApple ? "apple" : "pear")
      let logger = log.logger { $0.valueDetectors = [detector] }
      logger.info("apple pear \(round)")
    }
    let v = try log.values()
    try #require(v.count == 40)
    for (round, line) in v.enumerated() {
      let expected = round % 2 == 0 ? "[REDACTED:apple] pear \(round)" : "apple [REDACTED:pear] \(round)"
      #expect(line["message"] == .string(expected))
    }
  }
}
