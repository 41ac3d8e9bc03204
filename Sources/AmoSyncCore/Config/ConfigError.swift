/// Everything wrong with a config file, one problem per key path.
package struct ConfigError: Error, CustomStringConvertible, Sendable {
    package struct Problem: Sendable, Equatable {
        package var path: String
        package var message: String
        var line: String { path.isEmpty ? message : "\(path): \(message)" }

        package init(path: String, message: String) {
            self.path = path
            self.message = message
        }
    }

    package var problems: [Problem]

    package init(problems: [Problem]) { self.problems = problems }

    package var description: String {
        "invalid configuration:\n" + problems.map { "  " + $0.line }.joined(separator: "\n")
    }
}
