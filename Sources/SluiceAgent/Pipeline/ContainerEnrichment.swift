import SluiceCore

/// Adds what the container runtime and the kubelet path say about a line of a container
/// log: `stream`, the runtime's time as `timestamp` (unless the event has a time of its
/// own), and the `k8s.*` fields of the file. A key the event already has is not added again.
///
/// Not a configured step: it runs on every line of a chunk that carries container
/// information, as soon as the event is a JSON object (after `parse`, so later steps such
/// as `metrics` see `k8s.container.name`; or at the end, for pipelines without `parse`).
struct ContainerEnrichment {
  private var extra: [UInt8] = []
  private let scanner: JSONScanner

  // Looked up per line: kept as constants, not array literals built on every call.
  private static let streamKey = "stream"
  private static let podNameKey = "k8s.pod.name"

  init(scanner: JSONScanner) { self.scanner = scanner }

  /// Whether lines of `chunk` get fields from it.
  static func applies(to chunk: SourceChunk) -> Bool { !chunk.fileFields.isEmpty || !chunk.streams.isEmpty }

  /// Adds line `k`'s container fields to a structured `event`.
  mutating func apply(to event: inout Event, chunk: SourceChunk, line k: Int) {
    extra.removeAll(keepingCapacity: true)
    if let (stream, time) = chunk.containerInfo(line: k) {
      if event.valueIndex(at: Self.streamKey) == nil {
        JSONWriter.appendRaw("\"stream\":\"", to: &extra)
        JSONWriter.appendRaw(stream.name, to: &extra)
        extra.append(UInt8(ascii: "\""))
      }
      if !time.isEmpty && event.valueIndex(forAnyOf: SchemaKeys.timestamp) == nil {
        if !extra.isEmpty { extra.append(UInt8(ascii: ",")) }
        JSONWriter.appendRaw("\"timestamp\":", to: &extra)
        time.withUnsafeBytes { t in
          extra.append(UInt8(ascii: "\""))
          JSONWriter.appendStringContent(t, to: &extra)
          extra.append(UInt8(ascii: "\""))
        }
      }
    }
    if !chunk.fileFields.isEmpty && event.valueIndex(at: Self.podNameKey) == nil {
      if !extra.isEmpty { extra.append(UInt8(ascii: ",")) }
      extra.append(contentsOf: chunk.fileFields)
    }
    extra.withUnsafeBytes { event.appendMembers(encoded: $0, scanner: scanner) }
  }
}
