/// Everything wrong with a config file, one problem per key path.
public struct ConfigError: Error, CustomStringConvertible, Sendable {
    public struct Problem: Sendable, Equatable {
        public var path: String
        public var message: String
        public var line: String { path.isEmpty ? message : "\(path): \(message)" }
    }

    public var problems: [Problem]

    public var description: String {
        "invalid configuration:\n" + problems.map { "  " + $0.line }.joined(separator: "\n")
    }
}
