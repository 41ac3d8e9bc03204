import Foundation

/// One request of amoCRM's API v4 and how its answer is read: built by `Endpoints`, sent by
/// the daemon's client, answered by the fake — so both read the wire format the same way.
package struct Endpoint<Response: Sendable>: Sendable {
    package enum Method: String, Sendable { case get = "GET", post = "POST", patch = "PATCH", delete = "DELETE" }

    package var method: Method
    /// `/api/v4/leads/20000001/notes`
    package var path: String
    /// `/api/v4/leads/{id}/notes`: for metrics, logs and counts (bounded labels).
    package var template: String
    /// Unencoded names and values (`filter[id][]`, `12`); the client encodes them.
    package var query: [(String, String)]
    package var body: Data?
    /// Reads a 2xx answer's body (empty for 204).
    package var read: @Sendable (_ status: Int, _ body: Data) throws -> Response

    /// `POST /api/v4/leads/{id}/notes`
    package var label: String { "\(method.rawValue) \(template)" }

    /// GET and PATCH do the same when repeated; a POST that may have been applied is not
    /// repeated blindly.
    package var isIdempotent: Bool { method == .get || method == .patch }
}

/// Where API v4 lives on the account's host: the one place its paths are written.
package enum AmoPath {
    static let v4 = "/api/v4"
    static func v4(_ rest: String) -> String { v4 + "/" + rest }
    /// The OAuth token endpoint (on the account's host, not under `/api/v4`).
    package static let accessToken = "/oauth2/access_token"

    /// `/api/v4/leads/123/notes` → `/api/v4/leads/{id}/notes`: a path with its ids as placeholders.
    package static func template(_ path: String) -> String {
        "/"
            + path.split(separator: "/").map {
                $0.allSatisfy(\.isASCIIDigit) ? "{id}" : $0.count >= 32 && $0.allSatisfy(\.isHexDigit) ? "{uid}" : String($0)
            }.joined(separator: "/")
    }
}
