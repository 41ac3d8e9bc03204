/// Everything wrong with a config file, one problem per key path.
package struct ConfigError: Error, CustomStringConvertible, Sendable {
    package struct Problem: Sendable, Equatable {
        package var path: String
        package var message: String
        package var line: String { path.isEmpty ? message : "\(path): \(message)" }
    }

    package var problems: [Problem]

    package var description: String {
        "invalid configuration:\n" + problems.map { "  " + $0.line }.joined(separator: "\n")
    }
}
