/// Everything wrong with a config file, one problem per key path.
package struct ConfigError: Error, CustomStringConvertible, Sendable {
    struct Problem: Sendable, Equatable {
        var path: String
        var message: String
        var line: String { path.isEmpty ? message : "\(path): \(message)" }
    }

    var problems: [Problem]

    package var description: String {
        "invalid configuration:\n" + problems.map { "  " + $0.line }.joined(separator: "\n")
    }
}
