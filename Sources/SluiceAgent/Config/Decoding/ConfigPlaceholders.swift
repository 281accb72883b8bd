import Yams

// Placeholders for list elements that could not be decoded, so the rest of the list is still
// decoded and checked (and keeps its indices, which the messages name). Each is a real kind
// read from a minimal mapping; its own path is marked failed, so nothing is reported about it.

extension SourceConfig: ConfigPlaceholder {
  static var configPlaceholder: SourceConfig {
    SourceConfig(try! YAMLDecoder().decode(FileSourceConfig.self, from: "{name: '', include: []}"))
  }
}

extension SinkConfig: ConfigPlaceholder {
  static var configPlaceholder: SinkConfig {
    try! YAMLDecoder().decode(SinkConfig.self, from: "{name: '', type: console}")
  }
}

extension TransformConfig: ConfigPlaceholder {
  /// A step no other step depends on, under a name no step can have.
  static var configPlaceholder: TransformConfig {
    TransformConfig(FilterSettings(keep: "level>=trace"), name: "\u{0}")
  }
}
