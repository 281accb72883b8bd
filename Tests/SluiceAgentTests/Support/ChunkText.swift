@testable import SluiceAgent

/// The lines of `chunks`, as text, in order.
func lines(_ chunks: [SourceChunk]) -> [String] {
  var out: [String] = []
  for c in chunks { c.forEachLine { line, _ in out.append(String(decoding: line, as: UTF8.self)) } }
  return out
}
