#if canImport(Glibc)
  import Glibc
#endif

/// Writes `text` to standard error.
func warn(_ text: String) {
  var text = text + "\n"
  text.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
}

#if FUZZING
  // Built with `-sanitize=fuzzer,address -DFUZZING` (scripts/fuzz). SwiftPM points `main` at
  // this module's entry point, so libFuzzer's own `main` is not linked: this one selects the
  // target named by SLUICE_FUZZ_TARGET and hands over to libFuzzer's driver.
  nonisolated(unsafe) private var selected: (@Sendable (UnsafeRawBufferPointer) -> String?)?

  @_silgen_name("LLVMFuzzerRunDriver")
  func fuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
  ) -> CInt

  @_cdecl("LLVMFuzzerTestOneInput")
  public func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: data, count: size)
    if let problem = selected?(input) {
      warn("sluice-fuzz: property broken: \(problem)")
      abort()  // libFuzzer writes the input out as a crash
    }
    return 0
  }

  @main
  struct Fuzz {
    static func main() {
      let name = getenv("SLUICE_FUZZ_TARGET").map { String(cString: $0) } ?? ""
      guard let target = FuzzTargets.all[name] else {
        warn("sluice-fuzz: set SLUICE_FUZZ_TARGET to one of \(FuzzTargets.all.keys.sorted())")
        exit(2)
      }
      selected = target
      var argc = CommandLine.argc
      var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
      exit(fuzzerRunDriver(&argc, &argv, fuzzerTestOneInput))
    }
  }
#else
  // A plain build: `sluice-fuzz TARGET FILE...` runs files through a target (to reproduce a
  // finding without the sanitizers); exit status 1 if any breaks a property.
  @main
  struct Replay {
    static func main() {
      let args = CommandLine.arguments.dropFirst()
      guard let name = args.first, let target = FuzzTargets.all[name] else {
        warn("usage: sluice-fuzz TARGET FILE...   (targets: \(FuzzTargets.all.keys.sorted()))")
        exit(2)
      }
      var failed = false
      for path in args.dropFirst() {
        guard let file = fopen(path, "rb") else {
          warn("\(path): cannot open")
          failed = true
          continue
        }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
          let n = fread(&chunk, 1, chunk.count, file)
          if n <= 0 { break }
          bytes += chunk[0..<n]
        }
        fclose(file)
        let problem = bytes.withUnsafeBytes { target($0) }
        print("\(path): \(problem ?? "ok")")
        if problem != nil { failed = true }
      }
      exit(failed ? 1 : 0)
    }
  }
#endif
