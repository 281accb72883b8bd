/// What one delivery attempt of a batch came to.
enum DeliveryOutcome: Sendable, Equatable {
  case delivered
  /// Worth trying again (an error on a connection, a timeout, or a status in
  /// `retry.statuses`).
  case retryable(reason: String, retryAfter: Duration?)
  /// No connection could be made (refused, unreachable, name not resolved, connect timeout):
  /// tried again soon, on `retry.max_connect_backoff`, since an attempt costs the sink
  /// nothing and delivery should resume as soon as it is back.
  case unreachable(reason: String)
  /// The sink refused the batch for good (any other status): dead-letter it, or, for 413
  /// with more than one event, split it.
  case rejected(status: Int, reason: String, responseExcerpt: String)
  /// The request succeeded but the sink reports a result per event (Elasticsearch `_bulk`
  /// with `errors: true`), in batch order.
  case perEvent([EventResult])

  /// One event's result inside a ``perEvent`` answer.
  struct EventResult: Sendable, Equatable {
    var status: Int
    /// Empty when the event was accepted.
    var reason: String
  }
}

/// Sends one encoded (and possibly compressed) batch body somewhere.
protocol SinkTransport: Sendable {
  func send(body: [UInt8]) async -> DeliveryOutcome
  func shutdown() async
}
