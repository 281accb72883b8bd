/// Entry points for the fuzzers (`scripts/fuzz`, the `sluice-fuzz` executable) and for the
/// tests that replay their corpora: each takes arbitrary bytes, must not crash or hang, and
/// returns a description of the property it found broken, or nil.
///
/// Kept in the module they exercise so they reach its internals; nothing else calls them.
public enum CoreFuzzing {
  /// The JSON scanner: a tape and the validator agree on what is valid, tokens stay inside
  /// the input, and an event made from any line is valid JSON once parsed.
  public static func json(_ data: UnsafeRawBufferPointer) -> String? {
    let scanner = JSONScanner()
    var tape: [JSONToken] = []
    let bytes = Array(data)
    var scanned = true
    do { try scanner.scan(bytes, into: &tape) } catch { scanned = false }
    let valid = scanner.isValid(data)
    if scanned != valid { return "scan says \(scanned ? "valid" : "invalid"), isValid says \(valid)" }
    if scanned {
      for (k, token) in tape.enumerated() {
        switch token.kind {
        case .objectStart, .arrayStart:
          // `end` is the tape index just past the matching end token.
          let close = Int(token.end) - 1
          let expected: JSONToken.Kind = token.kind == .objectStart ? .objectEnd : .arrayEnd
          if close <= k || close >= tape.count || tape[close].kind != expected {
            return "container at tape \(k) points to \(token.end), not past its end token"
          }
        case .objectEnd, .arrayEnd:
          break
        default:
          if token.start > token.end || Int(token.end) > bytes.count {
            return "token \(token.kind) \(token.start)..<\(token.end) outside \(bytes.count) bytes"
          }
        }
      }
    }
    var event = Event()
    event.load(data)
    event.parse(using: scanner)
    let structured = event.bytes.withUnsafeBytes { scanner.isValid($0) }
    if !structured { return "a parsed event is not valid JSON" }
    return nil
  }

  /// The query parser: any text parses or fails with a position inside it; a query that
  /// parses evaluates on events of every shape without trapping.
  public static func query(_ data: UnsafeRawBufferPointer) -> String? {
    guard let text = String(validating: data, as: UTF8.self) else { return nil }
    let query: Query
    do {
      query = try Query(text)
    } catch {
      if error.position < 0 || error.position > text.utf8.count + 1 {
        return "error position \(error.position) outside a query of \(text.utf8.count) bytes"
      }
      return nil
    }
    for event in sampleEvents {
      _ = query.matches(event)
      _ = query.compiledAgain().matches(event)
    }
    return nil
  }

  nonisolated(unsafe) private static let sampleEvents: [Event] = [
    #"{"level":"error","status":503,"message":"upstream timed out","user":{"id":7,"tags":["a","b"]},"ts":"2026-12-04T10:00:00Z"}"#,
    #"{"level":30,"msg":"x","duration_ms":12.5,"error.type":"E","ok":true,"none":null}"#,
    #"plain text line with no json"#, #"[1,2,3]"#, #"{}"#,
  ].map { Event($0) }

  /// The CRI line parser: a record's ranges lie inside the line.
  public static func cri(_ data: UnsafeRawBufferPointer) -> String? {
    guard let record = CRIRecord.parse(data) else { return nil }
    if record.timeEnd > data.count || record.contentStart > data.count || record.timeEnd >= record.contentStart {
      return "ranges outside the line: time ..<\(record.timeEnd), content \(record.contentStart)..< of \(data.count)"
    }
    return nil
  }

  /// The redaction engine with the default policy: its output is valid JSON, and redacting
  /// it again changes nothing (no detector match is left in what it let through).
  public static func redact(_ data: UnsafeRawBufferPointer) -> String? {
    let scanner = JSONScanner()
    var event = Event()
    event.load(data)
    event.parse(using: scanner)
    _ = redactor.redact(&event, scanner: scanner)
    let once = event.bytes
    if !once.withUnsafeBytes({ scanner.isValid($0) }) { return "redacted output is not valid JSON" }
    _ = redactor.redact(&event, scanner: scanner)
    if event.bytes != once {
      return "a second pass changed the output: \(String(decoding: once, as: UTF8.self)) → "
        + String(decoding: event.bytes, as: UTF8.self)
    }
    return nil
  }

  /// Built once: the fuzzer calls in on one thread.
  nonisolated(unsafe) private static var redactor = Redactor(policy: .default)
}
