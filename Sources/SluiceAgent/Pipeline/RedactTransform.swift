import SluiceCore

/// Builds the ``Redactor`` for a `type: redact` pipeline step.
enum RedactTransform {
  /// Detector names accepted in config.
  static let knownDetectors = ["email"]

  static func makeRedactor(_ config: TransformConfig) -> Redactor {
    let names = config.detectors ?? knownDetectors
    var detectors: [any Detector] = []
    for name in names {
      switch name {
      case "email": detectors.append(EmailDetector())
      default: break  // rejected by ConfigLoader.validate
      }
    }
    return Redactor(detectors: detectors)
  }
}
