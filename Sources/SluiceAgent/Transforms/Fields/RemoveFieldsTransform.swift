import SluiceCore

/// `type: remove`: removes fields from every event (`debug_payload`, `http.request.body`).
/// A name is a top-level key or a dotted path into nested objects; every member with that
/// key is removed (duplicates included). Events without the field pass unchanged, at the
/// cost of one lookup per field.
public struct RemoveFieldsSettings: TransformSettings, Equatable {
  public static let typeName = "remove"

  public var fields: [String]

  enum CodingKeys: String, CodingKey, CaseIterable { case fields }

  public init(fields: [String]) { self.fields = fields }

  public init(from decoder: any Decoder) throws {
    try decoder.rejectUnknownTransformKeys(CodingKeys.self)
    let c = try decoder.container(keyedBy: CodingKeys.self)
    fields = try c.decode([String].self, forKey: .fields)
  }

  public func validate(at path: String, in pipeline: PipelineContext, into issues: inout ConfigIssues) {
    if fields.isEmpty { issues.add("\(path).fields", "must name at least one field") }
    for (k, f) in fields.enumerated() where f.isEmpty || f.hasPrefix(".") || f.hasSuffix(".") {
      issues.add("\(path).fields[\(k)]", "'\(f)' is not a field name or dotted path")
    }
    issues.collect { () throws(ConfigError) in try pipeline.requireStructuredEvents(at: path) }
  }

  public func makeTransform(_ context: TransformBuildContext) -> any EventTransform {
    RemoveFieldsTransform(fields: fields, scanner: context.scanner)
  }
}

final class RemoveFieldsTransform: EventTransform {
  private let fields: [String]
  private let scanner: JSONScanner

  init(fields: [String], scanner: JSONScanner) {
    self.fields = fields
    self.scanner = scanner
  }

  func apply(_ event: inout Event, _ line: LineContext) -> Bool {
    for f in fields { event.removeMembers(at: f, scanner: scanner) }
    return true
  }
}
