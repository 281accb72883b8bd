/// What one delivery attempt of a batch came to.
enum DeliveryOutcome: Sendable, Equatable {
  case delivered
  /// Worth trying again (connection error, timeout, 408, 429, 5xx but 501).
  case retryable(reason: String, retryAfter: Duration?)
  /// The sink refused the batch for good (other 4xx, 501): dead-letter it.
  case rejected(status: Int, reason: String, responseExcerpt: String)
}

/// Sends one encoded (and possibly compressed) batch body somewhere.
protocol SinkTransport: Sendable {
  func send(body: [UInt8]) async -> DeliveryOutcome
  func shutdown() async
}
