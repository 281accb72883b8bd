extension QueryProgram {
  /// The top-level members evaluating this program can read, and the keys that settle it
  /// (``JSONProjection``); nil when it reads no field or more keys than a projection holds.
  ///
  /// A field `a` is settled by `a`. A dotted field tried first as one key (`error.type`) keeps
  /// `error.type` and `error` and is settled only by `error.type` (which could follow
  /// `error`). A path of quoted keys keeps and is settled by its first key. `level` keeps every
  /// key of ``SchemaKeys/level`` and ``SchemaKeys/severityNumber`` and is settled by the first,
  /// `level`: a reader that finds no severity there must read the event whole
  /// (``Event/level`` goes on to the other keys).
  var projection: JSONProjection? {
    guard needsFields else { return nil }
    var keys: [String] = []
    var settling: [String] = []
    func text(_ r: Range<Int>) -> String { String(decoding: storage[r], as: UTF8.self) }
    func add(_ f: Field, settles: Bool) {
      let whole = text(f.whole)
      if f.components.count == 1 {
        keys.append(whole)
        if settles { settling.append(whole) }
        return
      }
      let first = text(parts[f.components.lowerBound])
      keys.append(first)
      if f.triesWholeKeyFirst {
        keys.append(whole)
        if settles { settling.append(whole) }
      } else if settles {
        settling.append(first)
      }
    }
    for ins in instructions {
      let f: Field
      switch ins.kind {
      case .compare: f = fields[comparisons[Int(ins.a)].field]
      case .exists: f = fields[Int(ins.a)]
      default: continue
      }
      if !f.isLevel { add(f, settles: true) }
    }
    if readsLevel {
      for (n, k) in levelFields.enumerated() { add(fields[k], settles: n == 0) }
      keys += SchemaKeys.severityNumber
    }
    return JSONProjection(keys: keys, settling: settling)
  }
}
