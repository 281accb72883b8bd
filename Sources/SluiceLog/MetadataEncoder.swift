import Logging
import SluiceCore

/// Writes swift-log metadata as typed JSON: numbers and booleans as JSON numbers and
/// booleans, dictionaries and arrays as objects and arrays, in a stable (sorted) key order,
/// with secrets and sensitive values replaced by a marker.
struct MetadataEncoder: Sendable {
  let secrets: SecretKeys
  /// The marker's escaped JSON string content (a custom marker may contain `"` or `\`).
  let marker: [UInt8]
  /// ``inlineLoadWorks`` and ``attributeCarrier``, copied here: reading a `static let` on
  /// every value costs a `swift_once` check.
  let inlineLoad: Bool
  let attributeCarrier: ObjectIdentifier

  init(secrets: SecretKeys, marker: String) {
    self.secrets = secrets
    self.inlineLoad = Self.inlineLoadWorks
    self.attributeCarrier = Self.attributeCarrier
    var escaped: [UInt8] = []
    JSONWriter.appendStringContent(marker, to: &escaped)
    self.marker = escaped
  }

  /// Appends `,"key":value` for each entry, keys sorted, skipping keys in `skip`. A key the
  /// schema writes itself (in `reserved`) is written as `fields.<key>`, so no line has a key
  /// twice (logrus's convention).
  func appendMembers<O: JSONOutput>(
    _ metadata: Logger.Metadata, to out: inout O, skip: Set<String>? = nil, reserved: ReservedKeys? = nil,
    leadingComma: Bool = true
  ) {
    let n = metadata.count
    if n == 0 { return }
    // Copy keys and values once into stack buffers and sort an index array there: no heap
    // allocation, no dictionary lookups in the sort, and nothing but small integers moved.
    withUnsafeTemporaryAllocation(of: String.self, capacity: n) { keys in
      withUnsafeTemporaryAllocation(of: Logger.MetadataValue.self, capacity: n) { values in
        withUnsafeTemporaryAllocation(of: Int.self, capacity: n) { order in
          var count = 0
          for (key, value) in metadata {
            keys.initializeElement(at: count, to: key)
            values.initializeElement(at: count, to: value)
            order[count] = count
            count += 1
          }
          // Insertion sort of the indices: metadata is small.
          var a = 1
          while a < count {
            let item = order[a]
            var b = a - 1
            while b >= 0 && Self.precedes(keys[item], keys[order[b]]) {
              order[b + 1] = order[b]
              b -= 1
            }
            order[b + 1] = item
            a += 1
          }
          var first = !leadingComma
          for k in 0..<count {
            let i = order[k]
            if let skip, skip.contains(keys[i]) { continue }
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            if let reserved, reserved.contains(keys[i]) {
              appendMember(key: "fields." + keys[i], value: values[i], to: &out)
            } else {
              appendMember(key: keys[i], value: values[i], to: &out)
            }
          }
          _ = UnsafeMutableBufferPointer(rebasing: keys[0..<count]).deinitialize()
          _ = UnsafeMutableBufferPointer(rebasing: values[0..<count]).deinitialize()
        }
      }
    }
  }

  /// Works out what a key needs on every call: appends its `,"key":` fragment (as
  /// `,"fields.key":` if the schema writes that key itself) to `fragment`, and returns where
  /// it is, the key's sort prefix and whether it names a secret.
  func keyInfo(_ key: String, reserved: ReservedKeys, into fragment: inout ByteBuffer, inScratch: Bool) -> KeyCache.Info
  {
    let start = fragment.count
    fragment.append(UInt8(ascii: ","))
    fragment.append(UInt8(ascii: "\""))
    if reserved.contains(key) { JSONWriter.appendRaw("fields.", to: &fragment) }
    JSONWriter.appendStringContent(key, to: &fragment)
    fragment.append(UInt8(ascii: "\""))
    fragment.append(UInt8(ascii: ":"))
    let (p0, p1) = KeyCache.sortPrefix(key)
    return KeyCache.Info(
      prefix0: p0, prefix1: p1, fragmentStart: Int32(start), fragmentLength: Int32(fragment.count - start),
      secret: secrets.matches(key), inScratch: inScratch)
  }

  /// Key order: by UTF-8 bytes.
  @inline(__always)
  static func precedes(_ a: String, _ b: String) -> Bool {
    a.utf8.lexicographicallyPrecedes(b.utf8)
  }

  /// The fast path for a call's own metadata: like ``appendMembers(_:to:skip:reserved:leadingComma:)``
  /// with `reserved`, but each key's fragment, secret verdict and sort prefix come from the
  /// thread's ``KeyCache`` (filled for configuration `owner`).
  func appendCallMembers(
    _ metadata: Logger.Metadata, to out: inout ByteBuffer, cache: KeyCache, owner: UInt64,
    scratch: inout ByteBuffer, reserved: ReservedKeys
  ) {
    let n = metadata.count
    if n == 0 { return }
    cache.prepare(owner: owner)
    // Sort plain key infos and dictionary positions on the stack: the sort moves small
    // values, and neither keys nor values are copied out of the dictionary.
    withUnsafeTemporaryAllocation(of: KeyCache.Info.self, capacity: n) { infos in
      withUnsafeTemporaryAllocation(of: Logger.Metadata.Index.self, capacity: n) { positions in
        var count = 0
        var p = metadata.startIndex
        while p != metadata.endIndex {
          infos[count] = cache.info(metadata.keys[p], scratch: &scratch, encoder: self, reserved: reserved)
          positions.initializeElement(at: count, to: p)
          count += 1
          metadata.formIndex(after: &p)
        }
        // Insertion sort on the prefixes; whole keys only break ties.
        var a = 1
        while a < count {
          let x = infos[a]
          let xp = positions[a]
          var b = a - 1
          while b >= 0 {
            let y = infos[b]
            let before =
              x.prefix0 != y.prefix0
              ? x.prefix0 < y.prefix0
              : (x.prefix1 != y.prefix1
                ? x.prefix1 < y.prefix1 : Self.precedes(metadata.keys[xp], metadata.keys[positions[b]]))
            if !before { break }
            infos[b + 1] = y
            positions[b + 1] = positions[b]
            b -= 1
          }
          infos[b + 1] = x
          positions[b + 1] = xp
          a += 1
        }
        let arena = cache.arenaBase
        let scratchBase = scratch.baseAddress
        for k in 0..<count {
          let info = infos[k]
          let base = info.inScratch ? scratchBase : arena
          out.append(
            bytes: UnsafeRawBufferPointer(start: base + Int(info.fragmentStart), count: Int(info.fragmentLength)))
          if info.secret {
            appendMarker(to: &out)
          } else {
            append(metadata.values[positions[k]], to: &out)
          }
        }
        _ = UnsafeMutableBufferPointer(rebasing: positions[0..<count]).deinitialize()
      }
    }
  }

  /// Appends `"key":value` (no leading comma).
  @inline(__always)
  func appendMember<O: JSONOutput>(key: String, value: Logger.MetadataValue, to out: inout O) {
    JSONWriter.appendString(key, to: &out)
    out.append(UInt8(ascii: ":"))
    if secrets.matches(key) {
      appendMarker(to: &out)
    } else {
      append(value, to: &out)
    }
  }

  func appendMarker<O: JSONOutput>(to out: inout O) {
    out.append(UInt8(ascii: "\""))
    marker.withUnsafeBytes { out.append(bytes: $0) }
    out.append(UInt8(ascii: "\""))
  }

  /// Appends `,"key":value` for each context field, in order, masking secret keys at any depth.
  func appendFields<O: JSONOutput>(_ fields: [(key: String, value: JSONValue)], to out: inout O) {
    for (key, value) in fields {
      out.append(UInt8(ascii: ","))
      appendMember(key: key, json: value, to: &out)
    }
  }

  private func appendMember<O: JSONOutput>(key: String, json value: JSONValue, to out: inout O) {
    JSONWriter.appendString(key, to: &out)
    out.append(UInt8(ascii: ":"))
    if secrets.matches(key) {
      appendMarker(to: &out)
    } else {
      appendJSON(value, to: &out)
    }
  }

  /// Appends a JSON value, masking members under secret keys at any depth.
  private func appendJSON<O: JSONOutput>(_ value: JSONValue, to out: inout O) {
    switch value {
    case .object(let members):
      out.append(UInt8(ascii: "{"))
      for (k, m) in members.enumerated() {
        if k > 0 { out.append(UInt8(ascii: ",")) }
        appendMember(key: m.key, json: m.value, to: &out)
      }
      out.append(UInt8(ascii: "}"))
    case .array(let items):
      out.append(UInt8(ascii: "["))
      for (k, item) in items.enumerated() {
        if k > 0 { out.append(UInt8(ascii: ",")) }
        appendJSON(item, to: &out)
      }
      out.append(UInt8(ascii: "]"))
    default:
      value.write(to: &out)
    }
  }

  /// The dynamic type swift-log wraps attributed values in (internal to swift-log, so found
  /// by making one).
  static let attributeCarrier: ObjectIdentifier = {
    if case .stringConvertible(let c) = Logger.MetadataValue.attributed("", attributes: .init()) {
      return ObjectIdentifier(type(of: c))
    }
    return ObjectIdentifier(Never.self)
  }()

  typealias Convertible = any CustomStringConvertible & Sendable

  /// The value of a number or boolean whose dynamic type is known to be `T`: read straight
  /// from the existential container's inline buffer (where the Swift ABI keeps values of up
  /// to three words), which costs a load instead of a runtime cast. The layout is checked once
  /// at start-up; if it is not as expected, a checked cast is used.
  @inline(__always)
  static func load<T>(_ c: Convertible, as type: T.Type, fast: Bool) -> T {
    if fast { return withUnsafeBytes(of: c) { $0.load(as: T.self) } }
    return c as! T
  }

  static let inlineLoadWorks: Bool = {
    guard MemoryLayout<Convertible>.size >= 3 * MemoryLayout<Int>.size else { return false }
    let i: Convertible = 0x0123_4567_89AB_CDEF as Int
    let d: Convertible = -2.5 as Double
    let b: Convertible = true
    let u: Convertible = 200 as UInt8
    return withUnsafeBytes(of: i) { $0.load(as: Int.self) } == 0x0123_4567_89AB_CDEF
      && withUnsafeBytes(of: d) { $0.load(as: Double.self) } == -2.5
      && withUnsafeBytes(of: b) { $0.load(as: Bool.self) } == true
      && withUnsafeBytes(of: u) { $0.load(as: UInt8.self) } == 200
  }()

  /// Appends a value with its natural JSON type.
  func append<O: JSONOutput>(_ value: consuming Logger.MetadataValue, to out: inout O) {
    switch consume value {
    case .string(let s):
      JSONWriter.appendString(s, to: &out)
    case .stringConvertible(let c):
      // Dispatch on the dynamic type's identity first: one pointer comparison each, and a
      // single cast that is known to succeed, instead of a chain of failing `as?` casts.
      let t = ObjectIdentifier(type(of: c))
      switch t {
      case ObjectIdentifier(Int.self):
        JSONWriter.appendInt(Int64(Self.load(c, as: Int.self, fast: inlineLoad)), to: &out)
      case ObjectIdentifier(Double.self):
        JSONWriter.appendDouble(Self.load(c, as: Double.self, fast: inlineLoad), to: &out)
      case ObjectIdentifier(Bool.self): JSONWriter.appendBool(Self.load(c, as: Bool.self, fast: inlineLoad), to: &out)
      case ObjectIdentifier(Int64.self): JSONWriter.appendInt(Self.load(c, as: Int64.self, fast: inlineLoad), to: &out)
      case ObjectIdentifier(Int32.self):
        JSONWriter.appendInt(Int64(Self.load(c, as: Int32.self, fast: inlineLoad)), to: &out)
      case ObjectIdentifier(Int16.self):
        JSONWriter.appendInt(Int64(Self.load(c, as: Int16.self, fast: inlineLoad)), to: &out)
      case ObjectIdentifier(Int8.self):
        JSONWriter.appendInt(Int64(Self.load(c, as: Int8.self, fast: inlineLoad)), to: &out)
      case ObjectIdentifier(UInt.self):
        JSONWriter.appendUInt(UInt64(Self.load(c, as: UInt.self, fast: inlineLoad)), to: &out)
      case ObjectIdentifier(UInt64.self):
        JSONWriter.appendUInt(Self.load(c, as: UInt64.self, fast: inlineLoad), to: &out)
      case ObjectIdentifier(UInt32.self):
        JSONWriter.appendUInt(UInt64(Self.load(c, as: UInt32.self, fast: inlineLoad)), to: &out)
      case ObjectIdentifier(UInt16.self):
        JSONWriter.appendUInt(UInt64(Self.load(c, as: UInt16.self, fast: inlineLoad)), to: &out)
      case ObjectIdentifier(UInt8.self):
        JSONWriter.appendUInt(UInt64(Self.load(c, as: UInt8.self, fast: inlineLoad)), to: &out)
      case ObjectIdentifier(Float.self):
        JSONWriter.appendDouble(Double(Self.load(c, as: Float.self, fast: inlineLoad)), to: &out)
      default:
        // Only swift-log's attribute carrier can hold attributes (SLG-0004).
        if t == attributeCarrier && Logger.MetadataValue.stringConvertible(c).attributes[Sensitivity.self] == .sensitive
        {
          appendMarker(to: &out)
        } else {
          JSONWriter.appendString(c.description, to: &out)
        }
      }
    case .dictionary(let dict):
      out.append(UInt8(ascii: "{"))
      appendMembers(dict, to: &out, leadingComma: false)
      out.append(UInt8(ascii: "}"))
    case .array(let items):
      out.append(UInt8(ascii: "["))
      for (k, item) in items.enumerated() {
        if k > 0 { out.append(UInt8(ascii: ",")) }
        append(item, to: &out)
      }
      out.append(UInt8(ascii: "]"))
    }
  }
}

/// Top-level keys a schema writes itself; metadata may not reuse them.
struct ReservedKeys: Sendable {
  private let names: Set<String>
  /// One bit per key length below 64: most keys are rejected without hashing.
  private let lengths: UInt64

  init(_ names: [String]) {
    self.names = Set(names)
    var mask: UInt64 = 0
    for n in names where n.utf8.count < 64 { mask |= 1 << UInt64(n.utf8.count) }
    self.lengths = mask
  }

  @inline(__always)
  func contains(_ key: String) -> Bool {
    let n = key.utf8.count
    guard n < 64, lengths & (1 << UInt64(n)) != 0 else { return false }
    return names.contains(key)
  }
}
