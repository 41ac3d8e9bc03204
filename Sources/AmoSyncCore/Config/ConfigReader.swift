import Foundation

/// Collects config problems while the typed config is read, so that every problem is
/// reported at once with its key path.
final class ConfigProblems: @unchecked Sendable {
    private(set) var list: [ConfigError.Problem] = []
    let environment: [String: String]

    init(environment: [String: String]) { self.environment = environment }

    func add(_ path: String, _ message: String) { list.append(.init(path: path, message: message)) }
}

/// A JSON object in the config being read: typed accessors, `env:` resolution, and
/// unknown-key detection when `finish()` is called.
struct ConfigObject {
    let path: String
    let values: [String: JSONValue]
    let problems: ConfigProblems
    private var seen: Set<String> = []

    init?(_ value: JSONValue?, path: String, problems: ConfigProblems) {
        guard let value else { return nil }
        guard case .object(let object) = value else {
            problems.add(path, "expected an object")
            return nil
        }
        self.path = path
        self.values = object
        self.problems = problems
    }

    func child(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    mutating func raw(_ key: String) -> JSONValue? {
        seen.insert(key)
        guard let value = values[key], !value.isNull else { return nil }
        return value
    }

    mutating func object(_ key: String) -> ConfigObject? {
        ConfigObject(raw(key), path: child(key), problems: problems)
    }

    mutating func string(_ key: String, required: Bool = false) -> String? {
        guard let value = raw(key) else {
            if required { problems.add(child(key), "is required") }
            return nil
        }
        return Self.string(value, path: child(key), problems: problems)
    }

    static func string(_ value: JSONValue, path: String, problems: ConfigProblems) -> String? {
        guard case .string(let text) = value else {
            problems.add(path, "expected a string")
            return nil
        }
        if text.hasPrefix("env:") {
            let name = String(text.dropFirst(4))
            guard let resolved = problems.environment[name] else {
                problems.add(path, "environment variable \(name) is not set")
                return nil
            }
            return resolved
        }
        return text
    }

    mutating func int(_ key: String, required: Bool = false, range: ClosedRange<Int>? = nil) -> Int? {
        guard let value = raw(key) else {
            if required { problems.add(child(key), "is required") }
            return nil
        }
        return Self.int(value, path: child(key), range: range, problems: problems)
    }

    static func int(_ value: JSONValue, path: String, range: ClosedRange<Int>? = nil, problems: ConfigProblems) -> Int? {
        guard case .number(let number) = value, let int = number.int else {
            problems.add(path, "expected integer")
            return nil
        }
        if let range, !range.contains(int) {
            problems.add(path, "must be between \(range.lowerBound) and \(range.upperBound), got \(int)")
            return nil
        }
        return int
    }

    mutating func double(_ key: String, range: ClosedRange<Double>) -> Double? {
        guard let value = raw(key) else { return nil }
        guard case .number(let exact) = value, let number = exact.double else {
            problems.add(child(key), "expected a number")
            return nil
        }
        guard range.contains(number) else {
            problems.add(child(key), "must be between \(JSONNumber(range.lowerBound)) and \(JSONNumber(range.upperBound)), got \(exact)")
            return nil
        }
        return number
    }

    mutating func bool(_ key: String) -> Bool? {
        guard let value = raw(key) else { return nil }
        guard case .bool(let bool) = value else {
            problems.add(child(key), "expected true or false")
            return nil
        }
        return bool
    }

    mutating func strings(_ key: String) -> [String]? {
        guard let value = raw(key) else { return nil }
        guard case .array(let items) = value else {
            problems.add(child(key), "expected an array of strings")
            return nil
        }
        return items.enumerated().compactMap { index, item in
            Self.string(item, path: "\(child(key)).\(index)", problems: problems)
        }
    }

    /// A map of input paths to field references (`lead_fields`, `utm_fields`, …).
    mutating func fieldMap(_ key: String) -> [String: FieldRef]? {
        guard let object = object(key) else { return nil }
        var result: [String: FieldRef] = [:]
        for (input, value) in object.values.sorted(by: { $0.key < $1.key }) {
            if let ref = FieldRef.read(value, path: object.child(input), problems: problems) { result[input] = ref }
        }
        return result
    }

    /// Reports keys that no reader asked for.
    func finish(allowing extra: Set<String> = []) {
        for key in values.keys.sorted() where !seen.contains(key) && !extra.contains(key) {
            problems.add(child(key), "unknown key")
        }
    }
}
