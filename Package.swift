// swift-tools-version:6.1
import PackageDescription

// What the server and system tests (and their support) see of the package.
let testedModules: [Target.Dependency] = [
    "AmoSyncCore", "AmoAPI", "AmoSyncServer", "AmoCRMFake", "ShopFakes", "AmoSyncCLI", "TestFixtures",
    .product(name: "GRDB", package: "GRDB.swift"),
]

// Linux only: the daemon calls Glibc and systemd directly (no Apple platform is declared or built).
let package = Package(
    name: "amosync",
    products: [
        .executable(name: "amosync", targets: ["amosync"])
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
    ],
    targets: [
        // SHA-256 and HMAC-SHA256 from the system's OpenSSL (libssl-dev to build; libssl3 at run time,
        // which libcurl already needs).
        .systemLibrary(name: "CLibCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        // PostgreSQL's client library (libpq-dev to build; libpq5 at run time): the queue on PostgreSQL.
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        // Config, mapping and plans: pure, no I/O.
        .target(name: "AmoSyncCore", dependencies: ["CLibCrypto"]),
        // amoCRM API v4 as Codable types and endpoints: what the daemon sends and the fake answers.
        .target(name: "AmoAPI", dependencies: ["AmoSyncCore"]),
        // The daemon: intake, queue, delivery, the amoCRM client, operations.
        .target(
            name: "AmoSyncServer",
            dependencies: [
                "AmoSyncCore", "AmoAPI", "CLibPQ",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOExtras", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            ]
        ),
        // The fake amoCRM: used by `sandbox`, `fake-amocrm`, tests and benchmarks, never by `serve`'s code.
        .target(
            name: "AmoCRMFake",
            dependencies: [
                "AmoSyncCore", "AmoAPI",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            ]
        ),
        // Fake shops (WooCommerce's REST API and webhooks): `sandbox`, tests and benchmarks, never `serve`'s code.
        .target(
            name: "ShopFakes",
            dependencies: [
                "AmoSyncCore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        // The commit a release was built from (a C string the build sets with -Xcc -DAMOSYNC_COMMIT).
        .target(name: "AmoSyncBuildInfo"),
        // The commands.
        .target(
            name: "AmoSyncCLI",
            dependencies: [
                "AmoSyncCore", "AmoSyncServer", "AmoCRMFake", "ShopFakes", "AmoSyncBuildInfo",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(name: "amosync", dependencies: ["AmoSyncCLI"]),
        .executableTarget(
            name: "amosync-bench", dependencies: ["AmoSyncCore", "AmoSyncServer", "AmoCRMFake", "ShopFakes"],
            path: "Benchmarks/AmoSyncBench"),
        .executableTarget(name: "amosync-fuzz", dependencies: ["AmoSyncCore", "AmoAPI"], path: "Fuzz/AmoSyncFuzz"),
        // Tests by layer (README, "Tests"): `swift test --filter 'CoreTests|ServerTests'` is the fast loop.
        // What every layer's tests read: fixture files, the example config, the mapping tests'
        // config, JSON edits by dotted path. Pure.
        .testTarget(name: "TestFixtures", dependencies: ["AmoSyncCore"]),
        // Pure: mapping, config, JSON, plans, payload parsing. No I/O but the fixture files.
        .testTarget(name: "CoreTests", dependencies: ["AmoSyncCore", "AmoAPI", "TestFixtures"]),
        // What the server and system tests run: temporary folders, the fake in process or on
        // loopback, the daemon in process or as a child process, a router without a socket.
        .testTarget(
            name: "TestSupport",
            dependencies: testedModules + [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ]),
        // The server in process: the store, delivery against the fake's in-process transport, the
        // router driven directly, the daemon on loopback ports.
        .testTarget(
            name: "ServerTests",
            dependencies: testedModules + [
                "TestSupport", .product(name: "Hummingbird", package: "hummingbird"), .product(name: "Logging", package: "swift-log"),
            ]),
        // Whole processes: kill -9, SIGTERM, socket activation, raw sockets, Chromium, PHP, the rate over time.
        .testTarget(name: "SystemTests", dependencies: testedModules + ["TestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
