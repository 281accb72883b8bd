#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The signal mask a process starts with.
public enum SignalMask {
  /// Unblocks every signal on the calling thread (call it first thing in `main`, before other
  /// threads exist, so they inherit the empty mask).
  ///
  /// A blocked signal mask survives `exec`: a parent that starts Sluice from a thread with
  /// signals blocked (a test runner's worker thread, some supervisors) would otherwise leave
  /// SIGTERM and SIGINT pending forever, and `kill` would not stop `sluice grep -f`. Signals
  /// a parent set to *ignore* are left alone (that is `nohup`'s deliberate choice).
  public static func unblockAll() {
    var empty = sigset_t()
    sigemptyset(&empty)
    pthread_sigmask(SIG_SETMASK, &empty, nil)
  }
}
