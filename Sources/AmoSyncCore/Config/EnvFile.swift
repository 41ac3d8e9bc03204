import Foundation

/// The secrets file beside the config (`/etc/amosync/amosync.env`): `KEY=VALUE` lines, read the
/// way systemd's `EnvironmentFile=` reads them, so `amosync check` in a shell sees what the
/// service sees. The process environment wins over the file.
package enum EnvFile {
    package static let name = "amosync.env"

    /// The env file that belongs to the config at `configPath`.
    package static func path(besideConfig configPath: String) -> String {
        ((configPath as NSString).deletingLastPathComponent as NSString).appendingPathComponent(name)
    }

    /// `KEY=VALUE` pairs in order; blank lines and `#`/`;` comments skipped, one pair of
    /// surrounding quotes removed.
    package static func parse(_ text: String) -> [(key: String, value: String)] {
        text.split(whereSeparator: \.isNewline).compactMap { raw in
            let line = raw.trimmingCharacters(in: .whitespaces)
            guard !line.isEmpty, !line.hasPrefix("#"), !line.hasPrefix(";"), let equals = line.firstIndex(of: "=") else { return nil }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces)
            var value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            if value.count >= 2, let first = value.first, first == "\"" || first == "'", value.last == first {
                value = String(value.dropFirst().dropLast())
            }
            return key.isEmpty ? nil : (key, value)
        }
    }
}
