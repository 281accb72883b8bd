// A small "checkout" service that logs through SluiceLog, for `scripts/demo`, written the way
// docs/library.md says: one bootstrap line, request context bound once per request, typed
// metadata, errors attached to error lines.
// Usage: sluice-demo-service [LOG_FILE [LINES_PER_SECOND]]   (standard output if no file)
import Logging
import SluiceLog

#if canImport(Glibc)
  import Glibc
#endif

let arguments = CommandLine.arguments
let output: LogOutput
if arguments.count > 1 {
  do {
    // Rotates at 10 MiB, keeping 3 files, like a service on a VM would.
    output = try LogOutput.file(arguments[1], rotateAtBytes: 10 << 20, keep: 3)
  } catch {
    var message = "sluice-demo-service: \(error)\n"
    message.withUTF8 { LogOutput.stderr.write(UnsafeRawBufferPointer($0)) }
    exit(2)
  }
} else {
  output = .stdout
}
let rate = arguments.count > 2 ? Double(arguments[2]) ?? 20 : 20  // requests per second

SluiceLog.bootstrap(.init(service: "checkout", output: output))
var logger = Logger(label: "checkout.http")
logger[metadataKey: "version"] = "1.4.2"

struct PaymentDeclined: Error, CustomStringConvertible {
  var code: String
  var description: String { "card declined: \(code)" }
}

let users = ["alice@example.com", "bob.smith@mail.example.org", "carol+test@shop.example.net", "dave@example.io"]
let paths = ["/api/cart", "/api/checkout", "/api/orders/1042", "/api/products?page=2", "/healthz"]
var generator = SystemRandomNumberGenerator()
var n = 0
logger.info("service started", metadata: ["port": .stringConvertible(8080)])
while true {
  n += 1
  let requestID = String(UInt64.random(in: 0..<UInt64.max, using: &generator), radix: 16)
  let user = users[n % users.count]
  let path = paths[Int.random(in: 0..<paths.count, using: &generator)]
  let duration = Double(Int.random(in: 2...900, using: &generator)) / 10
  let roll = Int.random(in: 0..<100, using: &generator)
  withLogContext(requestID: requestID, userID: "u-\(n % 97)") {
    let meta: Logger.Metadata = [
      "method": "\(path == "/api/checkout" ? "POST" : "GET")", "path": "\(path)",
      "duration_ms": .stringConvertible(duration), "seq": .stringConvertible(n),
    ]
    if roll < 8 {
      logger.error(
        "payment provider failed for \(user)", error: PaymentDeclined(code: "do_not_honor"),
        metadata: meta.merging(["status": .stringConvertible(502)]) { a, _ in a })
    } else if roll < 15 {
      logger.warning("rate limited", metadata: meta.merging(["status": .stringConvertible(429)]) { a, _ in a })
    } else {
      logger.info(
        "request completed",
        metadata: meta.merging([
          "status": .stringConvertible(200), "customer": "\(user)", "card_number": "4111111111111111",
        ]) { a, _ in a })
    }
  }
  usleep(UInt32(1_000_000 / max(rate, 1)))
}
