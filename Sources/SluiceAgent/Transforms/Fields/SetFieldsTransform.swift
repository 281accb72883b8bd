import SluiceCore

/// `type: set`: adds fields with fixed values to every event (`cluster: prod`).
///
/// Keys are written as given, at top level (a dotted key such as `k8s.cluster.name` is one
/// flat key, as OpenTelemetry writes attributes). With `overwrite: true` (the default) an
/// event's existing value at that key or dotted path is replaced; with `false` it is kept.
public struct SetFieldsSettings: TransformSettings, Equatable {
  public static let typeName = "set"

  /// Key → value, in the order written.
  public var fields: [(String, JSONValue)]
  public var overwrite: Bool

  enum CodingKeys: String, CodingKey, CaseIterable { case fields, overwrite }

  public init(fields: [(String, JSONValue)], overwrite: Bool = true) {
    self.fields = fields
    self.overwrite = overwrite
  }

  public init(from decoder: any Decoder) throws {
    try decoder.rejectUnknownTransformKeys(CodingKeys.self)
    let c = try decoder.container(keyedBy: CodingKeys.self)
    let map = try c.nestedContainer(keyedBy: AnyCodingKey.self, forKey: .fields)
    fields = try map.allKeys.map { ($0.stringValue, try map.decode(ConfigJSONValue.self, forKey: $0).value) }
    overwrite = try c.decodeIfPresent(Bool.self, forKey: .overwrite) ?? true
  }

  public static func == (a: SetFieldsSettings, b: SetFieldsSettings) -> Bool {
    a.overwrite == b.overwrite && a.fields.elementsEqual(b.fields) { $0.0 == $1.0 && $0.1 == $1.1 }
  }

  public func validate(at path: String, in pipeline: PipelineContext, into issues: inout ConfigIssues) {
    if fields.isEmpty {
      issues.add("\(path).fields", "must set at least one field")
    } else if fields.contains(where: { $0.0.isEmpty }) {
      issues.add("\(path).fields", "a field name must not be empty")
    }
    issues.collect { () throws(ConfigError) in try pipeline.requireStructuredEvents(at: path) }
  }

  public func makeTransform(_ context: TransformBuildContext) -> any EventTransform {
    SetFieldsTransform(fields: fields, overwrite: overwrite, scanner: context.scanner)
  }
}

final class SetFieldsTransform: EventTransform {
  private let keys: [String]
  /// Per field: `"key":value`, pre-encoded.
  private let members: [[UInt8]]
  /// Every member, comma-separated: what is appended when the event has none of the keys.
  private let allMembers: [UInt8]
  private let overwrite: Bool
  private let scanner: JSONScanner
  private var pending: [UInt8] = []

  init(fields: [(String, JSONValue)], overwrite: Bool, scanner: JSONScanner) {
    keys = fields.map(\.0)
    members = fields.map { key, value in
      var out: [UInt8] = []
      JSONWriter.appendString(key, to: &out)
      out.append(UInt8(ascii: ":"))
      value.write(to: &out)
      return out
    }
    allMembers = Array(members.joined(separator: [UInt8(ascii: ",")]))
    self.overwrite = overwrite
    self.scanner = scanner
  }

  func apply(_ event: inout Event, _ line: LineContext) -> Bool {
    guard event.isStructured else { return true }
    var present = false
    for key in keys where event.valueIndex(at: key) != nil {
      present = true
      break
    }
    if !present {
      allMembers.withUnsafeBytes { event.appendMembers(encoded: $0, scanner: scanner) }
      return true
    }
    pending.removeAll(keepingCapacity: true)
    for (key, member) in zip(keys, members) {
      if event.valueIndex(at: key) != nil {
        if !overwrite { continue }
        event.removeMembers(at: key, scanner: scanner)
      }
      if !pending.isEmpty { pending.append(UInt8(ascii: ",")) }
      pending.append(contentsOf: member)
    }
    pending.withUnsafeBytes { event.appendMembers(encoded: $0, scanner: scanner) }
    return true
  }
}
