import Foundation

extension SinkConfig {
  /// Checks what decoding cannot (the keys its type needs, ranges, keys that only some types
  /// take, TLS files, encoding settings), adding every problem found to `issues` rather than
  /// stopping at the first. `path` is where this sink sits in the file, e.g. `sinks[1]`.
  ///
  /// A problem that follows from one already reported is not reported again: a missing URL
  /// is not also an invalid one, and the TLS settings of a sink that may not have TLS at all
  /// are not looked into.
  public func validate(at path: String, into issues: inout ConfigIssues) {
    let at = path
    // Whether `url` is a usable http(s) URL (nil for sinks that have none).
    var urlIsValid = false
    switch type {
    case .http:
      if let url {
        if let u = URL(string: url), let scheme = u.scheme?.lowercased(), scheme == "http" || scheme == "https",
          u.host != nil
        {
          urlIsValid = true
        } else {
          issues.add("\(at).url", "'\(url)' is not an http:// or https:// URL")
        }
      } else {
        issues.add("\(at).url", "required for an http sink")
      }
      if let auth {
        do {
          _ = try Credentials(auth)
        } catch {
          issues.add("\(at).auth", "\(error)")
        }
      }
    case .file:
      if (self.path ?? "").isEmpty { issues.add("\(at).path", "required for a file sink") }
    case .console:
      break
    }
    if type != .http && auth != nil { issues.add("\(at).auth", "only for http sinks") }
    switch compressor {
    case .zlib where !(1...9).contains(compressionLevel):
      issues.add("\(at).compression_level", "must be 1 to 9 with compressor zlib")
    case .libdeflate where !(1...12).contains(compressionLevel):
      issues.add("\(at).compression_level", "must be 1 to 12 with compressor libdeflate")
    default: break
    }
    if batch.maxEvents < 1 { issues.add("\(at).batch.max_events", "must be at least 1") }
    if batch.maxBytes.bytes < 1024 { issues.add("\(at).batch.max_bytes", "must be at least 1KiB") }
    if batch.maxAge.nanoseconds < 1_000_000 { issues.add("\(at).batch.max_age", "must be at least 1ms") }
    if retry.initialBackoff.nanoseconds <= 0 || retry.maxBackoff < retry.initialBackoff {
      issues.add("\(at).retry", "need 0 < initial_backoff <= max_backoff")
    }
    if let cap = retry.maxConnectBackoff, cap.nanoseconds < 1_000_000 || cap > retry.maxBackoff {
      issues.add("\(at).retry.max_connect_backoff", "must be at least 1ms and at most max_backoff")
    }
    validateDelivery(at: at, urlIsValid: urlIsValid, into: &issues)
    validateStorage(at: at, into: &issues)
    if unhealthyAfter.nanoseconds < 1_000_000_000 { issues.add("\(at).unhealthy_after", "must be at least 1s") }
  }

  /// The HTTP and encoding settings: refused on other sink types, else checked.
  private func validateDelivery(at: String, urlIsValid: Bool, into issues: inout ConfigIssues) {
    let http = type == .http
    if !http {
      for (set, key) in [
        (encoding != .ndjson, "encoding"), (tls != nil, "tls"), (concurrency != 1, "concurrency"),
        (!headers.isEmpty, "headers"), (compression != .none, "compression"),
      ] where set {
        issues.add("\(at).\(key)", "only for http sinks")
      }
    }
    // On other types, a concurrency, TLS or encoding is refused above whatever it is.
    if http && !(1...64).contains(concurrency) { issues.add("\(at).concurrency", "must be 1 to 64") }
    if timeout.nanoseconds < 1_000_000 { issues.add("\(at).timeout", "must be at least 1ms") }
    if connectTimeout.nanoseconds < 1_000_000 { issues.add("\(at).connect_timeout", "must be at least 1ms") }
    if http, let tls {
      if urlIsValid, let url, !url.lowercased().hasPrefix("https://") {
        issues.add("\(at).tls", "set, but the url is not https://")
      }
      if (tls.certFile == nil) != (tls.keyFile == nil) {
        issues.add("\(at).tls", "cert_file and key_file go together")
      }
      for (file, key) in [(tls.caFile, "ca_file"), (tls.certFile, "cert_file"), (tls.keyFile, "key_file")] {
        if let file, !FileManager.default.isReadableFile(atPath: file) {
          issues.add("\(at).tls.\(key)", "cannot read \(file)")
        }
      }
    }
    if http && encoding == .loki {
      // Sorted: a dictionary's order changes from run to run, the report should not.
      for name in loki.labels.keys.sorted() + loki.labelFields.keys.sorted()
      where !LokiEncoder.validateLabelName(name) {
        issues.add("\(at).loki", "'\(name)' is not a Loki label name ([a-zA-Z_][a-zA-Z0-9_]*)")
      }
      if loki.labels.isEmpty {
        issues.add("\(at).loki.labels", "needs at least one fixed label (an event may have none of label_fields)")
      }
    }
    if http && encoding == .elasticsearch && elasticsearch.index.isEmpty {
      issues.add("\(at).elasticsearch.index", "must not be empty")
    }
  }

  /// The buffer, and a file sink's rotation.
  private func validateStorage(at: String, into issues: inout ConfigIssues) {
    if buffer.maxEvents < 1 { issues.add("\(at).buffer.max_events", "must be at least 1") }
    if buffer.byteLimit < 64 * 1024 { issues.add("\(at).buffer.max_bytes", "must be at least 64KiB") }
    if buffer.type == .disk && !(64 * 1024...1 << 30).contains(buffer.segmentBytes.bytes) {
      issues.add("\(at).buffer.segment_bytes", "must be 64KiB to 1GiB")
    }
    if type == .file {
      if rotate.maxBytes.bytes < 0 { issues.add("\(at).rotate.max_bytes", "must not be negative") }
      if rotate.maxFiles < 1 { issues.add("\(at).rotate.max_files", "must be at least 1") }
    }
  }
}
