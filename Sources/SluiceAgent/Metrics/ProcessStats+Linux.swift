#if os(Linux)
  import Glibc

  /// The Linux reader of ``ProcessStats``: `/proc/self/stat` (CPU times, start time, memory),
  /// `/proc/stat` (boot time), `/proc/self/fd` (open descriptors) and `getrlimit`.
  extension ProcessStats {
    static func readLinux() -> ProcessStats? {
      guard let stat = readProcFile("/proc/self/stat"), let close = stat.lastIndex(of: UInt8(ascii: ")")) else {
        return nil
      }
      // After "pid (comm)": field 3 (state) onwards; field n is at n - 3.
      let fields = stat[(close + 1)...].split(separator: UInt8(ascii: " ")).map { String(decoding: $0, as: UTF8.self) }
      guard fields.count > 21, let utime = Double(fields[11]), let stime = Double(fields[12]),
        let startTicks = Double(fields[19]), let vsize = UInt64(fields[20]), let rssPages = UInt64(fields[21])
      else { return nil }
      let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
      let pageSize = UInt64(sysconf(Int32(_SC_PAGESIZE)))
      guard ticks > 0, let boot = bootTime() else { return nil }
      var limit = rlimit()
      let maxFDs = getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 ? UInt64(limit.rlim_cur) : 0
      return ProcessStats(
        residentBytes: rssPages * pageSize, virtualBytes: vsize, cpuSeconds: (utime + stime) / ticks,
        openFDs: openDescriptors(), maxFDs: maxFDs, startTimeSeconds: boot + startTicks / ticks)
    }

    /// `btime` of `/proc/stat`: when the system booted, in seconds since the epoch.
    static func bootTime() -> Double? {
      guard let text = readProcFile("/proc/stat") else { return nil }
      for line in text.split(separator: UInt8(ascii: "\n")) where line.starts(with: Array("btime ".utf8)) {
        return Double(String(decoding: line.dropFirst(6), as: UTF8.self))
      }
      return nil
    }

    /// Entries of `/proc/self/fd` (including the one reading it, as the official clients count).
    static func openDescriptors() -> Int {
      guard let dir = opendir("/proc/self/fd") else { return 0 }
      defer { closedir(dir) }
      var n = 0
      while let entry = readdir(dir) {
        let dot = withUnsafeBytes(of: entry.pointee.d_name) { $0.first == UInt8(ascii: ".") }
        if !dot { n += 1 }
      }
      return n
    }

    /// A whole `/proc` file (they report size 0, so read until end of file).
    static func readProcFile(_ path: String) -> [UInt8]? {
      let fd = open(path, O_RDONLY | O_CLOEXEC)
      guard fd >= 0 else { return nil }
      defer { Glibc.close(fd) }
      var out: [UInt8] = []
      var buffer = [UInt8](repeating: 0, count: 4096)
      while true {
        let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n < 0 && errno == EINTR { continue }
        if n <= 0 { break }
        out.append(contentsOf: buffer[0..<n])
      }
      return out
    }
  }
#endif
