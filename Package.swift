// swift-tools-version:6.0
import PackageDescription

/// Settings every Swift target shares: Swift 6 language mode and explicit existential types.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny")
]

let package = Package(
    name: "Tessera",
    products: [
        .executable(name: "tessera", targets: ["tessera"])
    ],
    targets: [
        // C libraries from Debian, each behind one Swift wrapper.
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(
            name: "CMicroHTTPD", pkgConfig: "libmicrohttpd", providers: [.apt(["libmicrohttpd-dev"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CNATS", pkgConfig: "libnats", providers: [.apt(["libnats-dev"])]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        // CRoaring ships no pkg-config file; its module map names the library.
        .systemLibrary(name: "CRoaring", providers: [.apt(["libroaring-dev"])]),
        .target(
            name: "CSimdJSON",
            cxxSettings: [
                .define("SIMDJSON_THREADS_ENABLED", to: "1"),
                // The shim sits on the hot path: optimise it even in debug builds.
                .unsafeFlags(["-O2"]),
            ],
            linkerSettings: [.linkedLibrary("simdjson")]
        ),
        .target(
            name: "CPhoneNumber",
            cxxSettings: [.unsafeFlags(["-O2"])],
            linkerSettings: [.linkedLibrary("phonenumber")]
        ),

        // The product, one module per part.
        .target(name: "TesseraCore", swiftSettings: swiftSettings),
        .target(name: "Cryptography", dependencies: ["COpenSSL"], swiftSettings: swiftSettings),
        .target(name: "JSONParsing", dependencies: ["CSimdJSON", "TesseraCore"], swiftSettings: swiftSettings),
        .target(name: "PhoneNumbers", dependencies: ["CPhoneNumber"], swiftSettings: swiftSettings),
        .target(name: "Identity", dependencies: ["TesseraCore", "JSONParsing"], swiftSettings: swiftSettings),
        .target(name: "Profiles", dependencies: ["TesseraCore", "JSONParsing"], swiftSettings: swiftSettings),
        .target(name: "Audiences", dependencies: ["TesseraCore", "CRoaring"], swiftSettings: swiftSettings),
        .target(name: "Storage", dependencies: ["CSQLite", "TesseraCore"], swiftSettings: swiftSettings),
        .target(name: "Governance", dependencies: ["TesseraCore", "Audiences"], swiftSettings: swiftSettings),
        .target(
            name: "HTTPServer", dependencies: ["CMicroHTTPD", "CZlib", "TesseraCore"], swiftSettings: swiftSettings),
        .target(
            name: "Ingestion", dependencies: ["TesseraCore", "JSONParsing"], swiftSettings: swiftSettings),
        .target(
            name: "Unification",
            dependencies: ["TesseraCore", "JSONParsing", "Identity", "Profiles", "PhoneNumbers", "Storage"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Segmentation",
            dependencies: ["TesseraCore", "JSONParsing", "Audiences", "Storage", "Unification"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Activation",
            dependencies: ["TesseraCore", "Cryptography", "JSONParsing", "Storage", "HTTPServer", "CNATS", "CCurl"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Server",
            dependencies: [
                "TesseraCore", "Cryptography", "JSONParsing", "Storage", "HTTPServer", "Ingestion", "Identity",
                "Profiles", "Unification", "Audiences", "Segmentation", "Activation", "Governance",
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "TesseraCommands",
            dependencies: [
                "TesseraCore", "Cryptography", "JSONParsing", "Storage", "HTTPServer", "Ingestion", "Server",
                "Identity", "Unification", "Governance",
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(name: "tessera", dependencies: ["TesseraCommands"], swiftSettings: swiftSettings),

        // Benchmarks (`make bench`): measurements that need a release build and a quiet machine.
        .executableTarget(
            name: "tessera-bench",
            dependencies: [
                "TesseraCore", "JSONParsing", "Ingestion", "Identity", "HTTPServer", "Audiences", "Storage",
                "Unification", "Segmentation", "Activation",
            ],
            path: "Benchmarks/Sources/tessera-bench", swiftSettings: swiftSettings),

        // Tests: one target per module, plus shared support.
        .target(
            name: "TesseraTesting", dependencies: ["TesseraCore"], path: "Tests/TesseraTesting",
            swiftSettings: swiftSettings),
        .testTarget(
            name: "TesseraCoreTests", dependencies: ["TesseraCore", "TesseraTesting"], swiftSettings: swiftSettings),
        .testTarget(
            name: "CryptographyTests", dependencies: ["Cryptography", "TesseraTesting"], swiftSettings: swiftSettings),
        .testTarget(
            name: "IdentityTests", dependencies: ["Identity", "TesseraTesting"], swiftSettings: swiftSettings),
        .testTarget(
            name: "UnificationTests", dependencies: ["Unification", "TesseraTesting"], swiftSettings: swiftSettings),
        .testTarget(
            name: "ActivationTests", dependencies: ["Activation", "TesseraTesting"], swiftSettings: swiftSettings),
        .testTarget(
            name: "SegmentationTests", dependencies: ["Segmentation", "TesseraTesting"], swiftSettings: swiftSettings),
        .testTarget(
            name: "GovernanceTests", dependencies: ["Governance", "TesseraTesting"], swiftSettings: swiftSettings),
        .testTarget(
            name: "AudiencesTests", dependencies: ["Audiences", "TesseraTesting"], swiftSettings: swiftSettings),
        .testTarget(
            name: "ProfilesTests", dependencies: ["Profiles", "TesseraTesting"], swiftSettings: swiftSettings),
        .testTarget(
            name: "PhoneNumbersTests", dependencies: ["PhoneNumbers", "TesseraTesting"], swiftSettings: swiftSettings),
        .testTarget(
            name: "JSONParsingTests", dependencies: ["JSONParsing", "TesseraTesting"], swiftSettings: swiftSettings),
        .testTarget(name: "StorageTests", dependencies: ["Storage", "TesseraTesting"], swiftSettings: swiftSettings),
        .testTarget(
            name: "HTTPServerTests", dependencies: ["HTTPServer", "TesseraTesting"], swiftSettings: swiftSettings),
        .testTarget(
            name: "IngestionTests", dependencies: ["Ingestion", "TesseraTesting"], swiftSettings: swiftSettings),
        .testTarget(
            name: "ServerTests",
            dependencies: ["Server", "TesseraCommands", "Activation", "TesseraTesting"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TesseraCommandsTests", dependencies: ["TesseraCommands", "TesseraTesting"],
            swiftSettings: swiftSettings),
    ],
    swiftLanguageModes: [.v6],
    cxxLanguageStandard: .cxx17
)
