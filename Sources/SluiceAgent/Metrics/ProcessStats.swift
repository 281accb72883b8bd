/// The agent process's resource use, read when `/metrics` is scraped and exposed under the
/// standard Prometheus client names (`process_*`, see ``exposition()``).
///
/// Reading is platform-specific: ``current()`` asks the reader of the platform —
/// `ProcessStats+Linux.swift` (`/proc`) on Linux, the only one so far; a Darwin reader
/// (`proc_pidinfo`) would be a sibling file.
struct ProcessStats: Sendable, Equatable {
  /// Resident set size.
  var residentBytes: UInt64
  /// Virtual memory size.
  var virtualBytes: UInt64
  /// User plus system CPU time.
  var cpuSeconds: Double
  /// Open file descriptors, and the soft limit on them.
  var openFDs: Int
  var maxFDs: UInt64
  /// When the process started, in seconds since the Unix epoch.
  var startTimeSeconds: Double

  /// This process now; nil where the platform has no reader or the reading failed.
  static func current() -> ProcessStats? {
    #if os(Linux)
      return readLinux()
    #else
      return nil
    #endif
  }

  /// The Prometheus text-format families, with the HELP texts of the official clients.
  func exposition() -> [UInt8] {
    var out = ""
    func family(_ name: String, _ type: String, _ help: String, _ value: String) {
      out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n\(name) \(value)\n"
    }
    family("process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.", "\(cpuSeconds)")
    family("process_max_fds", "gauge", "Maximum number of open file descriptors.", "\(maxFDs)")
    family("process_open_fds", "gauge", "Number of open file descriptors.", "\(openFDs)")
    family("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.", "\(residentBytes)")
    family(
      "process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.",
      "\(startTimeSeconds)")
    family("process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.", "\(virtualBytes)")
    return Array(out.utf8)
  }
}
