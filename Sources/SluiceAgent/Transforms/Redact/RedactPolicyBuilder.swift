import SluiceCore

/// Builds the ``Redactor`` of a `type: redact` pipeline step from its configuration.
///
/// Everything that can be wrong in the step's settings (an unknown detector, an invalid
/// regular expression, a `hash` action without a readable key) is found here, at load time,
/// and reported with its configuration path.
enum RedactPolicyBuilder {
  /// Detector names accepted in config.
  static var knownDetectors: [String] { BuiltinDetectors.names }

  /// The policy of a step, or nil if its settings are wrong; every problem found (each
  /// unknown detector, each bad pattern name or regular expression, an unusable hash key)
  /// is added to `issues`.
  static func makePolicy(_ c: RedactSettings, at path: String, into issues: inout ConfigIssues) -> RedactionPolicy? {
    let problemsBefore = issues.errors.count
    let defaultAction = c.action ?? .mask
    var rules: [RedactionPolicy.DetectorRule] = []
    let settings = c.detectors ?? BuiltinDetectors.defaultNames.map { .init(name: $0) }
    for (k, s) in settings.enumerated() {
      guard let detector = BuiltinDetectors.make(s.name) else {
        issues.add(
          "\(path).detectors[\(k)]", "unknown detector '\(s.name)' (known: \(knownDetectors.joined(separator: ", ")))")
        continue
      }
      rules.append(.init(detector, action: s.action ?? defaultAction, fields: (s.fields ?? []).map(FieldPattern.init)))
    }
    let patterns = c.patterns ?? []
    for (k, p) in patterns.enumerated() {
      if p.name.isEmpty
        || !p.name.utf8.allSatisfy({ $0 >= 0x21 && $0 < 0x7F && $0 != 0x22 && $0 != 0x5C && $0 != 0x5D })
      {
        issues.add("\(path).patterns[\(k)].name", "must be a non-empty ASCII word")
      }
      do {
        let d = try PatternDetector(name: p.name, pattern: p.regex)
        rules.append(.init(d, action: p.action ?? defaultAction, fields: (p.fields ?? []).map(FieldPattern.init)))
      } catch {
        issues.add("\(path).patterns[\(k)].regex", "\(error)")
      }
    }
    let deny = c.denyFields ?? SecretKeys.defaultNames
    let denied: [RedactionPolicy.FieldRule] =
      deny.isEmpty
      ? [] : [.init(name: "field", fields: deny.map(FieldPattern.init), action: c.denyAction ?? .mask)]
    let allowed = (c.allowFields ?? RedactionPolicy.defaultAllowedFields).map(FieldPattern.init)
    var hasher: (any RedactionHasher)?
    // From the configured actions, not `rules`: a misspelt detector that hashes still needs the key.
    let actions = settings.map { $0.action ?? defaultAction } + patterns.map { $0.action ?? defaultAction }
    let hashing = actions.contains(.hash) || denied.contains { $0.action == .hash }
    if hashing || c.hashKeyFile != nil || c.hashKeyEnv != nil {
      do {
        hasher = try HMACHasher(file: c.hashKeyFile, env: c.hashKeyEnv)
      } catch {
        issues.add("\(path).hash_key_file", "\(error)")
      }
    }
    guard issues.errors.count == problemsBefore else { return nil }
    return RedactionPolicy(detectors: rules, deniedFields: denied, allowedFields: allowed, hasher: hasher)
  }

  /// The policy of a step. Throws the first problem ``makePolicy(_:at:into:)`` finds.
  static func makePolicy(_ config: RedactSettings, at path: String) throws(ConfigError) -> RedactionPolicy {
    var issues = ConfigIssues()
    guard let policy = makePolicy(config, at: path, into: &issues) else { throw issues.errors[0] }
    return policy
  }

  static func makeRedactor(_ config: RedactSettings, at path: String = "pipeline") throws(ConfigError) -> Redactor {
    Redactor(policy: try makePolicy(config, at: path))
  }
}
