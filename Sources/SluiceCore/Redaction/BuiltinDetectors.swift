/// The built-in detectors by rule name, and which of them run by default.
public enum BuiltinDetectors {
  /// Every built-in rule name. Overlapping matches are resolved by position (the earliest,
  /// then the longest, wins), not by this order.
  public static let names = [
    "email", "card", "ssn", "iban", "phone", "ipv4", "ipv6", "jwt", "bearer", "aws_key", "private_key", "secret_pair",
    "url_credentials",
  ]

  /// The default set: every detector except IP addresses, which operators usually need in
  /// their logs (turn them on, or use `partial`, where they count as personal data).
  public static let defaultNames = names.filter { $0 != "ipv4" && $0 != "ipv6" }

  /// A new detector for `name`, or nil if there is none by that name.
  public static func make(_ name: String) -> (any Detector)? {
    switch name {
    case "email": return EmailDetector()
    case "card": return PaymentCardDetector()
    case "ssn": return SSNDetector()
    case "iban": return IBANDetector()
    case "phone": return PhoneDetector()
    case "ipv4": return IPv4Detector()
    case "ipv6": return IPv6Detector()
    case "jwt": return JWTDetector()
    case "bearer": return BearerTokenDetector()
    case "aws_key": return AWSKeyDetector()
    case "private_key": return PrivateKeyDetector()
    case "secret_pair": return SecretPairDetector()
    case "url_credentials": return URLCredentialsDetector()
    default: return nil
    }
  }

  /// Every built-in detector, in ``names`` order.
  public static var all: [any Detector] { names.compactMap(make) }
}
