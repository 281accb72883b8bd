// swift-tools-version:6.1
import PackageDescription

let package = Package(
  name: "Sluice",
  platforms: [.macOS(.v14)],
  products: [
    .library(name: "SluiceCore", targets: ["SluiceCore"]),
    .library(name: "SluiceLog", targets: ["SluiceLog"]),
    .library(name: "SluiceGrep", targets: ["SluiceGrep"]),
    .library(name: "SluiceLogHummingbird", targets: ["SluiceLogHummingbird"]),
    .executable(name: "sluice", targets: ["sluice"]),
    .executable(name: "sluice-demo-service", targets: ["sluice-demo-service"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
    .package(url: "https://github.com/apple/swift-log.git", from: "1.16.0"),
    .package(url: "https://github.com/apple/swift-metrics.git", from: "2.5.0"),
    .package(url: "https://github.com/apple/swift-nio.git", from: "2.80.0"),
    .package(url: "https://github.com/apple/swift-async-algorithms.git", from: "1.0.0"),
    .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.0.0"),
    .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.24.0"),
    .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.27.0"),
    .package(url: "https://github.com/apple/swift-collections.git", from: "1.1.0"),
    .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.6.0"),
    .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.5.0"),
    .package(url: "https://github.com/jpsim/Yams.git", from: "6.0.0"),
    .package(url: "https://github.com/apple/swift-http-types.git", from: "1.0.0"),
    .package(url: "https://github.com/apple/swift-distributed-tracing.git", from: "1.1.0"),
    .package(url: "https://github.com/apple/swift-crypto.git", "3.12.0"..<"5.0.0"),
    .package(url: "https://github.com/ordo-one/benchmark.git", from: "1.38.0", traits: ["MallocInterposer"]),
  ],
  targets: [
    // C libraries reached through pkg-config.
    .systemLibrary(
      name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib",
      providers: [.apt(["zlib1g-dev"])]),
    .systemLibrary(
      name: "CSystemd", path: "Sources/CSystemd", pkgConfig: "libsystemd",
      providers: [.apt(["libsystemd-dev"])]),
    .systemLibrary(
      name: "CZstd", path: "Sources/CZstd", pkgConfig: "libzstd",
      providers: [.apt(["libzstd-dev"])]),
    // Whole-buffer gzip for sink batches (zlib stays where streaming is needed).
    .systemLibrary(
      name: "CDeflate", path: "Sources/CDeflate", pkgConfig: "libdeflate",
      providers: [.apt(["libdeflate-dev"])]),

    // The record model, JSON scanner/writer, redaction and query engines. No dependencies.
    .target(name: "SluiceCore", dependencies: ["CByteSearch", "CMemory"]),

    // The swift-log backend for services.
    .target(
      name: "SluiceLog",
      dependencies: [
        "SluiceCore",
        .product(name: "Logging", package: "swift-log"),
        .product(name: "CoreMetrics", package: "swift-metrics"),
        .product(name: "Instrumentation", package: "swift-distributed-tracing"),
      ]),

    // HTTP correlation-id middleware for Hummingbird, kept apart so SluiceLog stays light.
    .target(
      name: "SluiceLogHummingbird",
      dependencies: [
        "SluiceLog",
        .product(name: "Hummingbird", package: "hummingbird"),
        .product(name: "HTTPTypes", package: "swift-http-types"),
        .product(name: "Logging", package: "swift-log"),
      ]),

    // The node agent: sources, pipeline, sinks, delivery, admin server.
    .target(
      name: "SluiceAgent",
      dependencies: [
        "SluiceCore",
        "CZlib",
        "CDeflate",
        "CSystemd",
        .product(name: "Logging", package: "swift-log"),
        .product(name: "Metrics", package: "swift-metrics"),
        .product(name: "Prometheus", package: "swift-prometheus"),
        .product(name: "AsyncHTTPClient", package: "async-http-client"),
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOPosix", package: "swift-nio"),
        .product(name: "NIOSSL", package: "swift-nio-ssl"),
        .product(name: "DequeModule", package: "swift-collections"),
        .product(name: "AsyncAlgorithms", package: "swift-async-algorithms"),
        .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        .product(name: "UnixSignals", package: "swift-service-lifecycle"),
        .product(name: "Hummingbird", package: "hummingbird"),
        .product(name: "Yams", package: "Yams"),
        .product(name: "Crypto", package: "swift-crypto"),
      ]),

    // The fuzz targets' driver (scripts/fuzz builds it with -sanitize=fuzzer,address
    // -DFUZZING; a plain build replays files through a target).
    .executableTarget(name: "sluice-fuzz", dependencies: ["SluiceCore", "SluiceGrep", "SluiceAgent"]),

    // `sluice grep`'s engine: input readers (files, gzip, rotated sets, merge), line
    // decoding (JSON, logfmt, CRI, plain), time ranges, output formatters, aggregation.
    .target(name: "SluiceGrep", dependencies: ["SluiceCore", "CZlib", "CZstd"]),
    // memmem and memrchr, which Swift's Glibc module does not export.
    .target(name: "CByteSearch"),
    // mallopt and madvise over the executable's pages (process-memory tuning for the agent).
    .target(name: "CMemory"),

    .executableTarget(
      name: "sluice",
      dependencies: [
        "SluiceCore",
        "SluiceAgent",
        "SluiceGrep",
        "SluiceLog",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
        .product(name: "Logging", package: "swift-log"),
      ]),

    // A small service that logs through SluiceLog; scripts/demo runs it.
    .executableTarget(
      name: "sluice-demo-service",
      dependencies: [
        "SluiceLog",
        .product(name: "Logging", package: "swift-log"),
      ]),

    // Benchmarks (ordo-one/benchmark): `scripts/bench` or `swift package benchmark`.
    .executableTarget(
      name: "SluiceLogBenchmarks",
      dependencies: [
        "SluiceLog",
        .product(name: "Benchmark", package: "benchmark"),
        .product(name: "Logging", package: "swift-log"),
      ],
      path: "Benchmarks/SluiceLogBenchmarks",
      plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]),

    // The events the step benchmarks share.
    .target(name: "StepCorpus", path: "Benchmarks/StepCorpus"),
    .executableTarget(
      name: "TransformBenchmarks",
      dependencies: [
        "SluiceAgent", "SluiceCore", "StepCorpus",
        .product(name: "Benchmark", package: "benchmark"),
        .product(name: "Logging", package: "swift-log"),
      ],
      path: "Benchmarks/TransformBenchmarks",
      plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]),

    // One step's cost per event in a form callgrind counts (`scripts/bench` part `steps`).
    .executableTarget(
      name: "sluice-step-cost",
      dependencies: ["SluiceAgent", "SluiceCore", "StepCorpus", .product(name: "Logging", package: "swift-log")],
      path: "Benchmarks/StepCost"),

    // Redaction throughput against one NSRegularExpression per detector: `scripts/bench`.
    .executableTarget(
      name: "sluice-redaction-bench", dependencies: ["SluiceCore"], path: "Benchmarks/RedactionThroughput"),

    // Batch gzip speed and ratio per level, zlib against libdeflate: `scripts/bench` part `compress`.
    .executableTarget(
      name: "sluice-compress-bench", dependencies: ["CZlib", "CDeflate"], path: "Benchmarks/CompressThroughput"),

    // The redaction corpus is read from the source tree (#filePath), not bundled.
    .testTarget(name: "SluiceCoreTests", dependencies: ["SluiceCore"], exclude: ["RedactionCorpus"]),
    .testTarget(name: "SluiceGrepTests", dependencies: ["SluiceGrep", "SluiceCore"]),
    .testTarget(
      name: "SluiceLogTests",
      dependencies: [
        "SluiceLog", "SluiceCore",
        .product(name: "Logging", package: "swift-log"),
        .product(name: "CoreMetrics", package: "swift-metrics"),
        .product(name: "Instrumentation", package: "swift-distributed-tracing"),
      ]),
    .testTarget(
      name: "SluiceLogHummingbirdTests",
      dependencies: [
        "SluiceLogHummingbird", "SluiceLog", "SluiceCore",
        .product(name: "HummingbirdTesting", package: "hummingbird"),
        .product(name: "Logging", package: "swift-log"),
      ]),
    .testTarget(
      name: "SluiceAgentTests",
      dependencies: [
        "SluiceAgent",
        "SluiceCore",
        "SluiceLog",
        "CZlib",
        "sluice",
        .product(name: "Hummingbird", package: "hummingbird"),
        .product(name: "HummingbirdTLS", package: "hummingbird"),
        .product(name: "NIOSSL", package: "swift-nio-ssl"),
        .product(name: "HTTPTypes", package: "swift-http-types"),
        .product(name: "AsyncHTTPClient", package: "async-http-client"),
        .product(name: "Crypto", package: "swift-crypto"),
        .product(name: "Prometheus", package: "swift-prometheus"),
        .product(name: "AsyncAlgorithms", package: "swift-async-algorithms"),
        .product(name: "Yams", package: "Yams"),
      ],
      // Read from the source tree (#filePath), not bundled.
      exclude: ["Fixtures"]),
  ]
)

// scripts/fuzz builds with SLUICE_FUZZ=1 and `-sanitize=fuzzer,address`. SwiftPM applies
// those flags to host tools too, and the benchmark plugin's generator cannot link with
// them, so the fuzz build leaves the plugin's users out.
if Context.environment["SLUICE_FUZZ"] != nil {
  package.targets.removeAll { $0.plugins?.isEmpty == false }
}
