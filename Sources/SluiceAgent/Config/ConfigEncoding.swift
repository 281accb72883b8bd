import SluiceCore

// How the effective configuration is written back out (`sluice validate --print`,
// `sluice agent --print-config`): every key with its value after defaults, in the shape the
// file takes, so the output is itself a valid configuration. Types whose synthesized form
// would not read back (tuples, enums with payloads, the envelopes) write themselves here.

extension AgentConfig {
  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(dataDir, forKey: .dataDir)
    try c.encode(sources, forKey: .sources)
    try c.encode(pipeline, forKey: .pipeline)
    try c.encode(sinks, forKey: .sinks)
    try c.encode(admin, forKey: .admin)
    try c.encode(shutdownGrace, forKey: .shutdownGrace)
    try c.encode(checkpointInterval, forKey: .checkpointInterval)
  }
}

extension SourceConfig {
  /// `type:` first, then the kind's own keys (`name` among them).
  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: EnvelopeKeys.self)
    try c.encode(type, forKey: .type)
    try settings.encode(to: encoder)
  }
}

extension TransformConfig {
  /// `type:` and `name:` (the default name too), then the kind's own keys.
  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: EnvelopeKeys.self)
    try c.encode(type, forKey: .type)
    try c.encode(name, forKey: .name)
    try settings.encode(to: encoder)
  }
}

extension ParseSettings {
  public func encode(to encoder: any Encoder) throws {}
}

extension JournalPriority {
  public func encode(to encoder: any Encoder) throws {
    var c = encoder.singleValueContainer()
    try c.encode(value)
  }
}

extension JournaldSourceConfig {
  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(name, forKey: .name)
    try c.encodeIfPresent(path, forKey: .path)
    try c.encode(units, forKey: .units)
    try c.encode(identifiers, forKey: .identifiers)
    try c.encodeIfPresent(priority, forKey: .priority)
    try c.encode(matches, forKey: .matches)
    try c.encode(readFrom, forKey: .readFrom)
    if fields.allSatisfy({ $0.key == Self.defaultKey(for: $0.field) }) {
      // The list form keeps the order (the map form is read in name order).
      try c.encode(fields.map(\.field), forKey: .fields)
    } else {
      var map = c.nestedContainer(keyedBy: AnyCodingKey.self, forKey: .fields)
      for f in fields { try map.encode(f.key, forKey: AnyCodingKey(stringValue: f.field)) }
    }
    try c.encode(maxFieldBytes, forKey: .maxFieldBytes)
    try c.encodeIfPresent(multiline, forKey: .multiline)
  }
}

extension MetricRule {
  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(name, forKey: .name)
    try c.encode(type, forKey: .type)
    try c.encodeIfPresent(help, forKey: .help)
    try c.encodeIfPresent(match, forKey: .match)
    var map = c.nestedContainer(keyedBy: AnyCodingKey.self, forKey: .labels)
    for (label, source) in labels { try map.encode(source, forKey: AnyCodingKey(stringValue: label)) }
    try c.encodeIfPresent(field, forKey: .field)
    try c.encodeIfPresent(scale, forKey: .scale)
    try c.encodeIfPresent(buckets, forKey: .buckets)
    try c.encodeIfPresent(maxSeries, forKey: .maxSeries)
  }
}

extension SetFieldsSettings {
  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    var map = c.nestedContainer(keyedBy: AnyCodingKey.self, forKey: .fields)
    for (key, value) in fields { try map.encode(EncodableJSON(value), forKey: AnyCodingKey(stringValue: key)) }
    try c.encode(overwrite, forKey: .overwrite)
  }
}

/// A ``JSONValue`` written as the YAML value a `set` step reads back.
struct EncodableJSON: Encodable {
  var value: JSONValue
  init(_ value: JSONValue) { self.value = value }

  func encode(to encoder: any Encoder) throws {
    switch value {
    case .null:
      var c = encoder.singleValueContainer()
      try c.encodeNil()
    case .bool(let b):
      var c = encoder.singleValueContainer()
      try c.encode(b)
    case .int(let i):
      var c = encoder.singleValueContainer()
      try c.encode(i)
    case .double(let d):
      var c = encoder.singleValueContainer()
      try c.encode(d)
    case .string(let s):
      var c = encoder.singleValueContainer()
      try c.encode(s)
    case .array(let items):
      var c = encoder.unkeyedContainer()
      for item in items { try c.encode(EncodableJSON(item)) }
    case .object(let members):
      var c = encoder.container(keyedBy: AnyCodingKey.self)
      for m in members { try c.encode(EncodableJSON(m.value), forKey: AnyCodingKey(stringValue: m.key)) }
    }
  }
}

extension RedactSettings {
  /// `detectors` in the map form (`{email: {action: hash}}`), which carries every setting.
  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    if let detectors {
      var map = c.nestedContainer(keyedBy: AnyCodingKey.self, forKey: .detectors)
      for d in detectors {
        var one = map.nestedContainer(
          keyedBy: DetectorSettings.SettingsKeys.self, forKey: AnyCodingKey(stringValue: d.name))
        try one.encodeIfPresent(d.action, forKey: .action)
        try one.encodeIfPresent(d.fields, forKey: .fields)
      }
    }
    try c.encodeIfPresent(action, forKey: .action)
    try c.encodeIfPresent(denyFields, forKey: .denyFields)
    try c.encodeIfPresent(denyAction, forKey: .denyAction)
    try c.encodeIfPresent(allowFields, forKey: .allowFields)
    try c.encodeIfPresent(patterns, forKey: .patterns)
    try c.encodeIfPresent(hashKeyFile, forKey: .hashKeyFile)
    try c.encodeIfPresent(hashKeyEnv, forKey: .hashKeyEnv)
  }
}
