/// Environment variables in configuration values: `${NAME}`, `${NAME:-default}` (the default
/// when NAME is unset or empty, as in a shell), and `$${` for a literal `${`.
///
/// Interpolation runs on each scalar value after the YAML is parsed, not on the file's text:
/// a variable's value can never change the document's structure (a value containing `: ` or
/// a newline stays one string), and an unset variable is reported at the line and column of
/// the value that uses it. Keys are not interpolated.
enum Interpolation {
  struct Failure: Error, CustomStringConvertible {
    var description: String
  }

  /// `text` with every reference replaced.
  static func expand(_ text: String, environment: [String: String]) throws(Failure) -> String {
    guard text.contains("$") else { return text }
    let bytes = Array(text.utf8)
    var out: [UInt8] = []
    out.reserveCapacity(bytes.count)
    var i = 0
    while i < bytes.count {
      let b = bytes[i]
      if b == UInt8(ascii: "$") && i + 2 < bytes.count && bytes[i + 1] == UInt8(ascii: "$")
        && bytes[i + 2] == UInt8(ascii: "{")
      {
        out.append(contentsOf: "${".utf8)  // `$${` escapes a reference
        i += 3
        continue
      }
      guard b == UInt8(ascii: "$") && i + 1 < bytes.count && bytes[i + 1] == UInt8(ascii: "{") else {
        out.append(b)
        i += 1
        continue
      }
      guard let close = bytes[(i + 2)...].firstIndex(of: UInt8(ascii: "}")) else {
        throw Failure(description: "'${' without a closing '}' (write '$${' for a literal '${')")
      }
      let inner = String(decoding: bytes[(i + 2)..<close], as: UTF8.self)
      let name: String
      let fallback: String?
      if let sep = inner.range(of: ":-") {
        name = String(inner[..<sep.lowerBound])
        fallback = String(inner[sep.upperBound...])
      } else {
        name = inner
        fallback = nil
      }
      guard isVariableName(name) else {
        throw Failure(description: "'${\(inner)}' is not a variable reference (names are letters, digits and _)")
      }
      if let value = environment[name], !(value.isEmpty && fallback != nil) {
        out.append(contentsOf: value.utf8)
      } else if let fallback {
        out.append(contentsOf: fallback.utf8)
      } else {
        throw Failure(
          description: "environment variable \(name) is not set (write ${\(name):-default} to give a default)")
      }
      i = close + 1
    }
    return String(decoding: out, as: UTF8.self)
  }

  static func isVariableName(_ name: String) -> Bool {
    guard let first = name.unicodeScalars.first, first == "_" || (first.isASCII && first.properties.isAlphabetic)
    else { return false }
    return name.unicodeScalars.allSatisfy {
      $0 == "_" || ($0.isASCII && $0.properties.isAlphabetic) || ("0"..."9").contains($0)
    }
  }
}

/// "Did you mean": the known name closest to a mistyped one.
enum KeySuggestion {
  /// The closest of `known` to `word` by edit distance (case and `-`/`_` ignored), if it is
  /// close enough to be a typo: at most 1 edit for names up to 4 characters, 2 up to 8, 3 beyond.
  static func closest(to word: String, in known: [String]) -> String? {
    let w = normalise(word)
    var best: (String, Int)?
    for k in known {
      let d = distance(w, normalise(k))
      if d < (best?.1 ?? .max) { best = (k, d) }
    }
    guard let (name, d) = best else { return nil }
    let limit = w.count <= 4 ? 1 : (w.count <= 8 ? 2 : 3)
    // A prefix of a known key ("includ" → "include") counts however short it is.
    if d <= limit || (w.count >= 3 && normalise(name).starts(with: w)) { return name }
    return nil
  }

  /// `did you mean 'x'?; ` when a close name exists, else nothing (to start a parenthesis).
  static func didYouMean(_ word: String, in known: [String]) -> String {
    closest(to: word, in: known).map { "did you mean '\($0)'?; " } ?? ""
  }

  private static func normalise(_ s: String) -> [Character] {
    Array(s.lowercased().replacingOccurrences(of: "-", with: "_"))
  }

  /// Optimal string alignment distance (Levenshtein with adjacent transpositions).
  static func distance(_ a: [Character], _ b: [Character]) -> Int {
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var d = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
    for i in 0...a.count { d[i][0] = i }
    for j in 0...b.count { d[0][j] = j }
    for i in 1...a.count {
      for j in 1...b.count {
        let cost = a[i - 1] == b[j - 1] ? 0 : 1
        d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
        if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
          d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
        }
      }
    }
    return d[a.count][b.count]
  }
}
