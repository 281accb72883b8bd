/// Writes redaction markers for a ``Redactor``: `[REDACTED:<rule>]`, with a kept part for
/// `partial`, or `[HASH:<rule>:<hex>]`. A class holding only what never changes, so that
/// the redactor's mutating walk can call it without copying itself.
final class MarkerWriter: Sendable {
  let policy: RedactionPolicy
  /// Rule names: the detectors, then the field rules.
  let ruleNames: [String]
  let actions: [RedactionAction]

  init(policy: RedactionPolicy, ruleNames: [String], actions: [RedactionAction]) {
    self.policy = policy
    self.ruleNames = ruleNames
    self.actions = actions
  }

  /// Writes `text` with every match replaced by its rule's marker. Markers are plain ASCII
  /// and JSON-safe; the kept parts and the text between matches are written as they were
  /// (escaped again by the caller where needed).
  func apply(_ matches: [DetectorMatch], to text: UnsafeRawBufferPointer, into out: inout [UInt8]) {
    var cursor = 0
    for m in matches {
      out.append(contentsOf: UnsafeRawBufferPointer(rebasing: text[cursor..<m.range.lowerBound]))
      write(rule: m.rule, kept: UnsafeRawBufferPointer(rebasing: text[m.range]), value: nil, into: &out)
      cursor = m.range.upperBound
    }
    out.append(contentsOf: UnsafeRawBufferPointer(rebasing: text[cursor...]))
  }

  /// `[REDACTED:<rule>]`, `[REDACTED:<rule>:<kept>]` or `[HASH:<rule>:<hex>]`.
  /// - Parameters:
  ///   - kept: the matched bytes (detector rules), for `partial` and `hash`.
  ///   - value: the whole raw JSON value (field rules), for `hash`.
  func write(
    rule: Int, kept: UnsafeRawBufferPointer?, value: UnsafeRawBufferPointer?, into out: inout [UInt8]
  ) {
    let action = actions[rule]
    // A match on decoded text spans its escapes: hash and keep what they encode, so that
    // `jane%40example.com` and `jane@example.com` get the same digest.
    if let kept, action == .hash || action == .partial, DecodedText.mayHaveEscapes(ByteClasses.of(kept)) {
      var view = DecodedText()
      if view.decode(kept) {
        view.bytes.withUnsafeBytes { write(rule: rule, kept: $0, value: value, into: &out) }
        return
      }
    }
    if action == .hash, let hasher = policy.hasher, let subject = kept ?? value {
      out.append(contentsOf: "[HASH:".utf8)
      out.append(contentsOf: ruleNames[rule].utf8)
      out.append(UInt8(ascii: ":"))
      hasher.appendDigest(of: subject, to: &out)
      out.append(UInt8(ascii: "]"))
      return
    }
    out.append(contentsOf: "[REDACTED:".utf8)
    out.append(contentsOf: ruleNames[rule].utf8)
    if action == .partial, rule < policy.detectors.count, let kept {
      let start = out.count
      out.append(UInt8(ascii: ":"))
      policy.detectors[rule].detector.appendKept(from: kept, to: &out)
      // Nothing kept, or something that would break the string: plain mask.
      if out.count == start + 1 || out[(start + 1)...].contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }) {
        out.removeSubrange(start...)
      }
    }
    out.append(UInt8(ascii: "]"))
  }
}
