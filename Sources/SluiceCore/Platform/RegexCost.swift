/// Refuses the extended regular expressions that make glibc's `regcomp` use exponential time
/// and memory, before they reach it. glibc expands repetitions into copies of what they
/// repeat: `x+` becomes `xx*`, and each further `+` stacked on it doubles the copies again —
/// `@` followed by 20 `+` takes 0.7 GB and 30 take 24 GB (measured on Debian 12's glibc 2.36;
/// found by fuzzing `sluice grep`'s `~` operator). Nested bounded repetitions multiply the
/// same way: `((a{1,100}){1,100}){1,100}` takes 1.2 GB.
///
/// Two rules, each with a message that says why:
/// - a repetition operator directly after another (`a++`, `a*+`, `a{2}{3}`, `a+?`) is refused:
///   POSIX leaves it undefined, and it is what blows up;
/// - a pattern whose repetitions expand it to more than ``maxPositions`` positions (each
///   `{m,n}` multiplies what it repeats by `n`, each `+` by 2) is refused.
enum RegexCost {
  static let maxPositions = 100_000

  /// Nil if `pattern` is safe to compile, or why it is not.
  static func problem(in pattern: String) -> String? {
    let p = Array(pattern.utf8)
    // Per open group: the positions of the items finished so far, and of the last item (what
    // a repetition applies to).
    var frames: [(total: Int, last: Int)] = [(0, 0)]
    var repeated = false  // the last thing read was a repetition operator
    var i = 0
    func cap(_ n: Int) -> Int { min(n, maxPositions + 1) }
    func atom(_ size: Int) {
      frames[frames.count - 1].total = cap(frames[frames.count - 1].total + frames[frames.count - 1].last)
      frames[frames.count - 1].last = size
      repeated = false
    }
    while i < p.count {
      let c = p[i]
      var factor: Int?
      switch c {
      case UInt8(ascii: "\\"):
        i += 1
        atom(1)
      case UInt8(ascii: "["):
        i = bracketEnd(p, from: i)
        atom(1)
      case UInt8(ascii: "("):
        frames.append((0, 0))
        repeated = false
      case UInt8(ascii: ")") where frames.count > 1:
        let f = frames.removeLast()
        atom(cap(f.total + f.last))
      case UInt8(ascii: "|"):
        atom(0)
      case UInt8(ascii: "*"), UInt8(ascii: "?"):
        factor = 1
      case UInt8(ascii: "+"):
        factor = 2
      case UInt8(ascii: "{"):
        if let (bound, end) = braceBound(p, from: i) {
          factor = max(bound, 1)
          i = end
        } else {
          atom(1)
        }
      default:
        atom(1)
      }
      if let factor {
        if repeated {
          return "a repetition operator directly after another (such as '++', '*+' or '{2}{3}') is undefined in "
            + "POSIX regular expressions and makes the regex library use exponential memory; group instead: '(a+)+'"
        }
        repeated = true
        frames[frames.count - 1].last = cap(frames[frames.count - 1].last * factor)
      }
      if frames.contains(where: { $0.total + $0.last > maxPositions }) {
        return "its repetitions expand it to more than \(maxPositions) positions (nested bounds multiply: "
          + "'(a{1,100}){1,100}' is 10000), which makes the regex library use too much memory"
      }
      i += 1
    }
    return nil
  }

  /// The index of the `]` closing the bracket expression opened at `start` (or the last byte).
  static func bracketEnd(_ p: [UInt8], from start: Int) -> Int {
    var i = start + 1
    if i < p.count && p[i] == UInt8(ascii: "^") { i += 1 }
    if i < p.count && p[i] == UInt8(ascii: "]") { i += 1 }  // `[]a]`: a literal ]
    while i < p.count && p[i] != UInt8(ascii: "]") {
      if p[i] == UInt8(ascii: "["), i + 1 < p.count,
        p[i + 1] == UInt8(ascii: ":") || p[i + 1] == UInt8(ascii: ".") || p[i + 1] == UInt8(ascii: "=")
      {
        // `[:alpha:]`, `[.a.]`, `[=a=]`
        let close = p[i + 1]
        i += 2
        while i + 1 < p.count && !(p[i] == close && p[i + 1] == UInt8(ascii: "]")) { i += 1 }
        i += 2
        continue
      }
      i += 1
    }
    return min(i, p.count - 1)
  }

  /// `{m}`, `{m,}` or `{m,n}` at `start`: the largest count it allows (`m + 1` when
  /// unbounded), and the index of its `}`; nil if it is not a bound.
  static func braceBound(_ p: [UInt8], from start: Int) -> (Int, Int)? {
    var i = start + 1
    func number() -> Int? {
      var n = 0
      var digits = 0
      while i < p.count, DetectorBytes.isDigit(p[i]) {
        n = min(n * 10 + Int(p[i] - UInt8(ascii: "0")), 1_000_000)
        i += 1
        digits += 1
      }
      return digits > 0 ? n : nil
    }
    guard let low = number() else { return nil }
    var high = low
    if i < p.count && p[i] == UInt8(ascii: ",") {
      i += 1
      high = number() ?? low + 1
    }
    guard i < p.count && p[i] == UInt8(ascii: "}") else { return nil }
    return (max(low, high), i)
  }
}
