/// What happens to a value (or the part of it) a rule matched.
public enum RedactionAction: String, Sendable, CaseIterable, Codable {
  /// Replaced by a typed marker: `[REDACTED:<rule>]`.
  case mask
  /// Replaced by a marker keeping a safe part: `[REDACTED:card:1111]`,
  /// `[REDACTED:email:example.com]` (what each detector keeps is in docs/redaction.md).
  /// Rules with nothing safe to keep (field rules, secrets) mask.
  case partial
  /// Replaced by a keyed digest, `[HASH:<rule>:<16 hex>]` (HMAC-SHA256 truncated to 64
  /// bits): equal values give equal digests, so events can still be joined on them, but the
  /// value cannot be recovered without the key.
  case hash
  /// The whole field (object member or array element) is removed. On an unparsed line,
  /// which has no fields, the match is masked instead.
  case drop
}

/// A keyed digest for the `hash` action. The agent provides HMAC-SHA256 (swift-crypto) with
/// a key read from a file or the environment.
public protocol RedactionHasher: Sendable {
  /// Appends the lower-case hex digest of `value` (16 characters).
  func appendDigest(of value: UnsafeRawBufferPointer, to out: inout [UInt8])
}

/// A field name or path a rule applies to, matched case-insensitively.
///
/// - A plain name (`password`, `api_key`) matches any field at any depth whose key equals it
///   or contains it as whole `_`/`-`/`.`-separated parts: `password` matches `Password`,
///   `db_password` and `password-hash`, not `passwords_count` (see ``SecretKeys``).
/// - A dotted path or a pattern with `*` is matched against the field's full path, keys
///   joined with `.` from the top (array elements take their array's path; a flat key such
///   as `user.email` and a nested `user` → `email` have the same path): `*` matches within
///   one key, `**` across any number of keys. `user.email`, `headers.*`, `**.token`,
///   `*_secret`.
public struct FieldPattern: Sendable, Hashable, CustomStringConvertible {
  public let pattern: String
  /// Lower-cased pattern bytes (path patterns only).
  let bytes: [UInt8]
  /// A plain name (matched by parts), not a path pattern.
  let isName: Bool

  public init(_ pattern: String) {
    self.pattern = pattern
    isName = !pattern.contains(".") && !pattern.contains("*")
    bytes = Array(pattern.utf8).map { $0 >= 65 && $0 <= 90 ? $0 | 0x20 : $0 }
  }

  public var description: String { pattern }

  /// Glob match of a lower-cased path: `*` within a key, `**` across keys.
  static func globMatch(_ p: [UInt8], _ s: UnsafeRawBufferPointer) -> Bool {
    p.withUnsafeBufferPointer { p in match(p, 0, s, 0) }
  }

  private static func match(_ p: UnsafeBufferPointer<UInt8>, _ pi: Int, _ s: UnsafeRawBufferPointer, _ si: Int) -> Bool
  {
    var pi = pi
    var si = si
    while pi < p.count {
      let c = p[pi]
      if c == UInt8(ascii: "*") {
        let double = pi + 1 < p.count && p[pi + 1] == UInt8(ascii: "*")
        var next = pi + (double ? 2 : 1)
        // `**.` also matches nothing at all (`**.token` matches `token`).
        if double && next < p.count && p[next] == UInt8(ascii: ".") {
          if match(p, next + 1, s, si) { return true }
          next = pi + 2
        }
        var k = si
        while true {
          if match(p, next, s, k) { return true }
          if k == s.count || (!double && s[k] == UInt8(ascii: ".")) { return false }
          k += 1
        }
      }
      guard si < s.count, s[si] == c else { return false }
      pi += 1
      si += 1
    }
    return si == s.count
  }
}

/// What the ``Redactor`` does: which detectors run with which action, which fields are
/// replaced whole (deny-list), which are never scanned (allow-list).
public struct RedactionPolicy: Sendable {
  /// A value detector and what to do with its matches.
  public struct DetectorRule: Sendable {
    public var detector: any Detector
    public var action: RedactionAction
    /// Fields it scans; empty: every field (and unparsed lines).
    public var fields: [FieldPattern]

    public init(_ detector: any Detector, action: RedactionAction = .mask, fields: [FieldPattern] = []) {
      self.detector = detector
      self.action = action
      self.fields = fields
    }
  }

  /// Fields whose whole value is replaced (whatever its type, objects and arrays included).
  public struct FieldRule: Sendable {
    /// The rule name (marker and metric label).
    public var name: String
    public var fields: [FieldPattern]
    public var action: RedactionAction

    public init(name: String = "field", fields: [FieldPattern], action: RedactionAction = .mask) {
      self.name = name
      self.fields = fields
      self.action = action
    }
  }

  public var detectors: [DetectorRule]
  public var deniedFields: [FieldRule]
  /// Fields never scanned (and never replaced by a detector; a deny rule still applies).
  public var allowedFields: [FieldPattern]
  /// For the `hash` action; without one, `hash` masks.
  public var hasher: (any RedactionHasher)?

  public init(
    detectors: [DetectorRule], deniedFields: [FieldRule] = [], allowedFields: [FieldPattern] = [],
    hasher: (any RedactionHasher)? = nil
  ) {
    self.detectors = detectors
    self.deniedFields = deniedFields
    self.allowedFields = allowedFields
    self.hasher = hasher
  }

  /// What the agent's `redact` step does with no options: every default detector
  /// (``BuiltinDetectors/defaultNames``) and the deny-list (``SecretKeys/defaultNames``,
  /// rule `field`) mask, and ``defaultAllowedFields`` are skipped.
  public static var `default`: RedactionPolicy {
    RedactionPolicy(
      detectors: BuiltinDetectors.defaultNames.compactMap(BuiltinDetectors.make).map { DetectorRule($0) },
      deniedFields: [FieldRule(name: "field", fields: SecretKeys.defaultNames.map(FieldPattern.init))],
      allowedFields: defaultAllowedFields.map(FieldPattern.init))
  }

  /// Fields that carry ids meant for correlation, and timestamps: never scanned by default.
  /// Plain names only, so that no path has to be tracked (ECS's nested `trace.id` is scanned;
  /// add the path pattern to skip it).
  public static let defaultAllowedFields = [
    "request_id", "trace_id", "span_id", "traceId", "spanId", "timestamp", "@timestamp", "time", "ts",
  ]
}
