import Foundation

/// The platform bodies under `Tests/Fixtures` (sources in its README).
enum Fixtures {
    static func data(_ name: String) throws -> Data {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Fixtures").appendingPathComponent(name)
        var data = try Data(contentsOf: url)
        // Tilda's bodies are stored one per line; the platform sends no newline.
        if name.hasSuffix(".urlencoded"), data.last == UInt8(ascii: "\n") { data.removeLast() }
        return data
    }
}
