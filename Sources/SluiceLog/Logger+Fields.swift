import Logging

/// Logging with typed fields (see ``LogFields``).
extension Logger {
  /// Logs `message` at `level` with the fields `fields` adds, if `level` is enabled. Neither
  /// the message nor the fields are evaluated otherwise.
  @inlinable
  public func log(
    level: Logger.Level, _ message: @autoclosure () -> Logger.Message, error: (any Error)? = nil,
    file: String = #fileID, function: String = #function, line: UInt = #line, fields: (inout LogFields) -> Void
  ) {
    if logLevel <= level {
      _logTyped(level: level, message(), error: error, file: file, function: function, line: line, fields: fields)
    }
  }

  /// Logs at `.trace` with typed fields.
  @inlinable
  public func trace(
    _ message: @autoclosure () -> Logger.Message, error: (any Error)? = nil, file: String = #fileID,
    function: String = #function, line: UInt = #line, fields: (inout LogFields) -> Void
  ) {
    log(level: .trace, message(), error: error, file: file, function: function, line: line, fields: fields)
  }

  /// Logs at `.debug` with typed fields.
  @inlinable
  public func debug(
    _ message: @autoclosure () -> Logger.Message, error: (any Error)? = nil, file: String = #fileID,
    function: String = #function, line: UInt = #line, fields: (inout LogFields) -> Void
  ) {
    log(level: .debug, message(), error: error, file: file, function: function, line: line, fields: fields)
  }

  /// Logs at `.info` with typed fields.
  @inlinable
  public func info(
    _ message: @autoclosure () -> Logger.Message, error: (any Error)? = nil, file: String = #fileID,
    function: String = #function, line: UInt = #line, fields: (inout LogFields) -> Void
  ) {
    log(level: .info, message(), error: error, file: file, function: function, line: line, fields: fields)
  }

  /// Logs at `.notice` with typed fields.
  @inlinable
  public func notice(
    _ message: @autoclosure () -> Logger.Message, error: (any Error)? = nil, file: String = #fileID,
    function: String = #function, line: UInt = #line, fields: (inout LogFields) -> Void
  ) {
    log(level: .notice, message(), error: error, file: file, function: function, line: line, fields: fields)
  }

  /// Logs at `.warning` with typed fields.
  @inlinable
  public func warning(
    _ message: @autoclosure () -> Logger.Message, error: (any Error)? = nil, file: String = #fileID,
    function: String = #function, line: UInt = #line, fields: (inout LogFields) -> Void
  ) {
    log(level: .warning, message(), error: error, file: file, function: function, line: line, fields: fields)
  }

  /// Logs at `.error` with typed fields.
  @inlinable
  public func error(
    _ message: @autoclosure () -> Logger.Message, error: (any Error)? = nil, file: String = #fileID,
    function: String = #function, line: UInt = #line, fields: (inout LogFields) -> Void
  ) {
    log(level: .error, message(), error: error, file: file, function: function, line: line, fields: fields)
  }

  /// Logs at `.critical` with typed fields.
  @inlinable
  public func critical(
    _ message: @autoclosure () -> Logger.Message, error: (any Error)? = nil, file: String = #fileID,
    function: String = #function, line: UInt = #line, fields: (inout LogFields) -> Void
  ) {
    log(level: .critical, message(), error: error, file: file, function: function, line: line, fields: fields)
  }

  /// Hands the call to ``SluiceLogHandler`` (which encodes each field as it is added), or
  /// gives the fields to any other handler as metadata.
  @usableFromInline
  func _logTyped(
    level: Logger.Level, _ message: Logger.Message, error: (any Error)?, file: String, function: String, line: UInt,
    fields: (inout LogFields) -> Void
  ) {
    if SluiceLogHandler.logTyped(
      through: handler, level: level, message: message, error: error, file: file, function: function, line: line,
      fields: fields)
    {
      return
    }
    let metadata: Logger.Metadata? = ThreadLocalBuffer.with { box in
      let f = box.fields
      f.pointee.startKeepingValues()
      defer { f.pointee.reset() }
      var builder = LogFields(f)
      fields(&builder)
      return f.pointee.slots.isEmpty ? nil : f.pointee.metadata()
    }
    handler.log(
      event: LogEvent(
        level: level, message: message, error: error, metadata: metadata, source: nil, file: file, function: function,
        line: line))
  }
}
