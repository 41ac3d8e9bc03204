/// An amoCRM API path with its ids replaced: `/api/v4/leads/{id}/notes`, for metrics and counts.
package enum AmoEndpoint {
    package static func name(_ path: String) -> String {
        path.split(separator: "/").map { $0.allSatisfy(\.isASCIIDigit) ? "{id}" : String($0) }.joined(separator: "/").prefixed("/")
    }
}

extension String {
    func prefixed(_ prefix: String) -> String { hasPrefix(prefix) ? self : prefix + self }
}
