import Testing

@testable import SluiceCore

/// A small, fast, deterministic generator (SplitMix64) so that randomised tests are repeatable.
struct SplitMix64: RandomNumberGenerator {
  var state: UInt64

  init(seed: UInt64) {
    state = seed
  }

  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}

/// Scans `bytes`; returns the tape on success and the error on failure.
func scan(_ bytes: [UInt8], scanner: JSONScanner = JSONScanner()) -> Result<[JSONToken], JSONScanError> {
  var tape: [JSONToken] = []
  do throws(JSONScanError) {
    try scanner.scan(bytes, into: &tape)
    return .success(tape)
  } catch {
    return .failure(error)
  }
}

/// The scan error for `bytes`, or nil if they are valid JSON.
func scanError(_ bytes: [UInt8], scanner: JSONScanner = JSONScanner()) -> JSONScanError? {
  if case .failure(let error) = scan(bytes, scanner: scanner) { return error }
  return nil
}

/// The scan error for `text`, or nil if it is valid JSON.
func scanError(_ text: String, scanner: JSONScanner = JSONScanner()) -> JSONScanError? {
  scanError(Array(text.utf8), scanner: scanner)
}

func isValidJSON(_ bytes: [UInt8]) -> Bool { scanError(bytes) == nil }

func isValidUTF8(_ bytes: [UInt8]) -> Bool {
  bytes.withUnsafeBytes { UTF8Validation.isValid($0) }
}

/// The compact JSON text of a value as bytes.
func jsonBytes(_ value: JSONValue) -> [UInt8] {
  var out: [UInt8] = []
  value.write(to: &out)
  return out
}

/// Whether a value holds a NaN or infinite double anywhere (JSON has no number for those).
func containsNonFinite(_ value: JSONValue) -> Bool {
  switch value {
  case .double(let d): !d.isFinite
  case .array(let items): items.contains(where: containsNonFinite)
  case .object(let members): members.contains { containsNonFinite($0.value) }
  default: false
  }
}

/// Checks the structural invariants of a tape for the value starting at `index` and returns
/// the index just past it. Records an issue (and returns nil) on the first violation.
///
/// Invariants: a container start's `end` is the index after its matching end token; object
/// members are a `key` token followed by one value; token ranges lie inside the text.
@discardableResult
func checkTape(
  _ tape: [JSONToken], at index: Int, byteCount: Int, sourceLocation: SourceLocation = #_sourceLocation
) -> Int? {
  guard index < tape.count else {
    Issue.record("tape ends early at \(index)", sourceLocation: sourceLocation)
    return nil
  }
  let t = tape[index]
  guard t.start <= t.end || t.kind == .objectStart || t.kind == .arrayStart,
    Int(t.start) <= byteCount
  else {
    Issue.record("bad range on token \(index): \(t)", sourceLocation: sourceLocation)
    return nil
  }
  switch t.kind {
  case .objectStart, .arrayStart:
    let isObject = t.kind == .objectStart
    var i = index + 1
    while i < tape.count, tape[i].kind != (isObject ? .objectEnd : .arrayEnd) {
      if isObject {
        guard tape[i].kind == .key else {
          Issue.record("expected a key at \(i), found \(tape[i].kind)", sourceLocation: sourceLocation)
          return nil
        }
        guard tape[i].start <= tape[i].end, Int(tape[i].end) <= byteCount else {
          Issue.record("bad key range at \(i)", sourceLocation: sourceLocation)
          return nil
        }
        i += 1
      }
      guard let next = checkTape(tape, at: i, byteCount: byteCount, sourceLocation: sourceLocation) else {
        return nil
      }
      i = next
    }
    guard i < tape.count else {
      Issue.record("container at \(index) is never closed", sourceLocation: sourceLocation)
      return nil
    }
    guard Int(t.end) == i + 1 else {
      Issue.record("container at \(index): end \(t.end), expected \(i + 1)", sourceLocation: sourceLocation)
      return nil
    }
    guard JSONTape.next(after: index, in: tape) == i + 1 else {
      Issue.record("JSONTape.next does not skip the container at \(index)", sourceLocation: sourceLocation)
      return nil
    }
    return i + 1
  case .string, .number, .true, .false, .null:
    guard Int(t.end) <= byteCount else {
      Issue.record("token \(index) ends past the text", sourceLocation: sourceLocation)
      return nil
    }
    return index + 1
  case .key, .objectEnd, .arrayEnd:
    Issue.record("unexpected \(t.kind) at \(index)", sourceLocation: sourceLocation)
    return nil
  }
}

/// Checks that `tape` describes exactly one value covering the whole tape.
func checkWholeTape(_ tape: [JSONToken], byteCount: Int, sourceLocation: SourceLocation = #_sourceLocation) {
  guard !tape.isEmpty else {
    Issue.record("empty tape", sourceLocation: sourceLocation)
    return
  }
  let end = checkTape(tape, at: 0, byteCount: byteCount, sourceLocation: sourceLocation)
  if let end, end != tape.count {
    Issue.record("tape has \(tape.count) tokens, the value uses \(end)", sourceLocation: sourceLocation)
  }
}

/// A structured event made from `text`, which must be a JSON object.
func structuredEvent(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> Event {
  var event = Event()
  var copy = text
  copy.withUTF8 { event.load(UnsafeRawBufferPointer($0)) }
  let (outcome, error) = event.parse(using: JSONScanner())
  #expect(outcome == .object, "not a JSON object: \(text)", sourceLocation: sourceLocation)
  #expect(error == nil, sourceLocation: sourceLocation)
  return event
}

/// An unparsed (raw) event holding `bytes`.
func rawEvent(_ bytes: [UInt8]) -> Event {
  var event = Event()
  bytes.withUnsafeBytes { event.load($0) }
  return event
}

func rawEvent(_ text: String) -> Event { rawEvent(Array(text.utf8)) }

// MARK: - Random JSON values

extension SplitMix64 {
  /// A uniformly distributed integer in `0..<bound`.
  mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }

  /// True with probability `1/n`.
  mutating func oneIn(_ n: Int) -> Bool { below(n) == 0 }
}

/// A random Unicode scalar, biased towards the characters a JSON writer must treat specially.
func randomScalar(_ rng: inout SplitMix64) -> Unicode.Scalar {
  switch rng.below(7) {
  case 0: return Unicode.Scalar(UInt8(rng.below(0x20)))
  case 1: return Unicode.Scalar(UInt8(0x20 + rng.below(0x5F)))
  case 2: return Unicode.Scalar(UInt32(0x80 + rng.below(0x800 - 0x80)))!
  case 3:
    let v = UInt32(0x800 + rng.below(0x10000 - 0x800))
    return Unicode.Scalar(v) ?? "\u{FFFD}"  // surrogates are not scalars
  case 4: return Unicode.Scalar(UInt32(0x10000 + rng.below(0x110000 - 0x10000)))!
  default: return ["\"", "\\", "/", "@", "\u{7F}", "\u{FFFD}", "\u{2028}"][rng.below(7)]
  }
}

func randomString(_ rng: inout SplitMix64, maxLength: Int = 8) -> String {
  var s = String.UnicodeScalarView()
  for _ in 0..<rng.below(maxLength + 1) { s.append(randomScalar(&rng)) }
  return String(s)
}

/// A random finite double from several regimes (integral, fractional, tiny, huge, any bit pattern).
func randomDouble(_ rng: inout SplitMix64) -> Double {
  while true {
    let d: Double
    switch rng.below(5) {
    case 0: d = Double(rng.below(2_000_001) - 1_000_000)
    case 1: d = Double(rng.below(2_000_001) - 1_000_000) / 1024
    case 2: d = Double(rng.below(100_000)) * .leastNonzeroMagnitude
    case 3: d = Double(rng.below(1000) + 1) * 1e300 * (rng.oneIn(2) ? 1 : -1)
    default: d = Double(bitPattern: rng.next())
    }
    if d.isFinite { return d }
  }
}

func randomValue(_ rng: inout SplitMix64, depth: Int = 0) -> JSONValue {
  let kinds = depth >= 4 ? 6 : 8
  switch rng.below(kinds) {
  case 0: return .null
  case 1: return .bool(rng.oneIn(2))
  case 2: return .int(rng.oneIn(3) ? Int64(bitPattern: rng.next()) : Int64(rng.below(2001) - 1000))
  case 3: return .double(randomDouble(&rng))
  case 4, 5: return .string(randomString(&rng))
  case 6: return .array((0..<rng.below(5)).map { _ in randomValue(&rng, depth: depth + 1) })
  default:
    return .object(
      (0..<rng.below(5)).map { _ in
        JSONMember(randomString(&rng, maxLength: 4), randomValue(&rng, depth: depth + 1))
      })
  }
}
