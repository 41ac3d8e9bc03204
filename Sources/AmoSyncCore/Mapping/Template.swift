import Foundation

/// `{path}` placeholders filled from an input document (`Заказ #{id}`, `{customer.name}`).
enum Template {
    static func render(_ template: String, with input: JSONValue, extra: [String: String] = [:]) -> String {
        var output = ""
        var rest = Substring(template)
        while let open = rest.firstIndex(of: "{") {
            output += rest[..<open]
            guard let close = rest[open...].firstIndex(of: "}") else {
                output += rest[open...]
                return output
            }
            let path = String(rest[rest.index(after: open)..<close])
            output += extra[path] ?? input.value(at: path)?.textValue ?? ""
            rest = rest[rest.index(after: close)...]
        }
        output += rest
        return output.trimmed
    }
}
