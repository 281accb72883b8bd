import SluiceCore

/// Builds the ``Redactor`` of a `type: redact` pipeline step from its configuration.
///
/// Everything that can be wrong in the step's settings (an unknown detector, an invalid
/// regular expression, a `hash` action without a readable key) is found here, at load time,
/// and reported with its configuration path.
enum RedactPolicyBuilder {
  /// Detector names accepted in config.
  static var knownDetectors: [String] { BuiltinDetectors.names }

  static func makePolicy(_ config: RedactSettings, at path: String) throws(ConfigError) -> RedactionPolicy {
    let defaultAction = config.action ?? .mask
    var rules: [RedactionPolicy.DetectorRule] = []
    let settings = config.detectors ?? BuiltinDetectors.defaultNames.map { .init(name: $0) }
    for (k, s) in settings.enumerated() {
      guard let detector = BuiltinDetectors.make(s.name) else {
        throw ConfigError(
          path: "\(path).detectors[\(k)]",
          message: "unknown detector '\(s.name)' (known: \(knownDetectors.joined(separator: ", ")))")
      }
      rules.append(.init(detector, action: s.action ?? defaultAction, fields: (s.fields ?? []).map(FieldPattern.init)))
    }
    for (k, p) in (config.patterns ?? []).enumerated() {
      guard !p.name.isEmpty,
        p.name.utf8.allSatisfy({ $0 >= 0x21 && $0 < 0x7F && $0 != 0x22 && $0 != 0x5C && $0 != 0x5D })
      else {
        throw ConfigError(path: "\(path).patterns[\(k)].name", message: "must be a non-empty ASCII word")
      }
      do {
        let d = try PatternDetector(name: p.name, pattern: p.regex)
        rules.append(.init(d, action: p.action ?? defaultAction, fields: (p.fields ?? []).map(FieldPattern.init)))
      } catch {
        throw ConfigError(path: "\(path).patterns[\(k)].regex", message: "\(error)")
      }
    }
    let deny = config.denyFields ?? SecretKeys.defaultNames
    let denied: [RedactionPolicy.FieldRule] =
      deny.isEmpty
      ? [] : [.init(name: "field", fields: deny.map(FieldPattern.init), action: config.denyAction ?? .mask)]
    let allowed = (config.allowFields ?? RedactionPolicy.defaultAllowedFields).map(FieldPattern.init)
    var hasher: (any RedactionHasher)?
    let hashing = rules.contains { $0.action == .hash } || denied.contains { $0.action == .hash }
    if hashing || config.hashKeyFile != nil || config.hashKeyEnv != nil {
      do {
        hasher = try HMACHasher(file: config.hashKeyFile, env: config.hashKeyEnv)
      } catch {
        throw ConfigError(path: "\(path).hash_key_file", message: "\(error)")
      }
    }
    return RedactionPolicy(detectors: rules, deniedFields: denied, allowedFields: allowed, hasher: hasher)
  }

  static func makeRedactor(_ config: RedactSettings, at path: String = "pipeline") throws(ConfigError) -> Redactor {
    Redactor(policy: try makePolicy(config, at: path))
  }
}
