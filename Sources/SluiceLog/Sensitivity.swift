import Logging

/// The swift-log metadata attribute of SLG-0004 that marks a value as sensitive.
/// SluiceLog writes a value carrying `.sensitive` as the redaction marker.
///
/// ```swift
/// logger.info("login", metadata: ["user": "\(email, sensitivity: .sensitive)"])
/// ```
public enum Sensitivity: Int64, Logger.MetadataValueAttributes.Attribute, Sendable {
  case sensitive = 1
  case `public` = 2
}

extension Logger.MetadataValue.StringInterpolation {
  /// Interpolates a value with a sensitivity attribute.
  public mutating func appendInterpolation<T: CustomStringConvertible & Sendable>(
    _ value: T, sensitivity: Sensitivity
  ) {
    self.appendInterpolation(value, attributes: { $0[Sensitivity.self] = sensitivity })
  }
}
