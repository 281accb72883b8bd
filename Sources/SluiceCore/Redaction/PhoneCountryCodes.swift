extension PhoneDetector {
  /// Whether the `count` (1–3) digits at `at` are an assigned ITU-T E.164 country code.
  ///
  /// Geographic codes and the assigned global services (`800`, `808`, `870`, `878`, `881`–`883`,
  /// `888`, `979`, `991`); spare and withdrawn codes are left out: `210`, `214`, `215`, `217`,
  /// `219`, `259`, `280`–`289`, `292`–`296`, `384`, `388`, `422`, `424`–`429`, `671`, `684`,
  /// `693`–`699`, `801`–`807`, `809`, `851`, `854`, `857`–`869`, `871`–`877`, `879`, `884`, `885`,
  /// `887`, `889`, `969`, `978`, `990`, `999`. The codes are prefix-free: no code starts another.
  @inline(__always)
  static func isCountryCode(_ p: UnsafePointer<UInt8>, _ at: Int, _ count: Int) -> Bool {
    var value = 0
    for q in 0..<count { value = value * 10 + Int(p[at + q] &- UInt8(ascii: "0")) }
    switch count {
    case 1:
      return value == 1 || value == 7
    case 2:
      switch value {
      case 20, 27, 30...34, 36, 39, 40, 41, 43...49, 51...58, 60...66, 81, 82, 84, 86, 90...95, 98: return true
      default: return false
      }
    case 3:
      switch value {
      case 211...213, 216, 218, 220...258, 260...269, 290, 291, 297...299, 350...359, 370...383, 385...387, 389,
        420, 421, 423, 500...509, 590...599, 670, 672...683, 685...692, 800, 808, 850, 852, 853, 855, 856, 870,
        878, 880...883, 886, 888, 960...968, 970...977, 979, 991...998:
        return true
      default: return false
      }
    default:
      return false
    }
  }

  /// The length of the country code at the start of the digits at `at` (at least three), or 0.
  @inline(__always)
  static func countryCodeLength(_ p: UnsafePointer<UInt8>, _ at: Int) -> Int {
    for count in 1...3 where isCountryCode(p, at, count) { return count }
    return 0
  }
}
