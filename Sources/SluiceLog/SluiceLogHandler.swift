import Logging
import SluiceCore

/// A swift-log backend that writes one JSON object per line.
///
/// ```swift
/// LoggingSystem.bootstrap { label in SluiceLogHandler(label: label, service: "checkout") }
/// ```
///
/// Key order is stable: `timestamp` (RFC 3339, UTC, microseconds), `level`, `message`,
/// `logger`, `service`, then metadata (sorted by key), then `error.type`/`error.message`.
/// Integers, floating point numbers and booleans passed as metadata are written as JSON
/// numbers and booleans; nested dictionaries and arrays as objects and arrays.
public struct SluiceLogHandler: LogHandler {
  public var logLevel: Logger.Level = .info
  public var metadata: Logger.Metadata = [:]
  public var metadataProvider: Logger.MetadataProvider?
  public let label: String
  public let service: String?
  public let output: LogOutput

  public init(
    label: String, service: String? = nil, output: LogOutput = .stdout,
    metadataProvider: Logger.MetadataProvider? = LoggingSystem.metadataProvider
  ) {
    self.label = label
    self.service = service
    self.output = output
    self.metadataProvider = metadataProvider
  }

  public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
    get { metadata[key] }
    set { metadata[key] = newValue }
  }

  public func log(event: LogEvent) {
    var merged = metadata
    if let provided = metadataProvider?.get() {
      merged.merge(provided) { _, new in new }
    }
    if let extra = event.metadata {
      merged.merge(extra) { _, new in new }
    }
    var out: [UInt8] = []
    out.reserveCapacity(256)
    out.append(UInt8(ascii: "{"))
    JSONWriter.appendRaw("\"timestamp\":\"", to: &out)
    RFC3339.appendMicroseconds(RFC3339.nowNanoseconds(), to: &out)
    JSONWriter.appendRaw("\",\"level\":", to: &out)
    JSONWriter.appendString(Self.levelName(event.level), to: &out)
    JSONWriter.appendRaw(",\"message\":", to: &out)
    JSONWriter.appendString(event.message.description, to: &out)
    JSONWriter.appendRaw(",\"logger\":", to: &out)
    JSONWriter.appendString(label, to: &out)
    if let service {
      JSONWriter.appendRaw(",\"service\":", to: &out)
      JSONWriter.appendString(service, to: &out)
    }
    for key in merged.keys.sorted() {
      out.append(UInt8(ascii: ","))
      JSONWriter.appendString(key, to: &out)
      out.append(UInt8(ascii: ":"))
      Self.write(merged[key]!, to: &out)
    }
    if let error = event.error {
      JSONWriter.appendRaw(",\"error.type\":", to: &out)
      JSONWriter.appendString(String(reflecting: type(of: error)), to: &out)
      JSONWriter.appendRaw(",\"error.message\":", to: &out)
      JSONWriter.appendString(String(describing: error), to: &out)
    }
    out.append(UInt8(ascii: "}"))
    out.append(UInt8(ascii: "\n"))
    out.withUnsafeBytes { output.write($0) }
  }

  static func levelName(_ level: Logger.Level) -> String {
    switch level {
    case .trace: "trace"
    case .debug: "debug"
    case .info: "info"
    case .notice: "notice"
    case .warning: "warning"
    case .error: "error"
    case .critical: "critical"
    }
  }

  /// Writes a metadata value with its natural JSON type.
  static func write(_ value: Logger.MetadataValue, to out: inout [UInt8]) {
    switch value {
    case .string(let s):
      JSONWriter.appendString(s, to: &out)
    case .stringConvertible(let c):
      switch c {
      case let b as Bool: JSONWriter.appendBool(b, to: &out)
      case let i as Int: JSONWriter.appendInt(Int64(i), to: &out)
      case let i as Int64: JSONWriter.appendInt(i, to: &out)
      case let i as Int32: JSONWriter.appendInt(Int64(i), to: &out)
      case let u as UInt: JSONWriter.appendUInt(UInt64(u), to: &out)
      case let u as UInt64: JSONWriter.appendUInt(u, to: &out)
      case let d as Double: JSONWriter.appendDouble(d, to: &out)
      case let f as Float: JSONWriter.appendDouble(Double(f), to: &out)
      default: JSONWriter.appendString(c.description, to: &out)
      }
    case .dictionary(let dict):
      out.append(UInt8(ascii: "{"))
      for (k, key) in dict.keys.sorted().enumerated() {
        if k > 0 { out.append(UInt8(ascii: ",")) }
        JSONWriter.appendString(key, to: &out)
        out.append(UInt8(ascii: ":"))
        write(dict[key]!, to: &out)
      }
      out.append(UInt8(ascii: "}"))
    case .array(let items):
      out.append(UInt8(ascii: "["))
      for (k, item) in items.enumerated() {
        if k > 0 { out.append(UInt8(ascii: ",")) }
        write(item, to: &out)
      }
      out.append(UInt8(ascii: "]"))
    }
  }
}
