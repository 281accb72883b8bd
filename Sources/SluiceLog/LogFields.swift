import Logging
import SluiceCore

/// Typed fields for a hot call site: they go straight to ``SluiceLogHandler`` without
/// swift-log's metadata dictionary, each value encoded as JSON when it is added, so ten
/// fields cost neither a dictionary, nor hashing, nor an allocation (in the spirit of zap's
/// and zerolog's typed fields).
///
/// ```swift
/// logger.info("request completed") { f in
///   f.string("method", "GET")
///   f.int("status", 200)
///   f.double("duration_ms", 12.5)
///   f.bool("cache_hit", true)
///   f.sensitive("card", cardNumber)   // written as the redaction marker; never kept
/// }
/// ```
///
/// A line written with typed fields is the line the same fields given as metadata would
/// give: same schema, keys sorted the same way, secret keys and value detectors applied,
/// bound, provided and context fields merged the same way (the call's fields win). A key
/// given twice keeps its last value. Through a handler other than ``SluiceLogHandler`` the
/// fields become ordinary metadata.
public struct LogFields: ~Copyable {
  /// The thread's field state, valid for the duration of the call.
  let state: UnsafeMutablePointer<FieldState>

  init(_ state: UnsafeMutablePointer<FieldState>) { self.state = state }

  /// A string, escaped as JSON.
  public mutating func string(_ key: String, _ value: String) {
    add(key, { JSONWriter.appendString(value, to: &$0.values) }, kept: .string(value))
  }

  /// An integer, written as a JSON number.
  public mutating func int(_ key: String, _ value: Int) { int64(key, Int64(value)) }

  /// An integer, written as a JSON number. Integers wider than 64 bits that do not fit are
  /// written as their decimal string.
  public mutating func int<T: BinaryInteger>(_ key: String, _ value: T) {
    if let v = Int64(exactly: value) {
      int64(key, v)
    } else if let v = UInt64(exactly: value) {
      add(key, { JSONWriter.appendUInt(v, to: &$0.values) }, kept: .stringConvertible(v))
    } else {
      string(key, String(value))
    }
  }

  private mutating func int64(_ key: String, _ value: Int64) {
    add(key, { JSONWriter.appendInt(value, to: &$0.values) }, kept: .stringConvertible(value))
  }

  /// A floating-point number, written as a JSON number (NaN and the infinities as the
  /// strings `"NaN"`, `"Infinity"` and `"-Infinity"`, as in metadata).
  public mutating func double(_ key: String, _ value: Double) {
    add(key, { JSONWriter.appendDouble(value, to: &$0.values) }, kept: .stringConvertible(value))
  }

  /// A boolean.
  public mutating func bool(_ key: String, _ value: Bool) {
    add(key, { JSONWriter.appendBool(value, to: &$0.values) }, kept: .stringConvertible(value))
  }

  /// A value that must never be written: the line carries the redaction marker instead, and
  /// the value itself is not kept (not even for a handler other than ``SluiceLogHandler``).
  public mutating func sensitive(_ key: String, _ value: some Any) {
    add(key, { $0.appendMarker() }, kept: .string(SluiceLogHandler.Configuration.defaultRedactionMarker))
  }

  /// A value's `description`, as a string.
  public mutating func describing(_ key: String, _ value: some CustomStringConvertible) {
    string(key, value.description)
  }

  /// Any metadata value (dictionaries and arrays included), written as metadata is.
  public mutating func value(_ key: String, _ value: Logger.MetadataValue) {
    add(key, { $0.appendMetadata(value) }, kept: value)
  }

  /// Adds field `key`: its value appended to ``FieldState/values`` by `encode` for
  /// ``SluiceLogHandler`` (unless the key is a secret: then the marker), or kept as `kept`
  /// for another handler.
  @inline(__always)
  private mutating func add(
    _ key: String, _ encode: (inout FieldState) -> Void, kept: @autoclosure () -> Logger.MetadataValue
  ) {
    let s = state
    if s.pointee.encoding {
      if s.pointee.begin(key) { encode(&s.pointee) }
      s.pointee.end()
    } else {
      s.pointee.slots.append(FieldSlot(key: key, value: kept()))
    }
  }

  /// How many fields have been added.
  public var count: Int { state.pointee.encoding ? state.pointee.count : state.pointee.slots.count }
}

/// One typed field kept as a value (for handlers other than ``SluiceLogHandler``).
struct FieldSlot {
  var key: String
  var value: Logger.MetadataValue
}
