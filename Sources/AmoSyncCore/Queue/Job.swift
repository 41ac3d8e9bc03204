import Foundation
import GRDB

/// What a job delivers.
public enum JobKind: String, Codable, Sendable, CaseIterable {
    case order
    case orderUpdate = "order_update"
    case form
    case contact
}

/// `CONTRACT.md` §4.
public enum JobState: String, Codable, Sendable, CaseIterable {
    case queued, running, done, failed, cancelled
}

/// Steps a job has finished in amoCRM and the ids they produced; saved in the same
/// transaction that ends each step, so a resumed job never repeats a finished step.
public struct JobProgress: Codable, Sendable, Equatable {
    public var contactID: Int?
    public var leadID: Int?
    public var noteID: Int?
    public var contactUpdated = false
    /// A create was sent but its answer was not stored: look before creating again.
    public var leadSent = false
    public var noteSent = false

    public init() {}

    enum CodingKeys: String, CodingKey {
        case contactID = "contact_id", leadID = "lead_id", noteID = "note_id"
        case contactUpdated = "contact_updated", leadSent = "lead_sent", noteSent = "note_sent"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        contactID = try c.decodeIfPresent(Int.self, forKey: .contactID)
        leadID = try c.decodeIfPresent(Int.self, forKey: .leadID)
        noteID = try c.decodeIfPresent(Int.self, forKey: .noteID)
        contactUpdated = try c.decodeIfPresent(Bool.self, forKey: .contactUpdated) ?? false
        leadSent = try c.decodeIfPresent(Bool.self, forKey: .leadSent) ?? false
        noteSent = try c.decodeIfPresent(Bool.self, forKey: .noteSent) ?? false
    }
}

/// One queued unit of work: the input as received, the plan, and where delivery stands.
public struct Job: Sendable {
    public var id: Int64
    public var kind: JobKind
    public var source: String
    public var externalID: String
    public var state: JobState
    public var input: JSONValue
    public var plan: DeliveryPlan
    public var progress: JobProgress
    public var attempts: Int
    public var runAt: Date
    public var leaseUntil: Date?
    public var createdAt: Date
    public var updatedAt: Date
    public var lastError: String?
    public var warnings: [String]

    init(row: Row) throws {
        id = row["id"]
        kind = JobKind(rawValue: row["kind"]) ?? .order
        source = row["source"]
        externalID = row["external_id"]
        state = JobState(rawValue: row["state"]) ?? .queued
        input = try JSONValue.parse(Data((row["input"] as String).utf8))
        plan = try JSONDecoder().decode(DeliveryPlan.self, from: Data((row["plan"] as String).utf8))
        progress = try JSONDecoder().decode(JobProgress.self, from: Data((row["progress"] as String).utf8))
        attempts = row["attempts"]
        runAt = Date(timeIntervalSince1970: row["run_at"])
        leaseUntil = (row["lease_until"] as Double?).map(Date.init(timeIntervalSince1970:))
        createdAt = Date(timeIntervalSince1970: row["created_at"])
        updatedAt = Date(timeIntervalSince1970: row["updated_at"])
        lastError = row["last_error"]
        warnings = try JSONDecoder().decode([String].self, from: Data((row["warnings"] as String).utf8))
    }
}

/// One delivery attempt as `jobs show` reports it.
public struct Attempt: Codable, Sendable, Equatable {
    public enum Outcome: String, Codable, Sendable { case done, retry, failed, throttled, paused, interrupted }

    public var at: Date
    public var durationMs: Int
    public var outcome: Outcome
    public var httpStatus: Int?
    /// `POST /api/v4/leads`
    public var request: String?
    public var error: String?
    public var validationErrors: [ValidationIssue]

    public init(at: Date, durationMs: Int, outcome: Outcome, httpStatus: Int? = nil, request: String? = nil,
                error: String? = nil, validationErrors: [ValidationIssue] = []) {
        self.at = at
        self.durationMs = durationMs
        self.outcome = outcome
        self.httpStatus = httpStatus
        self.request = request
        self.error = error
        self.validationErrors = validationErrors
    }
}

/// One entry of amoCRM's `validation-errors`, with the path made readable.
public struct ValidationIssue: Codable, Sendable, Equatable {
    public var path: String
    public var code: String
    public var detail: String

    public init(path: String, code: String, detail: String) {
        self.path = path
        self.code = code
        self.detail = detail
    }
}
