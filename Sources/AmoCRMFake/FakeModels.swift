import Foundation
import AmoSyncCore

/// A request as the fake sees it, independent of the HTTP server.
struct FakeRequest: Sendable {
    var method: String
    var path: String
    var query: [String: String]
    var headers: [String: String]
    var body: Data
    /// Unix time the request arrived (stamped on the event loop); nil: when it is handled.
    var arrivedAt: Double?

    init(method: String, path: String, query: [String: String] = [:], headers: [String: String] = [:], body: Data = Data()) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
    }

    func header(_ name: String) -> String? { headers.first { $0.key.caseInsensitiveCompare(name) == .orderedSame }?.value }
}

/// The fake's answer. `dropConnection` closes the socket instead of answering, after the
/// write was applied: the client sees a lost response (unknown outcome).
struct FakeResponse: Sendable {
    var status: Int
    var contentType = "application/hal+json"
    var body: Data = Data()
    var dropConnection = false

    static func json(_ status: Int, _ value: JSONValue, contentType: String = "application/hal+json") -> FakeResponse {
        FakeResponse(status: status, contentType: contentType, body: value.canonicalData)
    }

    static func problem(_ status: Int, title: String, detail: String, extra: [String: JSONValue] = [:]) -> FakeResponse {
        var object: [String: JSONValue] = [
            "title": .string(title), "type": .string("https://httpstatus.es/\(status)"),
            "status": .number(JSONNumber(status)), "detail": .string(detail),
        ]
        object.merge(extra) { _, new in new }
        return json(status, .object(object), contentType: "application/problem+json")
    }

    static func html(_ status: Int, _ text: String) -> FakeResponse {
        FakeResponse(
            status: status, contentType: "text/html",
            body: Data(
                ("<html><head><title>\(status) \(text)</title></head><body><center><h1>\(status) "
                    + "\(text)</h1></center><hr><center>nginx</center></body></html>").utf8))
    }
}

/// A custom field definition.
struct FakeField: Sendable {
    var id: Int
    var name: String
    var type: String
    var code: String?
    var enums: [(id: Int, value: String)]
    var isPredefined = false

    var json: JSONValue {
        var object: [String: JSONValue] = [
            "id": .number(JSONNumber(id)), "name": .string(name), "type": .string(type),
            "code": code.map(JSONValue.string) ?? .null, "is_predefined": .bool(isPredefined),
            "is_api_only": false, "sort": 500,
        ]
        object["enums"] =
            enums.isEmpty ? .null : .array(enums.map { ["id": .number(JSONNumber($0.id)), "value": .string($0.value), "sort": 1] })
        return .object(object)
    }
}

/// Stored custom field values of an entity.
struct FakeFieldValues: Sendable {
    var fieldID: Int
    var values: [(value: JSONValue, enumCode: String?)]
}

/// A contact or lead in the fake account.
struct FakeEntity: Sendable {
    var id: Int
    var name: String
    var responsibleUserID: Int
    var createdAt: Int
    var updatedAt: Int
    var fields: [FakeFieldValues] = []
    // leads only
    var price = 0
    var pipelineID = 0
    var statusID = 0
    var tags: [String] = []
    var contactIDs: [Int] = []
}

/// A note on a lead.
struct FakeNote: Sendable {
    var id: Int
    var entityID: Int
    var noteType: String
    var text: String
}

/// A request seen by the fake, for assertions and benchmarks.
struct FakeLogEntry: Sendable {
    var at: Double
    var method: String
    var path: String
    var status: Int
    var query: [String: String] = [:]
}

/// Faults to inject, set by tests, `--fail-rate`/`--latency-ms` or `POST /__fake/faults`.
package struct FakeFaults: Sendable {
    /// The next N API requests get this status (5xx, 429, 403 HTML, 401).
    var failNext: [(count: Int, status: Int)] = []
    package var latencyMs = 0
    /// A fraction (0…1) of API requests answered 503 at random.
    package var failRate = 0.0
    /// API requests answered 503 while the wall clock is inside this window.
    var outageUntil: Date?
    /// Writes to these endpoints (`POST /api/v4/leads`) are applied, then the connection
    /// is dropped without an answer, as many times as the count says.
    var dropAfterApply: [String: Int] = [:]
    init() {}
}
