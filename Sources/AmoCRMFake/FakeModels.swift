import AmoAPI
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
    /// The request target as sent (path and query, percent-encoded).
    var target = ""

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
    /// A redirect's `Location`.
    var location: String?

    static func json(_ status: Int, _ value: JSONValue, contentType: String = "application/hal+json") -> FakeResponse {
        FakeResponse(status: status, contentType: contentType, body: value.canonicalData)
    }

    /// An answer in one of the API's own types (`AmoAPI`).
    static func encoded<T: Encodable>(_ status: Int, _ value: T, contentType: String = "application/hal+json") -> FakeResponse {
        FakeResponse(status: status, contentType: contentType, body: (try? AmoJSON.encode(value)) ?? Data())
    }

    static func problem(_ status: Int, title: String, detail: String) -> FakeResponse {
        encoded(status, Problem(status: status, title: title, detail: detail), contentType: "application/problem+json")
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
    var isAPIOnly = false

    /// As amoCRM lists it.
    var model: CustomField {
        var field = CustomField(
            id: id, name: name, type: type, code: code, isAPIOnly: isAPIOnly,
            enums: enums.isEmpty ? nil : enums.map { CustomField.Option(id: $0.id, value: $0.value, sort: 1) })
        field.isPredefined = isPredefined
        field.sort = 500
        return field
    }

    var json: JSONValue { (try? AmoJSON.value(model)) ?? .null }
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
    /// A contact created with an incoming lead: out of lists and searches until it is accepted.
    var hidden = false
}

/// A note on a lead.
struct FakeNote: Sendable {
    var id: Int
    var entityID: Int
    var noteType: String
    var text: String

    var model: Note {
        var note = Note(id: id, entityID: entityID, text: text)
        note.noteType = noteType
        return note
    }
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
    /// The next N API requests (to `endpoint` only, when it is set) get this status: 5xx, 429 or
    /// 403 as HTML, 401/402/403/404 as problem+json, a 3xx with a `Location` elsewhere.
    struct FailNext: Sendable {
        var count: Int
        var status: Int
        var endpoint: String?
    }
    var failNext: [FailNext] = []
    package var latencyMs = 0
    /// A fraction (0…1) of API requests answered 503 at random.
    package var failRate = 0.0
    /// API requests answered 503 while the wall clock is inside this window.
    var outageUntil: Date?
    /// What happens after a write to an endpoint (`POST /api/v4/leads/complex`) was applied,
    /// one entry per request, in order: amoCRM saved it, and then the answer went wrong.
    var afterApply: [String: [AfterApply]] = [:]
    /// The next answer of an endpoint carries this many bytes of padding (an oversized answer).
    var oversize: [String: Int] = [:]
    /// Requests to an endpoint whose body holds this text are refused whole (400 naming no
    /// item), as a front end refuses one it cannot take: one bad entity in a batch.
    var refuseWhole: [String: String] = [:]
    init() {}

    /// An answer after the write took effect.
    enum AfterApply: Sendable, Equatable {
        /// This status with a problem body (500, 502, 504 …).
        case status(Int)
        /// 200 with a body that is not JSON.
        case garbage
        /// No answer: the connection is dropped.
        case drop
        /// The ids of the answer rewritten: `negative` (-1), `zero`, `duplicate` (every item the
        /// first one's id), `firstLead` (the account's oldest lead, another order's).
        case hostile(String)
    }
}
