import CMemory

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Process-memory settings for the agent, a long-running process that handles large,
/// short-lived buffers and carries a large binary. docs/performance.md measures each.
///
/// - **malloc.** The agent builds a batch (hundreds of kilobytes to megabytes) on one
///   thread, compresses and sends it on another, and drops it; source chunks come and go
///   the same way. With glibc's defaults those blocks are carved from per-thread arenas
///   whose freed space stays resident, and the mmap and trim thresholds grow to the
///   largest block freed, so the heap holds two or three times its live data. The agent
///   maps blocks of 256 KiB and more on their own (unmapped when freed), trims a heap's
///   free top above 4 MiB, and uses at most 2 arenas.
/// - **code pages.** The static binary (Swift runtime, Foundation and its ICU data, NIO,
///   TLS) is 77 MB, and start-up reads ahead and maps much of it that never runs. The agent
///   marks its read-only mappings (its own and its shared libraries') `MADV_RANDOM` (no
///   read-ahead) and drops what start-up mapped; pages come back as they are used. The
///   kernel's fault-around still maps the cached neighbours of each page touched (and whole
///   page-cache folios), so what stays is every block of the binary that holds code that ran. The image's build lays the code the
///   agent runs out side by side (scripts/link-order.txt), and once start-up is over
///   (``releaseStartupCode()``) the pages of code that ran only then are dropped as well.
public enum MemoryTuning {
  /// Blocks of this size and larger are mapped on their own and unmapped when freed. Source
  /// chunks stay under it (they are reused from the heap without page faults); batches of
  /// the default size go over it. (512 KiB held 9 MiB more with default batches.)
  public static let mmapThreshold = 256 * 1024
  /// Free memory above this much at the top of a heap is returned to the kernel. (128 KiB
  /// held no less memory on the realistic workload and cost more CPU in page faults.)
  public static let trimThreshold = 4 << 20
  /// At most this many arenas.
  public static let arenaMax = 2

  /// Applies the settings, and returns what it set, for the log. Call it first thing,
  /// before other threads start.
  ///
  /// Each malloc setting is left alone if the environment sets it (`MALLOC_MMAP_THRESHOLD_`,
  /// `MALLOC_TRIM_THRESHOLD_`, `MALLOC_ARENA_MAX`: glibc reads those itself, and an
  /// operator's choice wins). `SLUICE_MEMORY_TUNING` chooses the parts: unset or `all`,
  /// `malloc`, `code`, or `off` (glibc's and the kernel's defaults, for comparison). Where
  /// the C library is not glibc, or the system not Linux, the part does nothing.
  @discardableResult
  public static func apply() -> [String] {
    var applied: [String] = []
    if choice == "all" || choice == "malloc" {
      if getenv("MALLOC_MMAP_THRESHOLD_") == nil, sluice_malloc_set_mmap_threshold(Int32(mmapThreshold)) == 1 {
        applied.append("mmap_threshold=\(mmapThreshold)")
      }
      if getenv("MALLOC_TRIM_THRESHOLD_") == nil, sluice_malloc_set_trim_threshold(Int32(trimThreshold)) == 1 {
        applied.append("trim_threshold=\(trimThreshold)")
      }
      if getenv("MALLOC_ARENA_MAX") == nil, sluice_malloc_set_arena_max(Int32(arenaMax)) == 1 {
        applied.append("arena_max=\(arenaMax)")
      }
    }
    if choice == "all" || choice == "code" {
      let advised = sluice_executable_pages_on_demand()
      if advised > 0 { applied.append("code_pages_on_demand=\(advised)") }
    }
    return applied
  }

  /// Drops the code pages (the executable's and its libraries') mapped in so far, as
  /// ``apply()`` does at start; the agent calls it once its pipeline is built. The
  /// code that ran only during start-up (argument parsing, YAML, building the pipeline) does
  /// not run again, and what the pipeline runs comes back at its next use. Returns the bytes
  /// of mappings advised; 0 where the code part is off or not supported.
  @discardableResult
  public static func releaseStartupCode() -> Int {
    guard choice == "all" || choice == "code" else { return 0 }
    return max(0, sluice_executable_pages_on_demand())
  }

  /// `SLUICE_MEMORY_TUNING`: `all` when unset.
  private static var choice: String { getenv("SLUICE_MEMORY_TUNING").map { String(cString: $0) } ?? "all" }
}
