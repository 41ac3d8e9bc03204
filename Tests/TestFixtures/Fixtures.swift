import Foundation

/// Files of this repository that tests read: the example config, the MODX plugin's test runner.
enum Repository {
    /// The repository's root (this file is `Tests/TestFixtures/Fixtures.swift`).
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static func file(_ path: String) -> URL { root.appendingPathComponent(path) }
}

/// The platform bodies and the old queue under `Tests/Fixtures` (sources in its README).
enum Fixtures {
    static func url(_ name: String) -> URL { Repository.file("Tests/Fixtures").appendingPathComponent(name) }

    static func data(_ name: String) throws -> Data {
        var data = try Data(contentsOf: url(name))
        // Tilda's bodies are stored one per line; the platform sends no newline.
        if name.hasSuffix(".urlencoded"), data.last == UInt8(ascii: "\n") { data.removeLast() }
        return data
    }
}
