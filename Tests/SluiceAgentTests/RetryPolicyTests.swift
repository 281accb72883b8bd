import Foundation
import NIOHTTP1
import Testing

@testable import SluiceAgent

/// Which answers are retried, how long the waits are, and how `Retry-After` is read.
struct RetryPolicyTests {
  @Test func defaultStatusesRetryTimeoutsThrottlingAndServerErrorsButNot501() {
    let r = RetryConfig()
    for s in [408, 429, 500, 502, 503, 504, 507, 599] { #expect(r.isRetryable(s), "\(s)") }
    for s in [400, 401, 403, 404, 409, 413, 422, 501] { #expect(!r.isRetryable(s), "\(s)") }
  }

  @Test func configuredStatusesReplaceTheDefault() throws {
    let c = try ConfigLoader.parse(
      yaml: """
        sources: [{name: a, type: file, include: ["/tmp/x"]}]
        sinks:
          - {name: s, type: http, url: "http://127.0.0.1:1/", retry: {statuses: [409, "5xx", 501], max_retry_after: 5s}}
        """)
    let r = c.sinks[0].retry
    #expect(r.isRetryable(409) && r.isRetryable(501) && r.isRetryable(503))
    #expect(!r.isRetryable(429) && !r.isRetryable(408))
    #expect(r.maxRetryAfter == .seconds(5))
    #expect(throws: ConfigError.self) {
      try ConfigLoader.parse(
        yaml: """
          sources: [{name: a, type: file, include: ["/tmp/x"]}]
          sinks: [{name: s, type: http, url: "http://127.0.0.1:1/", retry: {statuses: ["6xx"]}}]
          """)
    }
  }

  @Test func classifyUsesThePolicyAndReadsRetryAfter() {
    var h = HTTPHeaders()
    h.add(name: "Retry-After", value: "7")
    let r = RetryConfig()
    #expect(HTTPTransport.classify(status: 204, headers: h, excerpt: "", retry: r) == .delivered)
    #expect(
      HTTPTransport.classify(status: 429, headers: h, excerpt: "", retry: r)
        == .retryable(reason: "HTTP 429", retryAfter: .seconds(7)))
    #expect(
      HTTPTransport.classify(status: 501, headers: h, excerpt: "no", retry: r)
        == .rejected(status: 501, reason: "HTTP 501", responseExcerpt: "no"))
  }

  @Test func retryAfterInSecondsAndInEveryHTTPDateForm() {
    let now = Date(timeIntervalSince1970: 784_111_717)  // Sun, 06 Nov 1994 08:48:37 GMT
    #expect(RetryAfter.parse("120", now: now) == .seconds(120))
    #expect(RetryAfter.parse(" 0 ", now: now) == .seconds(0))
    #expect(RetryAfter.parse("-3", now: now) == nil)
    #expect(RetryAfter.parse("Sun, 06 Nov 1994 08:49:37 GMT", now: now) == .seconds(60))
    #expect(RetryAfter.parse("Sunday, 06-Nov-94 08:49:37 GMT", now: now) == .seconds(60))
    #expect(RetryAfter.parse("Sun Nov  6 08:49:37 1994", now: now) == .seconds(60))
    #expect(RetryAfter.parse("Sun, 06 Nov 1994 08:40:00 GMT", now: now) == .zero, "a date in the past: now")
    #expect(RetryAfter.parse("soon", now: now) == nil)
  }

  @Test func backoffIsJitteredUnderAnExponentialCeilingAndRetryAfterIsCapped() {
    let b = Backoff(base: .milliseconds(100), cap: .seconds(2), retryAfterCap: .seconds(30))
    for attempt in 0..<12 {
      let ceiling = min(Duration.milliseconds(100) * (1 << attempt), .seconds(2))
      let draws = (0..<200).map { _ in b.delay(attempt: attempt, retryAfter: nil) }
      #expect(draws.allSatisfy { $0 >= .zero && $0 <= ceiling })
      #expect(Set(draws).count > 100, "full jitter spreads the draws")
    }
    #expect(b.delay(attempt: 0, retryAfter: .seconds(10)) == .seconds(10))
    #expect(b.delay(attempt: 0, retryAfter: .seconds(600)) == .seconds(30))
  }

  @Test func halvesSplitAtAnEventBoundary() {
    let payload = Array("{\"a\":1}\n{\"a\":2}\n{\"a\":3}\n".utf8)
    let (first, second) = SinkRunner.halves(payload)
    #expect(String(decoding: first.payload, as: UTF8.self) == "{\"a\":1}\n")
    #expect(first.events == 1)
    #expect(String(decoding: second.payload, as: UTF8.self) == "{\"a\":2}\n{\"a\":3}\n")
    #expect(second.events == 2)
  }
}
