/// The built-in detectors by rule name, and which of them run by default.
public enum BuiltinDetectors {
  /// Every built-in rule name, in the order they run.
  public static let names = ["email"]

  /// The default set: every detector except IP addresses, which operators usually need in
  /// their logs (turn them on, or use `partial`, where they count as personal data).
  public static let defaultNames = names.filter { $0 != "ipv4" && $0 != "ipv6" }

  /// A new detector for `name`, or nil if there is none by that name.
  public static func make(_ name: String) -> (any Detector)? {
    switch name {
    case "email": return EmailDetector()
    default: return nil
    }
  }

  /// Every built-in detector, in ``names`` order.
  public static var all: [any Detector] { names.compactMap(make) }
}
