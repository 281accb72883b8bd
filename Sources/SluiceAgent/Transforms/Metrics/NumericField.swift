import Foundation
import SluiceCore

/// Reads a numeric field's value without building a string: a JSON number, or a JSON
/// string that holds one (`"12.5"`, as some loggers write durations).
enum NumericField {
  /// The value at tape index `i`, or nil if it is not a finite number.
  static func value(at i: Int, in event: Event) -> Double? {
    let t = event.tape[i]
    guard t.kind == .number || (t.kind == .string && !t.hasEscapes) else { return nil }
    let n = Int(t.end) - Int(t.start)
    guard n > 0, n < 64 else { return nil }
    return event.bytes.withUnsafeBytes { raw -> Double? in
      // strtod needs a NUL-terminated text: copy the literal to the stack.
      withUnsafeTemporaryAllocation(of: CChar.self, capacity: 64) { buf -> Double? in
        for k in 0..<n {
          let c = raw[Int(t.start) + k]
          // Only JSON number characters: strtod would also take "inf", "nan", hex, spaces.
          guard
            c &- UInt8(ascii: "0") < 10 || c == UInt8(ascii: "-") || c == UInt8(ascii: "+")
              || c == UInt8(ascii: ".") || c | 0x20 == UInt8(ascii: "e")
          else { return nil }
          buf[k] = CChar(bitPattern: c)
        }
        buf[n] = 0
        var end: UnsafeMutablePointer<CChar>?
        let v = strtod(buf.baseAddress!, &end)
        guard let end, end == buf.baseAddress! + n, v.isFinite else { return nil }
        return v
      }
    }
  }
}
