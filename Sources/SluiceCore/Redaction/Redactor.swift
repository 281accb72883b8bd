#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Applies a ``RedactionPolicy`` to events: deny-listed fields are replaced whole,
/// allow-listed fields are skipped, and every other string value — nested objects and arrays
/// included, keys excluded — and every long number literal is scanned by the detectors.
///
/// - Escaped strings are decoded, scanned and re-escaped, so `a\u0040b.com` is found too.
/// - Unparsed (raw) lines are scanned whole.
/// - A text that already holds a marker (`[REDACTED:…]`, `[HASH:…]`) is not matched inside
///   it, so redacting twice changes nothing.
/// - Before any detector runs on a value, one pass computes the ``ByteClasses`` it contains;
///   a detector runs only if its required classes are all there.
///
/// A `Redactor` owns reusable buffers: give each worker its own copy.
public struct Redactor: Sendable {
  public let policy: RedactionPolicy
  /// Rule names, indexed like ``counts``: the detectors, then the field rules.
  public let ruleNames: [String]
  /// Per-rule counts of redactions made so far.
  public private(set) var counts: [Int]

  /// The detectors, for callers that only need names.
  public var detectors: [any Detector] { policy.detectors.map(\.detector) }

  private let actions: [RedactionAction]
  /// Per detector, for the prefilter (copied out of the existentials once).
  private let requires: [ByteClasses]
  private let requiresAny: [ByteClasses]
  private let minimumDigits: [Int]
  private let minimumLengths: [Int]
  /// The detectors, each boxed once: calling through a box borrows the detector, where
  /// calling an array element would copy the existential (and retain its arrays) per call.
  private let detectorList: [DetectorBox]
  /// The same boxes, unretained (``detectorList`` keeps them alive): a call through one
  /// costs no reference counting.
  private let detectorRefs: [Unmanaged<DetectorBox>]
  /// Per byte class (bit position in ``ByteClasses``): the detectors (bit `r` for rule `r`)
  /// that require it. A text's candidate detectors are all but those requiring a class it
  /// lacks, worked out in a few mask operations instead of a test per detector.
  private let rulesRequiring: [UInt64]
  /// Every detector, as a mask; 0 when there are more than 64 (then each is tested in turn).
  private let allRules: UInt64
  /// The byte classes some detector requires, past the first eight (the default detectors
  /// require none of those).
  private let requiredHighClasses: UInt32
  /// Per combination of the first eight byte classes (digit to `=`): the detectors whose
  /// requirements among them it meets, so that most texts' candidates are one lookup.
  private let rulesByLowClasses: [UInt64]
  /// Per text length up to 64 (longer: index 64), the detectors that can match a text that
  /// long; per digit count up to 64, those that can match with that many digits.
  private let rulesByLength: [UInt64]
  private let rulesByDigits: [UInt64]
  /// Per count of standalone digits up to 64, the detectors that can match with that many.
  private let rulesByStandaloneDigits: [UInt64]
  private let minimumStandalone: [Int]
  /// Detectors with a `requiresAny` condition, a `fields` scope or a threshold over 64,
  /// tested one by one.
  private let rulesToCheck: UInt64
  /// Writes markers (a reference, so writing one never copies the redactor).
  let markers: MarkerWriter
  private let isScoped: [Bool]
  /// Whether some detector is limited to some fields.
  private let anyScoped: Bool
  /// Detectors that also run on a text as written when its escapes are decoded
  /// (``Detector/alsoScansEncodedText``).
  private let encodedTextRules: [Int]
  /// Per detector with `fields`: its plain names (matched on a value's last key, by parts)
  /// and its path patterns, compiled once.
  private let scopeNames: [SecretKeys?]
  private let scopePaths: [[[UInt8]]]
  private let minimumLength: Int
  private let deniedNames: [SecretKeys?]
  private let deniedPaths: [[[UInt8]]]
  /// Allow-listed names, lower-cased (a short list: compared by length, then bytes).
  private let allowedNameList: [[UInt8]]
  private let allowedPaths: [[UInt8]]
  /// Whether any rule needs the full path of a value.
  private let needsPath: Bool
  private let fieldRuleBase: Int

  // Scratch, reused.
  var matches: [DetectorMatch] = []
  var decoded: [UInt8] = []
  var edits: [Edit] = []
  var editMatches: [DetectorMatch] = []
  private var path: [UInt8] = []
  private var keyScratch: [UInt8] = []
  var plain: [UInt8] = []
  private var escapes = DecodedText()
  /// The walk's open containers (``findEdits(_:_:)``), kept for its capacity.
  private var containerStack: [(isObject: Bool, verdict: Verdict, pathBase: Int)] = []

  /// Verdicts by key (or, when paths matter, by path), since the same keys come on every
  /// line.
  private var verdicts = KeyTable<Verdict>()

  private enum Verdict: Equatable, Sendable {
    case scan
    case allow
    case deny(Int)  // rule index
  }

  struct Edit {
    var token: Int
    /// The member's key token (objects) or -1 (array element, top-level value).
    var key: Int
    /// Matches in `editMatches[from..<to]`; or a whole-value rule.
    var from: Int
    var to: Int
    var wholeRule: Int
    var drop: Bool
  }

  public init(policy: RedactionPolicy) {
    self.policy = policy
    let detectorNames = policy.detectors.map(\.detector.name)
    ruleNames = detectorNames + policy.deniedFields.map(\.name)
    counts = Array(repeating: 0, count: ruleNames.count)
    actions = policy.detectors.map(\.action) + policy.deniedFields.map(\.action)
    let required = policy.detectors.map(\.detector.requires)
    let lengths = policy.detectors.map { max(1, $0.detector.minimumLength) }
    let digitCounts = policy.detectors.map(\.detector.minimumDigits)
    requires = required
    requiresAny = policy.detectors.map(\.detector.requiresAny)
    minimumDigits = digitCounts
    detectorList = policy.detectors.map { DetectorBox.make($0.detector) }
    detectorRefs = detectorList.map { Unmanaged.passUnretained($0) }
    let count = policy.detectors.count
    allRules = count > 64 ? 0 : (count == 64 ? ~0 : (1 << UInt64(count)) - 1)
    let requiredClasses = required.reduce(0) { $0 | $1.rawValue }
    requiredHighClasses = requiredClasses & ~0xFF
    func mask(_ include: (Int) -> Bool) -> UInt64 {
      var m: UInt64 = 0
      for rule in 0..<min(count, 64) where include(rule) { m |= 1 << UInt64(rule) }
      return m
    }
    // Index 64 stands for 64 and more: every detector, its threshold over 64 checked one by one.
    rulesByLength = (0...64).map { n in mask { n == 64 || lengths[$0] <= n } }
    rulesByDigits = (0...64).map { d in mask { d == 64 || digitCounts[$0] <= d } }
    let standaloneCounts = policy.detectors.map(\.detector.minimumStandaloneDigits)
    minimumStandalone = standaloneCounts
    rulesByStandaloneDigits = (0...64).map { d in mask { d == 64 || standaloneCounts[$0] <= d } }
    rulesToCheck = mask {
      !policy.detectors[$0].fields.isEmpty || !policy.detectors[$0].detector.requiresAny.isEmpty || lengths[$0] > 64
        || digitCounts[$0] > 64 || standaloneCounts[$0] > 64
    }
    let requiring = (0..<32).map { bit in mask { required[$0].rawValue & (1 << UInt32(bit)) != 0 } }
    rulesRequiring = requiring
    let all = allRules
    rulesByLowClasses = (0..<256).map { (low: UInt32) -> UInt64 in
      var candidates = all
      for bit in 0..<8 where low & (1 << UInt32(bit)) == 0 { candidates &= ~requiring[bit] }
      return candidates
    }
    isScoped = policy.detectors.map { !$0.fields.isEmpty }
    anyScoped = isScoped.contains(true)
    encodedTextRules = policy.detectors.indices.filter { policy.detectors[$0].detector.alsoScansEncodedText }
    scopeNames = policy.detectors.map { rule in
      let names = rule.fields.filter(\.isName).map(\.pattern)
      return names.isEmpty ? nil : SecretKeys(names)
    }
    scopePaths = policy.detectors.map { $0.fields.filter { !$0.isName }.map(\.bytes) }
    allowedNameList = policy.allowedFields.filter(\.isName).map(\.bytes)
    minimumLengths = lengths
    minimumLength = minimumLengths.min() ?? Int.max
    fieldRuleBase = policy.detectors.count
    markers = MarkerWriter(policy: policy, ruleNames: ruleNames, actions: actions)
    deniedNames = policy.deniedFields.map { rule in
      let names = rule.fields.filter(\.isName).map(\.pattern)
      return names.isEmpty ? nil : SecretKeys(names)
    }
    deniedPaths = policy.deniedFields.map { $0.fields.filter { !$0.isName }.map(\.bytes) }
    allowedPaths = policy.allowedFields.filter { !$0.isName }.map(\.bytes)
    needsPath = !allowedPaths.isEmpty || deniedPaths.contains { !$0.isEmpty } || isScoped.contains(true)
  }

  /// Every detector masks; no field rules.
  public init(detectors: [any Detector]) {
    self.init(policy: RedactionPolicy(detectors: detectors.map { .init($0) }))
  }

  /// Resets ``counts`` to zero and returns what they were.
  public mutating func takeCounts() -> [Int] {
    defer { for k in counts.indices { counts[k] = 0 } }
    return counts
  }

  /// Redacts `event` in place. - Returns: the number of redactions made.
  ///
  /// A pass that masked something is followed by another, until one finds nothing (at most
  /// ``maxPasses``): a detector's verdict can depend on the text next to its candidate, and
  /// that text can be what another detector just replaced — `+1 415 555 0100 0a@b.co` is no
  /// phone number while the address runs on from it, and is one once the address is a marker.
  /// Redacting the output again therefore changes nothing (the fuzzing property).
  @discardableResult
  public mutating func redact(_ event: inout Event, scanner: JSONScanner) -> Int {
    revisitOnly = false
    var total = redactOnce(&event, scanner: scanner)
    if total == 0 { return 0 }
    for _ in 1..<Self.maxPasses {
      let more = redactOnce(&event, scanner: scanner)
      if more == 0 { break }
      total += more
    }
    return total
  }

  /// Passes over one event at most (each after the first only when the one before masked
  /// something).
  public static let maxPasses = 4

  /// The values the last pass changed (their tokens and keys), and whether the next pass need
  /// look at those alone: a value the detectors found nothing in is found clean again, since
  /// they read nothing but its text (and, for a detector limited to some fields, its path,
  /// which only a full walk knows). Only when the tape kept its shape do the tokens still
  /// point at the same values.
  private var revisit: [(token: Int, key: Int)] = []
  private var revisitOnly = false

  private mutating func redactOnce(_ event: inout Event, scanner: JSONScanner) -> Int {
    if !event.isStructured { return redactRaw(&event, scanner: scanner) }
    edits.removeAll(keepingCapacity: true)
    editMatches.removeAll(keepingCapacity: true)
    let tape = event.tape
    let before = counts.reduce(0, +)
    if revisitOnly {
      event.bytes.withUnsafeBytes { raw in
        var changed: [(token: Int, key: Int)] = []
        swap(&changed, &revisit)
        defer { swap(&changed, &revisit) }
        for (token, key) in changed { scanValue(token, key: key, tape, raw) }
      }
    } else {
      event.bytes.withUnsafeBytes { raw in findEdits(tape, raw) }
    }
    revisitOnly = false
    if edits.isEmpty { return 0 }
    let dropping = edits.contains(where: \.drop)
    // Values replaced by strings: the tape keeps its shape, so it is carried over rather
    // than the output scanned again. Drops and replaced containers change it: rescan.
    if !dropping
      && !edits.contains(where: { tape[$0.token].kind == .objectStart || tape[$0.token].kind == .arrayStart })
    {
      event.rewriteKeepingShape(scanner: scanner) { old, tape, out, newTape in
        old.withUnsafeBytes { raw in splice(tape, raw, into: &out, newTape: &newTape) }
      }
      // Values replaced whole are markers now; those the detectors changed get another look.
      revisit.removeAll(keepingCapacity: true)
      for edit in edits where edit.wholeRule < 0 { revisit.append((edit.token, edit.key)) }
      revisitOnly = !anyScoped
      return counts.reduce(0, +) - before
    }
    do {
      try event.rewrite(scanner: scanner) { old, tape, out in
        old.withUnsafeBytes { raw in
          if dropping { emitCompact(tape, raw, into: &out) } else { splice(tape, raw, into: &out) }
        }
      }
    } catch {
      // Unreachable: only whole values change, into JSON strings; tested on random input.
      preconditionFailure("redaction produced invalid JSON: \(error)")
    }
    return counts.reduce(0, +) - before
  }

  // MARK: - Finding what to change

  private mutating func findEdits(_ tape: [JSONToken], _ raw: UnsafeRawBufferPointer) {
    guard let root = tape.first else { return }
    if root.kind != .objectStart && root.kind != .arrayStart {
      scanValue(0, key: -1, tape, raw)
      return
    }
    // Per open container: its verdict for array elements, and the path length at its start.
    // (A reused buffer, swapped out while the walk calls mutating methods.)
    var stack: [(isObject: Bool, verdict: Verdict, pathBase: Int)] = []
    swap(&stack, &containerStack)
    defer { swap(&stack, &containerStack) }
    stack.removeAll(keepingCapacity: true)
    stack.append((root.kind == .objectStart, .scan, 0))
    path.removeAll(keepingCapacity: true)
    var keyVerdict = Verdict.scan
    var keyIndex = -1
    var i = 1
    while i < tape.count {
      let t = tape[i]
      switch t.kind {
      case .key:
        let top = stack[stack.count - 1]
        if needsPath { setPath(key: t, raw, base: top.pathBase) }
        keyVerdict = cachedVerdict(forKey: t, raw)
        keyIndex = i
        i += 1
        continue
      case .objectEnd, .arrayEnd:
        stack.removeLast()
        i += 1
        continue
      default:
        break
      }
      let top = stack[stack.count - 1]
      let v = top.isObject ? keyVerdict : top.verdict
      let key = top.isObject ? keyIndex : -1
      switch v {
      case .allow:
        i = JSONTape.next(after: i, in: tape)
      case .deny(let rule):
        if !isMarker(t, raw) {
          edits.append(Edit(token: i, key: key, from: 0, to: 0, wholeRule: rule, drop: actions[rule] == .drop))
          counts[rule] += 1
        }
        i = JSONTape.next(after: i, in: tape)
      case .scan:
        if t.kind == .objectStart || t.kind == .arrayStart {
          stack.append((t.kind == .objectStart, .scan, path.count))
        } else {
          scanValue(i, key: key, tape, raw)
        }
        i += 1
      }
    }
  }

  /// Sets `path` to the container's path (its first `base` bytes) plus `.key`, lower-cased.
  private mutating func setPath(key t: JSONToken, _ raw: UnsafeRawBufferPointer, base: Int) {
    path.removeLast(path.count - base)
    if base > 0 { path.append(UInt8(ascii: ".")) }
    for c in raw[t.range] { path.append(c >= 65 && c <= 90 ? c | 0x20 : c) }
  }

  private mutating func cachedVerdict(forKey t: JSONToken, _ raw: UnsafeRawBufferPointer) -> Verdict {
    if needsPath {
      var key: [UInt8] = []
      swap(&key, &path)
      defer { swap(&key, &path) }
      return key.withUnsafeBytes { p in
        let probe = KeyTable<Verdict>.probe(p, readable: p.count)
        if let hit = verdicts.value(for: p, probe) { return hit }
        let v = verdict(forKey: t, raw, path: p)
        verdicts.insert(v, for: p, probe)
        return v
      }
    }
    let key = UnsafeRawBufferPointer(rebasing: raw[t.range])
    let probe = KeyTable<Verdict>.probe(key, readable: raw.count - t.range.lowerBound)
    if let hit = verdicts.value(for: key, probe) { return hit }
    let v = verdict(forKey: t, raw, path: Self.noPath)
    verdicts.insert(v, for: key, probe)
    return v
  }

  private static var noPath: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: nil, count: 0) }

  /// The verdict for key `t`, whose path is `path` (when ``needsPath``).
  private func verdict(forKey t: JSONToken, _ raw: UnsafeRawBufferPointer, path: UnsafeRawBufferPointer) -> Verdict {
    let key = UnsafeRawBufferPointer(rebasing: raw[t.range])
    // Deny wins over allow: a field named both is replaced.
    for (k, names) in deniedNames.enumerated() where names?.matches(key) == true { return .deny(fieldRuleBase + k) }
    if needsPath {
      let denied = deniedPaths.firstIndex { pats in pats.contains { FieldPattern.globMatch($0, path) } }
      if let denied { return .deny(fieldRuleBase + denied) }
    }
    for name in allowedNameList where name.count == key.count {
      var equal = true
      for k in 0..<key.count {
        let c = key[k]
        if (c >= 65 && c <= 90 ? c | 0x20 : c) != name[k] {
          equal = false
          break
        }
      }
      if equal { return .allow }
    }
    if !allowedPaths.isEmpty, allowedPaths.contains(where: { FieldPattern.globMatch($0, path) }) {
      return .allow
    }
    return .scan
  }

  /// Whether a string value is already a marker (left as it is: redaction is idempotent).
  private func isMarker(_ t: JSONToken, _ raw: UnsafeRawBufferPointer) -> Bool {
    guard t.kind == .string else { return false }
    return Self.markerLength(UnsafeRawBufferPointer(rebasing: raw[t.range]), at: 0) == t.range.count
  }

  /// Scans one string (or number) value; records an edit if anything matched.
  private mutating func scanValue(_ i: Int, key: Int, _ tape: [JSONToken], _ raw: UnsafeRawBufferPointer) {
    let t = tape[i]
    guard t.kind == .string || t.kind == .number, t.range.count >= minimumLength else { return }
    if !matches.isEmpty { matches.removeAll(keepingCapacity: true) }
    if t.kind == .string && t.hasEscapes {
      decoded.removeAll(keepingCapacity: true)
      JSONTape.unescape(UnsafeRawBufferPointer(rebasing: raw[t.range]), into: &decoded)
      decoded.withUnsafeBytes { detectAll(in: $0, inField: true) }
    } else {
      detectAll(in: UnsafeRawBufferPointer(rebasing: raw[t.range]), inField: true)
    }
    if matches.isEmpty { return }
    let from = editMatches.count
    editMatches.append(contentsOf: matches)
    let drop = matches.contains { actions[$0.rule] == .drop }
    edits.append(Edit(token: i, key: key, from: from, to: editMatches.count, wholeRule: -1, drop: drop))
    for m in matches { counts[m.rule] += 1 }
  }

  /// Runs the detectors that can match `text` (by its byte classes and length), then drops
  /// matches inside existing markers and resolves overlaps. A text with URL or JSON escapes
  /// is decoded first (``DecodedText``) and the matches are mapped back onto it.
  /// - Parameter inField: `text` is a field's value (`path` is its path); false for an
  ///   unparsed line, on which detectors limited to fields do not run.
  private mutating func detectAll(in text: UnsafeRawBufferPointer, inField: Bool) {
    let n = text.count
    if n < minimumLength { return }
    let (classes, digits, standalone) = Self.profile(text)
    if DecodedText.mayHaveEscapes(classes) {
      var view = DecodedText()
      swap(&view, &escapes)  // use the scratch buffers without copying them
      defer { swap(&view, &escapes) }
      if view.decode(text) {
        // Detect on the decoded text, then map the matches back onto the escapes they came from.
        view.bytes.withUnsafeBytes { plain in detectDecoded(in: plain, inField: inField) }
        for k in matches.indices { matches[k].range = view.originalRange(matches[k].range) }
        // Detectors that read escapes as syntax (a URL's `%2F` in a password) also run on
        // the text as written.
        if !encodedTextRules.isEmpty {
          run(encodedTextRules, in: text, classes: classes, digits: digits, standalone: standalone, inField: inField)
        }
        return
      }
    }
    detect(in: text, classes: classes, digits: digits, standalone: standalone, inField: inField)
  }

  /// `text`'s byte classes, digits and standalone digits, for the prefilter. A text with a
  /// `%` is held to no standalone-digit threshold: `%2B`, a URL-encoded `+`, glues the
  /// digits of `%2B447700900123` to a letter (such a text is decoded before the detectors see
  /// it, except those that also scan it as written).
  @inline(__always)
  private static func profile(_ text: UnsafeRawBufferPointer) -> (ByteClasses, Int, Int) {
    let (classes, digits, standalone) = ByteClasses.scan(text)
    return (classes, digits, classes.contains(.percent) ? Int.max : standalone)
  }

  /// ``detectAll(in:inField:)`` on a text with no escapes left to decode.
  private mutating func detectDecoded(in text: UnsafeRawBufferPointer, inField: Bool) {
    if text.count < minimumLength { return }
    let (classes, digits, standalone) = Self.profile(text)
    detect(in: text, classes: classes, digits: digits, standalone: standalone, inField: inField)
  }

  private mutating func detect(
    in text: UnsafeRawBufferPointer, classes: ByteClasses, digits: Int, standalone: Int, inField: Bool
  ) {
    if allRules == 0 {
      run(0..<detectorList.count, in: text, classes: classes, digits: digits, standalone: standalone, inField: inField)
      return
    }
    // The detectors whose required classes are all in `classes`.
    var candidates = rulesByLowClasses[Int(classes.rawValue & 0xFF)]
    var missing = ~classes.rawValue & requiredHighClasses
    while missing != 0 {
      let bit = missing.trailingZeroBitCount
      candidates &= ~rulesRequiring[bit]
      missing &= missing &- 1
    }
    let n = text.count
    // …and whose length and digit thresholds the text meets (a longer text or more digits
    // than 64 meets what 64 meets, and the thresholds above 64 are checked one by one).
    candidates &=
      rulesByLength[min(n, 64)] & rulesByDigits[min(digits, 64)] & rulesByStandaloneDigits[min(standalone, 64)]
    let before = matches.count
    while candidates != 0 {
      let rule = candidates.trailingZeroBitCount
      candidates &= candidates &- 1
      if rulesToCheck & (1 << UInt64(rule)) != 0 {
        // thresholds over 64
        if n < minimumLengths[rule] || digits < minimumDigits[rule] || standalone < minimumStandalone[rule] { continue }
        if !requiresAny[rule].isEmpty && classes.isDisjoint(with: requiresAny[rule]) { continue }
        if isScoped[rule] && !(inField && inScope(rule)) { continue }
      }
      detectorRefs[rule]._withUnsafeGuaranteedRef { $0.detect(in: text, rule: rule, into: &matches) }
    }
    settle(since: before, in: text, classes: classes)
  }

  /// Runs the detectors among `rules` that the prefilter lets through on `text`; if they found
  /// anything, drops matches inside existing markers and resolves overlaps.
  private mutating func run<Rules: Sequence<Int>>(
    _ rules: Rules, in text: UnsafeRawBufferPointer, classes: ByteClasses, digits: Int, standalone: Int,
    inField: Bool
  ) {
    let before = matches.count
    let n = text.count
    for rule in rules
    where n >= minimumLengths[rule] && digits >= minimumDigits[rule] && standalone >= minimumStandalone[rule]
      && classes.isSuperset(of: requires[rule])
      && (requiresAny[rule].isEmpty || !classes.isDisjoint(with: requiresAny[rule]))
    {
      if isScoped[rule] && !(inField && inScope(rule)) { continue }
      detectorList[rule].detect(in: text, rule: rule, into: &matches)
    }
    settle(since: before, in: text, classes: classes)
  }

  /// If detectors found anything in `text` (matches past `before`), drops matches inside
  /// existing markers and resolves overlaps.
  @inline(__always)
  private mutating func settle(since before: Int, in text: UnsafeRawBufferPointer, classes: ByteClasses) {
    if matches.count == before { return }
    if classes.contains(.other) { dropMatchesInsideMarkers(text) }
    if matches.count > 1 { resolveOverlaps() }
  }

  /// Whether the current value's path is in detector `rule`'s `fields`.
  private func inScope(_ rule: Int) -> Bool {
    path.withUnsafeBytes { p in
      if let names = scopeNames[rule] {
        var start = p.count
        while start > 0 && p[start - 1] != UInt8(ascii: ".") { start -= 1 }
        if names.matches(UnsafeRawBufferPointer(rebasing: p[start...])) { return true }
      }
      return scopePaths[rule].contains { FieldPattern.globMatch($0, p) }
    }
  }

  /// `[REDACTED` … `]` or `[HASH:` … `]` starting at `i`: its length, or 0.
  static func markerLength(_ text: UnsafeRawBufferPointer, at i: Int) -> Int {
    let n = text.count
    func has(_ s: StaticString) -> Bool {
      let len = s.utf8CodeUnitCount
      guard i + len <= n else { return false }
      return s.withUTF8Buffer { b in (0..<len).allSatisfy { text[i + $0] == b[$0] } }
    }
    guard i < n, text[i] == UInt8(ascii: "["), has("[REDACTED") || has("[HASH:") else { return 0 }
    var k = i + 1
    while k < n && text[k] != UInt8(ascii: "]") && text[k] != UInt8(ascii: "[") && k - i < 256 { k += 1 }
    return k < n && text[k] == UInt8(ascii: "]") ? k + 1 - i : 0
  }

  private mutating func dropMatchesInsideMarkers(_ text: UnsafeRawBufferPointer) {
    var markers: [Range<Int>] = []
    var i = 0
    while i < text.count {
      if text[i] == UInt8(ascii: "["), case let len = Self.markerLength(text, at: i), len > 0 {
        markers.append(i..<(i + len))
        i += len
      } else {
        i += 1
      }
    }
    if markers.isEmpty { return }
    matches.removeAll { m in markers.contains { $0.overlaps(m.range) } }
  }

  /// Sorts matches and drops any that overlap an earlier one (the earliest, then longest, wins).
  private mutating func resolveOverlaps() {
    matches.sort {
      $0.range.lowerBound != $1.range.lowerBound
        ? $0.range.lowerBound < $1.range.lowerBound : $0.range.upperBound > $1.range.upperBound
    }
    var kept = 0
    for m in matches {
      if kept > 0 && m.range.lowerBound < matches[kept - 1].range.upperBound { continue }
      matches[kept] = m
      kept += 1
    }
    matches.removeLast(matches.count - kept)
  }

  // MARK: - Unparsed lines

  private mutating func redactRaw(_ event: inout Event, scanner: JSONScanner) -> Int {
    matches.removeAll(keepingCapacity: true)
    path.removeAll(keepingCapacity: true)
    event.bytes.withUnsafeBytes { detectAll(in: $0, inField: false) }
    if matches.isEmpty { return 0 }
    let n = matches.count
    for m in matches { counts[m.rule] += 1 }
    try? event.rewrite(scanner: scanner) { old, _, out in
      old.withUnsafeBytes { markers.apply(matches, to: $0, into: &out) }
    }
    return n
  }
}

/// A detector behind a reference, for calls without copying the existential: the concrete
/// type is opened once, here, and each call is a class method call on the stored value.
private class DetectorBox: @unchecked Sendable {
  /// Boxes `detector` in a ``TypedDetectorBox`` of its own type.
  static func make(_ detector: any Detector) -> DetectorBox {
    func open<D: Detector>(_ d: D) -> DetectorBox { TypedDetectorBox(d) }
    return open(detector)
  }

  func detect(in text: UnsafeRawBufferPointer, rule: Int, into matches: inout [DetectorMatch]) {
    fatalError("DetectorBox is abstract")
  }
}

private final class TypedDetectorBox<D: Detector>: DetectorBox, @unchecked Sendable {
  let detector: D
  init(_ detector: D) { self.detector = detector }

  override func detect(in text: UnsafeRawBufferPointer, rule: Int, into matches: inout [DetectorMatch]) {
    detector.detect(in: text, rule: rule, into: &matches)
  }
}
