// A small "checkout" service that logs through SluiceLog, for `scripts/demo`.
// It writes realistic request logs (request ids, user emails, latencies, some errors)
// to the file given as its first argument, or to standard output.
import Logging
import SluiceLog

#if canImport(Glibc)
  import Glibc
#endif

let arguments = CommandLine.arguments
let output: LogOutput
if arguments.count > 1 {
  do {
    output = try LogOutput.file(arguments[1])
  } catch {
    var message = "sluice-demo-service: \(error)\n"
    message.withUTF8 { LogOutput.stderr.write(UnsafeRawBufferPointer($0)) }
    exit(2)
  }
} else {
  output = .stdout
}
let rate = arguments.count > 2 ? Double(arguments[2]) ?? 20 : 20  // lines per second

LoggingSystem.bootstrap { label in SluiceLogHandler(label: label, service: "checkout", output: output) }
let logger = Logger(label: "checkout.http")

struct PaymentDeclined: Error, CustomStringConvertible {
  var code: String
  var description: String { "card declined: \(code)" }
}

let users = ["alice@example.com", "bob.smith@mail.example.org", "carol+test@shop.example.net", "dave@example.io"]
let paths = ["/api/cart", "/api/checkout", "/api/orders/1042", "/api/products?page=2", "/healthz"]
var generator = SystemRandomNumberGenerator()
var n: UInt64 = 0
logger.info("service started", metadata: ["port": "8080", "version": "1.4.2"])
while true {
  n += 1
  let requestID = String(UInt64.random(in: 0..<UInt64.max, using: &generator), radix: 16)
  let user = users[Int(n % UInt64(users.count))]
  let path = paths[Int.random(in: 0..<paths.count, using: &generator)]
  let duration = Double(Int.random(in: 2...900, using: &generator)) / 10
  let roll = Int.random(in: 0..<100, using: &generator)
  var meta: Logger.Metadata = [
    "request_id": "\(requestID)", "method": "\(path == "/api/checkout" ? "POST" : "GET")",
    "path": "\(path)", "duration_ms": .stringConvertible(duration), "seq": .stringConvertible(Int(n)),
  ]
  if roll < 8 {
    meta["status"] = .stringConvertible(502)
    logger.error("payment provider failed for \(user)", error: PaymentDeclined(code: "do_not_honor"), metadata: meta)
  } else if roll < 15 {
    meta["status"] = .stringConvertible(429)
    logger.warning("rate limited", metadata: meta)
  } else {
    meta["status"] = .stringConvertible(200)
    meta["user"] = "\(user)"
    logger.info("request completed", metadata: meta)
  }
  usleep(UInt32(1_000_000 / max(rate, 1)))
}
