import Logging
import SluiceCore

extension MetadataEncoder {
  /// Appends a call's typed fields, already encoded in `fields`, as
  /// ``appendCallMembers(_:to:cache:owner:scratch:reserved:)`` appends metadata:
  /// `,"key":value` sorted by the key's UTF-8 bytes. A key given twice keeps its last value.
  /// `arena` is the key cache's fragment arena the entries' offsets refer to.
  static func appendTypedMembers(
    _ fields: UnsafeMutablePointer<FieldState>, arena: UnsafeMutablePointer<UInt8>, to out: inout ByteBuffer
  ) {
    let count = fields.pointee.count
    let entries = fields.pointee.entries
    let order = fields.pointee.order
    // The last call's order, if it sorts these fields (a call site repeats its keys): n - 1
    // comparisons whose outcome the branch predictor knows, instead of a sort's.
    var sorted = fields.pointee.orderCount == count
    if sorted {
      var k = 0
      while k + 1 < count {
        let x = order[k]
        let y = order[k + 1]
        if before(entries + y, entries + x, fields) || (x > y && !before(entries + x, entries + y, fields)) {
          sorted = false
          break
        }
        k += 1
      }
    }
    if !sorted {
      for i in 0..<count { order[i] = i }
      // Stable insertion sort of the positions on the prefixes; whole keys break ties.
      var a = 1
      while a < count {
        let x = order[a]
        var b = a - 1
        while b >= 0 && before(entries + x, entries + order[b], fields) {
          order[b + 1] = order[b]
          b -= 1
        }
        order[b + 1] = x
        a += 1
      }
      fields.pointee.orderCount = count
    }
    let scratch = fields.pointee.keyScratch.baseAddress
    let values = fields.pointee.values.baseAddress
    for k in 0..<count {
      let e = entries + order[k]
      // Equal keys are adjacent and in call order: only the last one is written.
      if k + 1 < count && sameKey(e, entries + order[k + 1], fields) { continue }
      let info = e.pointee.info
      out.append(
        bytes: UnsafeRawBufferPointer(
          start: (info.inScratch ? scratch : arena) + Int(info.fragmentStart), count: Int(info.fragmentLength)))
      out.append(
        bytes: UnsafeRawBufferPointer(start: values + Int(e.pointee.valueStart), count: Int(e.pointee.valueLength)))
    }
  }

  @inline(__always)
  private static func before(
    _ x: UnsafeMutablePointer<FieldEntry>, _ y: UnsafeMutablePointer<FieldEntry>,
    _ fields: UnsafeMutablePointer<FieldState>
  ) -> Bool {
    let p = x.pointee.info
    let q = y.pointee.info
    if p.prefix0 != q.prefix0 { return p.prefix0 < q.prefix0 }
    if p.prefix1 != q.prefix1 { return p.prefix1 < q.prefix1 }
    return precedes(fields.pointee.key(x), fields.pointee.key(y))
  }

  @inline(__always)
  private static func sameKey(
    _ x: UnsafeMutablePointer<FieldEntry>, _ y: UnsafeMutablePointer<FieldEntry>,
    _ fields: UnsafeMutablePointer<FieldState>
  ) -> Bool {
    x.pointee.info.prefix0 == y.pointee.info.prefix0 && x.pointee.info.prefix1 == y.pointee.info.prefix1
      && fields.pointee.key(x) == fields.pointee.key(y)
  }
}
