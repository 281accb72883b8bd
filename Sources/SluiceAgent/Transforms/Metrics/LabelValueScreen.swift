import SluiceCore

/// The run-time half of the cardinality guard for label values: a value that any built-in
/// redaction detector (IP addresses included) would redact is never exported; it becomes
/// ``redacted``. Runs once per new label set, not per event.
struct LabelValueScreen {
  static let redacted = "__redacted__"
  static let overflow = "__overflow__"

  private var redactor = Redactor(
    policy: RedactionPolicy(
      detectors: BuiltinDetectors.all.map { .init($0) }, deniedFields: [], allowedFields: []))
  private var event = Event()
  private var buffer: [UInt8] = []
  private let scanner = JSONScanner()

  /// The value to export for `value`.
  mutating func screen(_ value: String) -> String {
    guard !value.isEmpty else { return value }
    buffer.removeAll(keepingCapacity: true)
    JSONWriter.appendRaw("{\"v\":", to: &buffer)
    JSONWriter.appendString(value, to: &buffer)
    buffer.append(UInt8(ascii: "}"))
    buffer.withUnsafeBytes { event.load($0) }
    event.parse(using: scanner)
    return redactor.redact(&event, scanner: scanner) > 0 ? Self.redacted : value
  }
}
