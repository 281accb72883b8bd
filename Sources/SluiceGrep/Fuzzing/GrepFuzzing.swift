import SluiceCore

/// Fuzz entry points of the grep engine (see ``CoreFuzzing``): each returns the property it
/// found broken, or nil.
public enum GrepFuzzing {
  /// The logfmt converter: what it accepts becomes valid JSON.
  public static func logfmt(_ data: UnsafeRawBufferPointer) -> String? {
    var converter = LogfmtConverter()
    guard converter.convert(data) else { return nil }
    if !converter.json.withUnsafeBytes({ JSONScanner().isValid($0) }) {
      return "logfmt became invalid JSON: \(String(decoding: converter.json, as: UTF8.self))"
    }
    return nil
  }
}
