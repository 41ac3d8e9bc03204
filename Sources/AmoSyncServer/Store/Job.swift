import Foundation
import AmoSyncCore

/// Where a job stands (README, "Command line": `jobs list`).
package enum JobState: String, Codable, Sendable, CaseIterable {
    case queued, running, done, failed, cancelled
    /// A signed webhook with nothing to deliver (a deletion, an unknown topic, content that
    /// cannot be mapped): stored with the reason and answered 200, so the platform keeps the
    /// webhook on.
    case skipped
}

/// Steps a job has finished in amoCRM and the ids they produced; saved in the same
/// transaction that ends each step, so a resumed job never repeats a finished step.
package struct JobProgress: Codable, Sendable, Equatable {
    package var contactID: Int?
    package var leadID: Int?
    package var noteID: Int?
    var contactUpdated = false
    /// A create was sent but its answer was not stored: look before creating again.
    var leadSent = false
    var noteSent = false
    /// A `POST /contacts` holding this customer may have been applied: match again before creating.
    var contactSent = false
    /// When the lead's create was sent (Unix time): where to look for it.
    var leadSentAt: Int?
    /// The user rotation picked for the lead (kept, so a retry does not take another turn).
    package var assignedUserID: Int?
    /// The incoming lead's uid (`unsorted`).
    package var incomingUID: String?
    package var taskID: Int?
    var taskSent = false
    /// The lead's products are linked with the quantities of this job's order.
    package var productsLinked = false

    init() {}

    enum CodingKeys: String, CodingKey {
        case contactID = "contact_id", leadID = "lead_id", noteID = "note_id"
        case contactUpdated = "contact_updated", leadSent = "lead_sent", noteSent = "note_sent", contactSent = "contact_sent"
        case leadSentAt = "lead_sent_at", assignedUserID = "assigned_user_id", incomingUID = "incoming_uid", taskID = "task_id"
        case taskSent = "task_sent", productsLinked = "products_linked"
    }

    package init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        contactID = try c.decodeIfPresent(Int.self, forKey: .contactID)
        leadID = try c.decodeIfPresent(Int.self, forKey: .leadID)
        noteID = try c.decodeIfPresent(Int.self, forKey: .noteID)
        contactUpdated = try c.decodeIfPresent(Bool.self, forKey: .contactUpdated) ?? false
        leadSent = try c.decodeIfPresent(Bool.self, forKey: .leadSent) ?? false
        noteSent = try c.decodeIfPresent(Bool.self, forKey: .noteSent) ?? false
        contactSent = try c.decodeIfPresent(Bool.self, forKey: .contactSent) ?? false
        leadSentAt = try c.decodeIfPresent(Int.self, forKey: .leadSentAt)
        assignedUserID = try c.decodeIfPresent(Int.self, forKey: .assignedUserID)
        incomingUID = try c.decodeIfPresent(String.self, forKey: .incomingUID)
        taskID = try c.decodeIfPresent(Int.self, forKey: .taskID)
        taskSent = try c.decodeIfPresent(Bool.self, forKey: .taskSent) ?? false
        productsLinked = try c.decodeIfPresent(Bool.self, forKey: .productsLinked) ?? false
    }
}

/// One queued unit of work: the input as received, the plan, and where delivery stands.
package struct Job: Sendable {
    package var id: Int64
    package var kind: JobKind
    package var source: String
    package var externalID: String
    package var state: JobState
    package var input: JSONValue
    package var plan: DeliveryPlan
    package var progress: JobProgress
    package var attempts: Int
    package var runAt: Date
    var leaseUntil: Date?
    /// The claim that holds the lease of a running job (nil otherwise).
    var leaseOwner: String?
    package var createdAt: Date
    var updatedAt: Date
    package var lastError: String?
    package var warnings: [String]

    /// A stored row that does not decode (edited by hand, written by a broken version).
    struct Unreadable: Error, CustomStringConvertible {
        var column: String
        var reason: String
        var description: String { "stored job cannot be read: \(column): \(reason)" }
    }

    init(
        id: Int64, kind: JobKind, source: String, externalID: String, state: JobState, input: JSONValue, plan: DeliveryPlan,
        progress: JobProgress = JobProgress(), attempts: Int = 0, runAt: Date = .distantPast, createdAt: Date = .distantPast,
        lastError: String? = nil, warnings: [String] = []
    ) {
        self.id = id
        self.kind = kind
        self.source = source
        self.externalID = externalID
        self.state = state
        self.input = input
        self.plan = plan
        self.progress = progress
        self.attempts = attempts
        self.runAt = runAt
        self.createdAt = createdAt
        self.updatedAt = createdAt
        self.lastError = lastError
        self.warnings = warnings
    }
}

/// One delivery attempt as `jobs show` reports it.
package struct Attempt: Codable, Sendable, Equatable {
    package enum Outcome: String, Codable, Sendable { case done, retry, failed, throttled, paused, interrupted }

    package var at: Date
    package var durationMs: Int
    package var outcome: Outcome
    package var httpStatus: Int?
    /// The request, as `POST /api/v4/leads` (`Endpoint.label`)
    package var request: String?
    package var error: String?
    package var validationErrors: [ValidationIssue]

    init(
        at: Date, durationMs: Int, outcome: Outcome, httpStatus: Int? = nil, request: String? = nil,
        error: String? = nil, validationErrors: [ValidationIssue] = []
    ) {
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
package struct ValidationIssue: Codable, Sendable, Equatable {
    package var path: String
    package var code: String
    package var detail: String

    init(path: String, code: String, detail: String) {
        self.path = path
        self.code = code
        self.detail = detail
    }
}
