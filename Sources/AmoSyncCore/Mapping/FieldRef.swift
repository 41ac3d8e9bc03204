import Foundation

/// The right-hand side of a mapping: which amoCRM field receives a value.
package enum FieldRef: Sendable, Hashable {
    /// A field id in the account.
    case id(Int)
    /// A field code (`PHONE`, `UTM_SOURCE`) or a field name, tried in that order.
    case name(String, type: String?)

    static let allowedTypes: Set<String> = ["text", "textarea", "numeric", "url", "date", "checkbox"]

    static func read(_ value: JSONValue, path: String, problems: ConfigProblems) -> FieldRef? {
        switch value {
        case .number:
            guard let id = ConfigObject.int(value, path: path, problems: problems) else { return nil }
            return .id(id)
        case .string:
            guard let text = ConfigObject.string(value, path: path, problems: problems) else { return nil }
            if let id = Int(text) { return .id(id) }
            guard !text.trimmed.isEmpty else {
                problems.add(path, "field name must not be empty")
                return nil
            }
            return .name(text, type: nil)
        case .object:
            guard var object = ConfigObject(value, path: path, problems: problems) else { return nil }
            let name = object.string("name", required: true)
            let type = object.string("type")
            object.finish()
            if let type, !allowedTypes.contains(type) {
                problems.add("\(path).type", "must be one of \(allowedTypes.sorted().joined(separator: ", ")), got \(type)")
                return nil
            }
            return name.map { .name($0, type: type) }
        default:
            problems.add(path, "expected a field name, a field id or {\"name\", \"type\"}")
            return nil
        }
    }

    /// How this reference reads in messages and `jobs show`.
    package var label: String {
        switch self {
        case .id(let id): return "#\(id)"
        case .name(let name, _): return name
        }
    }
}
