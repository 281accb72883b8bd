import Logging
import SluiceCore

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A swift-log backend that writes one JSON object per line.
///
/// ```swift
/// SluiceLog.bootstrap(service: "checkout")          // or:
/// LoggingSystem.bootstrap(SluiceLogHandler.factory(.init(service: "checkout")))
/// ```
///
/// Key order is stable (for the default schema): `timestamp` (RFC 3339, UTC, microseconds),
/// `level`, `message`, `logger`, `service`, then context (`request_id`, `user_id`,
/// `trace_id`, `span_id`, bound context fields), then metadata (logger-bound first, then
/// the metadata provider's, then the call's, each sorted by key in UTF-8 byte order), then `error.type` and
/// `error.message`, then optionally `source.file`, `source.line`, `source.function`.
/// See ``LogSchema`` for the ECS and OpenTelemetry layouts.
///
/// Values keep their types: integers, floating point numbers and booleans are JSON numbers
/// and booleans, dictionaries and arrays are objects and arrays. A message never produces
/// more than one line. Values under secret keys (``SecretKeys``) and values carrying the
/// ``Sensitivity/sensitive`` attribute are replaced by the redaction marker.
///
/// Cost: logger-bound metadata and context fields are encoded once, when bound; each call
/// encodes into a per-thread buffer and sorts keys on the stack, so a call allocates nothing
/// of its own beyond what swift-log's call site does (measured in `Benchmarks/`).
public struct SluiceLogHandler: LogHandler {
  /// How lines are written. Shared by every handler a bootstrap creates.
  public struct Configuration: Sendable {
    public static let defaultRedactionMarker = "[REDACTED]"

    /// Written as `service` (or the schema's equivalent) on every line, if set.
    public var service: String?
    public var schema: LogSchema
    public var output: LogOutput
    /// Add the call site's file, line and function.
    public var includeSourceLocation: Bool
    /// Keys whose values are never written (see ``SecretKeys``).
    public var secretKeys: [String]
    public var redactionMarker: String
    /// Value detectors of the shared redaction engine (e.g. `EmailDetector()`), run over
    /// every string value of every line. Empty (the default) turns value scanning off.
    public var valueDetectors: [any Detector]
    /// The shared redaction engine's full policy (detectors with actions, field deny- and
    /// allow-lists, a hasher), run over every line. When set, it is used instead of
    /// `valueDetectors`.
    public var redaction: RedactionPolicy?
    /// Optional swift-metrics counters.
    public var metrics: LogMetrics?
    public var traceContext: TraceContextSource

    public init(
      service: String? = nil, schema: LogSchema = .sluice, output: LogOutput = .stdout,
      includeSourceLocation: Bool = false, secretKeys: [String] = SecretKeys.defaultNames,
      redactionMarker: String = Configuration.defaultRedactionMarker, valueDetectors: [any Detector] = [],
      redaction: RedactionPolicy? = nil, metrics: LogMetrics? = nil, traceContext: TraceContextSource = .instrumentation
    ) {
      self.redaction = redaction
      self.service = service
      self.schema = schema
      self.output = output
      self.includeSourceLocation = includeSourceLocation
      self.secretKeys = secretKeys
      self.redactionMarker = redactionMarker
      self.valueDetectors = valueDetectors
      self.metrics = metrics
      self.traceContext = traceContext
    }
  }

  public var logLevel: Logger.Level = .info
  public var metadataProvider: Logger.MetadataProvider?
  /// Logger-bound metadata (encoded once per change, not per call).
  public var metadata: Logger.Metadata {
    get { bound.metadata }
    set { bound = Bound(afterMessage: bound.afterMessage, metadata: newValue, shared: shared) }
  }
  public let label: String
  let shared: Shared
  /// Everything per logger that a call reads, in one object: copying the handler (swift-log
  /// does on every call) then costs one reference count, not one per field.
  private var bound: Bound

  final class Bound: Sendable {
    /// `,"logger":"<label>",…` up to where context begins (schema-specific).
    let afterMessage: [UInt8]
    let metadata: Logger.Metadata
    /// `metadata`, encoded.
    let fragment: [UInt8]
    let keys: Set<String>

    init(afterMessage: [UInt8], metadata: Logger.Metadata, shared: Shared) {
      self.afterMessage = afterMessage
      self.metadata = metadata
      self.keys = Set(metadata.keys)
      var fragment: [UInt8] = []
      shared.encoder.appendMembers(metadata, to: &fragment, reserved: shared.reserved)
      self.fragment = fragment
    }
  }

  public init(
    label: String, configuration: Configuration = Configuration(),
    metadataProvider: Logger.MetadataProvider? = LoggingSystem.metadataProvider
  ) {
    self.init(label: label, shared: Shared(configuration), metadataProvider: metadataProvider)
  }

  /// A factory for `LoggingSystem.bootstrap` whose handlers share one configuration: the
  /// per-thread key caches are then shared by every logger, instead of being refilled each
  /// time a thread switches to a logger made from another copy of the configuration.
  public static func factory(
    _ configuration: Configuration, logLevel: Logger.Level = .info,
    metadataProvider: Logger.MetadataProvider? = nil
  ) -> @Sendable (String) -> SluiceLogHandler {
    let shared = Shared(configuration)
    return { label in
      var h = SluiceLogHandler(label: label, shared: shared, metadataProvider: metadataProvider)
      h.logLevel = logLevel
      return h
    }
  }

  /// Handlers of one bootstrap share one `Shared` (and so the per-thread key caches).
  init(label: String, shared: Shared, metadataProvider: Logger.MetadataProvider?) {
    self.label = label
    self.shared = shared
    self.metadataProvider = metadataProvider
    self.bound = Bound(
      afterMessage: Self.encodeAfterMessage(label: label, configuration: shared.configuration), metadata: [:],
      shared: shared)
  }

  /// Convenience: the default schema with a service name and an output.
  public init(
    label: String, service: String? = nil, output: LogOutput,
    metadataProvider: Logger.MetadataProvider? = LoggingSystem.metadataProvider
  ) {
    self.init(
      label: label, configuration: Configuration(service: service, output: output), metadataProvider: metadataProvider)
  }

  public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
    get { metadata[key] }
    set { metadata[key] = newValue }
  }

  // MARK: - Logging

  public func log(event: LogEvent) {
    ThreadLocalBuffer.with { box in
      write(
        level: event.level, message: event.message, error: event.error, file: event.file, function: event.function,
        line: event.line, call: .metadata(event.metadata), box: box)
    }
  }

  /// Writes a line with typed fields instead of metadata (see ``LogFields``): `fields` adds
  /// them, each encoded as it is added.
  func log(
    level: Logger.Level, message: Logger.Message, error: (any Error)?, file: String, function: String, line: UInt,
    fields: (inout LogFields) -> Void
  ) {
    ThreadLocalBuffer.with { box in
      let f = box.fields
      f.pointee.start(encodingFor: shared, cache: box.keys)
      defer { f.pointee.reset() }
      var builder = LogFields(f)
      fields(&builder)
      write(
        level: level, message: message, error: error, file: file, function: function, line: line, call: .typed(f),
        box: box)
    }
  }

  /// Writes a typed-field call through `handler` if it is a ``SluiceLogHandler`` (returns
  /// `false` otherwise). The handler is used where it lies, inside the logger's existential:
  /// a metatype comparison instead of a dynamic cast, and no copy of the handler (a copy
  /// costs a reference count per stored reference).
  static func logTyped<H: LogHandler>(
    through handler: H, level: Logger.Level, message: Logger.Message, error: (any Error)?, file: String,
    function: String, line: UInt, fields: (inout LogFields) -> Void
  ) -> Bool {
    guard H.self == SluiceLogHandler.self else { return false }
    withUnsafePointer(to: handler) { p in
      UnsafeRawPointer(p).assumingMemoryBound(to: SluiceLogHandler.self).pointee.log(
        level: level, message: message, error: error, file: file, function: function, line: line, fields: fields)
    }
    return true
  }

  /// A call's own fields: swift-log metadata, or typed fields.
  enum CallFields {
    case metadata(Logger.Metadata?)
    case typed(UnsafeMutablePointer<FieldState>)

    var isEmpty: Bool {
      switch self {
      case .metadata(let m): m?.isEmpty ?? true
      case .typed(let f): f.pointee.count == 0
      }
    }

    /// As metadata (for the merging path); a typed key given twice keeps its last value.
    var metadata: Logger.Metadata? {
      switch self {
      case .metadata(let m): m
      case .typed(let f): f.pointee.count == 0 ? nil : f.pointee.metadata()
      }
    }
  }

  /// Encodes and writes one line. The event's parts come one by one (not as a `LogEvent`):
  /// typed-field calls then build no event, and nothing is copied to make one.
  private func write(
    level: Logger.Level, message: Logger.Message, error: (any Error)?, file: String, function: String, line: UInt,
    call: CallFields, box: ThreadLocalBuffer.Box
  ) {
    let shared = self.shared
    shared.metrics?.record(level: level, error: error)
    let state = box.state
    encode(
      level: level, message: message, error: error, file: file, function: function, line: line, call: call,
      into: &state.pointee.line, clock: &state.pointee.clock, box: box, scratch: &state.pointee.scratch)
    if shared.scanValues { redactValues(&state.pointee.line, box) }
    state.pointee.line.append(0x0A)
    shared.output.write(state.pointee.line.bytes)
  }

  func encode(
    level: Logger.Level, message: Logger.Message, error: (any Error)?, file: String, function: String, line: UInt,
    call: CallFields, into out: inout ByteBuffer, clock: inout RFC3339Cache, box: ThreadLocalBuffer.Box,
    scratch: inout ByteBuffer
  ) {
    let shared = self.shared
    let keys = shared.keys
    let isOTel = shared.isOTel
    shared.timestampKey.withUnsafeBytes { out.append(bytes: $0) }  // {"timestamp":"
    clock.append(RFC3339.nowNanoseconds(), to: &out)
    shared.levelFragments[LogMetrics.index(level)].withUnsafeBytes { out.append(bytes: $0) }
    JSONWriter.appendString(message.description, to: &out)

    let bound = self.bound
    let boundKeys = bound.keys
    let boundFragment = bound.fragment
    let context = LogContext.current.storage
    let trace = shared.traceContext.ids()
    bound.afterMessage.withUnsafeBytes { out.append(bytes: $0) }  // ,"logger":…,"service":… (OTel: ,"resource":{…})
    if isOTel {
      if let trace { appendTrace(trace, keys, &out) }
      JSONWriter.appendRaw(",\"attributes\":{\"logger\":", to: &out)
      JSONWriter.appendString(label, to: &out)
    }
    // OTel writes trace ids at the top level (above); the others after request_id/user_id.
    let contextTrace = isOTel ? nil : trace

    // Metadata from the provider and the call; detect keys bound twice.
    let provided = metadataProvider?.get()
    if context == nil && provided == nil && (boundKeys.isEmpty || call.isEmpty) {
      // The common case: nothing the call's metadata could collide with.
      if let contextTrace { appendTrace(contextTrace, keys, &out) }
      if !boundFragment.isEmpty { boundFragment.withUnsafeBytes { out.append(bytes: $0) } }
      appendCall(call, &out, box, &scratch)
    } else if needsMerge(context, provided, call) {
      encodeMerged(context, provided, call.metadata, keys, contextTrace, &out)
    } else {
      appendContext(context, keys, skip: nil, trace: contextTrace, &out)
      if !boundFragment.isEmpty { boundFragment.withUnsafeBytes { out.append(bytes: $0) } }
      if let provided, !provided.isEmpty { shared.encoder.appendMembers(provided, to: &out, reserved: shared.reserved) }
      appendCall(call, &out, box, &scratch)
    }

    if let error {
      appendKey(keys.errorType, &out)
      JSONWriter.appendString(String(reflecting: type(of: error)), to: &out)
      appendKey(keys.errorMessage, &out)
      JSONWriter.appendString(String(describing: error), to: &out)
    }
    if shared.includeSourceLocation {
      appendKey(keys.file, &out)
      JSONWriter.appendString(file, to: &out)
      appendKey(keys.line, &out)
      JSONWriter.appendUInt(UInt64(line), to: &out)
      appendKey(keys.function, &out)
      JSONWriter.appendString(function, to: &out)
    }
    if isOTel { out.append(UInt8(ascii: "}")) }
    out.append(UInt8(ascii: "}"))
  }

  /// Appends the call's own fields, sorted by key.
  @inline(__always)
  private func appendCall(
    _ call: CallFields, _ out: inout ByteBuffer, _ box: ThreadLocalBuffer.Box, _ scratch: inout ByteBuffer
  ) {
    switch call {
    case .metadata(let metadata):
      guard let metadata, !metadata.isEmpty else { return }
      shared.encoder.appendCallMembers(
        metadata, to: &out, cache: box.keys, owner: shared.id, scratch: &scratch, reserved: shared.reserved)
    case .typed(let fields):
      guard fields.pointee.count > 0 else { return }
      MetadataEncoder.appendTypedMembers(fields, arena: box.keys.arenaBase, to: &out)
    }
  }

  @inline(__always)
  private func appendKey(_ key: StaticString, _ out: inout ByteBuffer) {
    out.append(UInt8(ascii: ","))
    out.append(UInt8(ascii: "\""))
    JSONWriter.appendRaw(key, to: &out)
    out.append(UInt8(ascii: "\""))
    out.append(UInt8(ascii: ":"))
  }

  private func appendTrace(_ trace: (traceID: String, spanID: String), _ keys: LogSchema.Keys, _ out: inout ByteBuffer)
  {
    appendKey(keys.traceID, &out)
    JSONWriter.appendString(trace.traceID, to: &out)
    appendKey(keys.spanID, &out)
    JSONWriter.appendString(trace.spanID, to: &out)
  }

  private func appendContext(
    _ context: LogContext.Storage?, _ keys: LogSchema.Keys, skip: Set<String>?,
    trace: (traceID: String, spanID: String)?,
    _ out: inout ByteBuffer
  ) {
    guard let context else {
      if let trace { appendTrace(trace, keys, &out) }
      return
    }
    if let id = context.requestID, skip?.contains(keys.requestID.description) != true {
      appendKey(keys.requestID, &out)
      JSONWriter.appendString(id, to: &out)
    }
    if let id = context.userID, skip?.contains(keys.userID.description) != true {
      appendKey(keys.userID, &out)
      JSONWriter.appendString(id, to: &out)
    }
    if let trace { appendTrace(trace, keys, &out) }
    guard skip == nil, !context.fields.isEmpty else { return }
    if shared.contextFieldsPrecoded {
      context.encodedFields.withUnsafeBytes { out.append(bytes: $0) }
    } else {
      shared.encoder.appendFields(context.fields, to: &out)  // other secret keys or marker than the default
    }
  }

  /// Whether some key would be written twice (rare: then the slow, merging path runs).
  private func needsMerge(_ context: LogContext.Storage?, _ provided: Logger.Metadata?, _ call: CallFields) -> Bool {
    switch call {
    case .metadata(let m): return needsMerge(context, provided, callKeys: (m ?? [:]).keys)
    case .typed(let f):
      return needsMerge(context, provided, callKeys: (0..<f.pointee.count).lazy.map { f.pointee.key($0) })
    }
  }

  private func needsMerge(
    _ context: LogContext.Storage?, _ provided: Logger.Metadata?, callKeys: some Collection<String>
  ) -> Bool {
    let boundKeys = bound.keys
    let reserved = context?.requestID != nil || context?.userID != nil
    let contextFields = context?.fields ?? []
    if reserved && !boundKeys.isEmpty
      && (boundKeys.contains(shared.requestIDKey) || boundKeys.contains(shared.userIDKey))
    {
      return true
    }
    let providedCount = provided?.count ?? 0
    let callCount = callKeys.count
    if providedCount + callCount == 0 && contextFields.isEmpty { return false }
    // The common case: only the call's own metadata, nothing it could collide with.
    if providedCount == 0 && boundKeys.isEmpty && !reserved && contextFields.isEmpty { return false }
    func collides(_ key: String) -> Bool {
      if boundKeys.contains(key) { return true }
      if reserved && (key == shared.requestIDKey || key == shared.userIDKey) { return true }
      for f in contextFields where f.key == key { return true }
      return false
    }
    if let provided { for key in provided.keys where collides(key) { return true } }
    for key in callKeys where collides(key) || provided?[key] != nil { return true }
    if !contextFields.isEmpty && !boundKeys.isEmpty {
      for f in contextFields where boundKeys.contains(f.key) { return true }
    }
    return false
  }

  /// Writes context and metadata merged by key: call > provider > logger-bound > context.
  private func encodeMerged(
    _ context: LogContext.Storage?, _ provided: Logger.Metadata?, _ call: Logger.Metadata?, _ keys: LogSchema.Keys,
    _ trace: (traceID: String, spanID: String)?, _ out: inout ByteBuffer
  ) {
    var merged: Logger.Metadata = [:]
    for (key, value) in context?.fields ?? [] { merged[key] = value.metadataValue }
    merged.merge(bound.metadata) { _, new in new }
    if let provided { merged.merge(provided) { _, new in new } }
    if let call { merged.merge(call) { _, new in new } }
    appendContext(context, keys, skip: Set(merged.keys), trace: trace, &out)
    shared.encoder.appendMembers(merged, to: &out, reserved: shared.reserved)
  }

  /// Runs the shared redaction engine over the encoded line, in place.
  private func redactValues(_ bytes: inout ByteBuffer, _ box: ThreadLocalBuffer.Box) {
    // A weak reference, not an ObjectIdentifier: a freed configuration's address can be reused.
    if box.redactorOwner !== shared {
      let c = shared.configuration
      box.redactor = c.redaction.map { Redactor(policy: $0) } ?? Redactor(detectors: c.valueDetectors)
      box.redactorOwner = shared
    }
    box.event.load(bytes.bytes)
    guard case (.object, _) = box.event.parse(using: JSONScanner()) else { return }
    if box.redactor!.redact(&box.event, scanner: JSONScanner()) > 0 {
      bytes.removeAll()
      bytes.append(contentsOf: box.event.bytes)
    }
  }
}

/// One-line set-up.
public enum SluiceLog {
  /// Bootstraps swift-log with ``SluiceLogHandler`` for every logger in the process.
  public static func bootstrap(_ configuration: SluiceLogHandler.Configuration, logLevel: Logger.Level = .info) {
    LoggingSystem.bootstrap(SluiceLogHandler.factory(configuration, logLevel: logLevel))
  }

  /// Bootstraps swift-log with the default schema on standard output.
  public static func bootstrap(service: String, logLevel: Logger.Level = .info) {
    bootstrap(SluiceLogHandler.Configuration(service: service), logLevel: logLevel)
  }

  /// Writes out everything logged so far (asynchronous outputs included).
  public static func flush() { OutputRegistry.flushAll() }
}
