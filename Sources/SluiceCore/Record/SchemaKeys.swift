/// The field names that carry a record's timestamp, level and message in the schemas
/// Sluice reads: its own default, Elastic Common Schema, OpenTelemetry, and the common
/// spellings of other loggers (zap, logrus, bunyan, pino, slog).
public enum SchemaKeys {
  /// Tried in order; a dotted name is tried as one key first, then as a nested path.
  public static let level = ["level", "log.level", "severity_text", "severity", "lvl", "loglevel"]
  /// Numeric severities (OpenTelemetry's 1–24 scale).
  public static let severityNumber = ["severity_number"]
  public static let timestamp = ["timestamp", "@timestamp", "time", "ts", "time_unix_nano"]
  public static let message = ["message", "msg", "body"]
}
