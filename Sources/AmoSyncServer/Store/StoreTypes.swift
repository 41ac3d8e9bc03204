import Foundation
import AmoSyncCore

/// A job to store: the mapped plan and the raw input.
package struct NewJob: Sendable {
    var mapped: MappedJob
    /// The input as stored: canonical JSON.
    var inputText: String
    var dedupeKey: String
    /// Stored as `skipped` with this reason instead of queued.
    var skipReason: String?
    /// A version of an order or a site user (`versioned`): a duplicate only of the latest version.
    var isVersion = false

    init(mapped: MappedJob, input: JSONValue, dedupeKey: String) {
        self.init(mapped: mapped, inputBytes: input.canonicalBytes, dedupeKey: dedupeKey)
    }

    init(mapped: MappedJob, inputBytes: [UInt8], dedupeKey: String) {
        self.mapped = mapped
        self.inputText = String(decoding: inputBytes, as: UTF8.self)
        self.dedupeKey = dedupeKey
    }

    /// A signed webhook delivery with nothing to deliver, kept with the reason (deduplicated
    /// on its content, so a platform's resend is a duplicate).
    static func skipped(source: String, externalID: String?, input: JSONValue, reason: String) -> NewJob {
        let bytes = input.canonicalBytes
        let digest = Hashing.sha256Hex(bytes).prefix(32)
        let id = externalID ?? String(digest)
        let mapped = MappedJob(kind: .order, source: source, externalID: id, plan: DeliveryPlan(key: "\(source):\(id)"), searchKeys: [id])
        var job = NewJob(mapped: mapped, inputBytes: bytes, dedupeKey: "\(source):skipped:\(digest)")
        job.skipReason = reason
        return job
    }

    /// A lead's stage change (amoCRM's webhook or its event log): one `status_back` job per
    /// lead and hint, under the source `amocrm` (its jobs wait for no order's jobs).
    static func statusBack(_ change: StageChange, via: String, dedupeKey: String) -> NewJob {
        let id = StatusBackJob.externalID(lead: change.leadID)
        let mapped = MappedJob(
            kind: .statusBack, source: StatusBackJob.source, externalID: id, plan: DeliveryPlan(key: "amocrm:\(id)"),
            searchKeys: ["\(change.leadID)"])
        var input = change.json
        if case .object(var object) = input {
            object["via"] = .string(via)
            input = .object(object)
        }
        return NewJob(mapped: mapped, input: input, dedupeKey: dedupeKey)
    }

    /// A reconcile pass over `source`, named by when it was queued (`slot`).
    static func reconcile(source: String, slot: String) -> NewJob {
        let id = "reconcile:\(slot)"
        let mapped = MappedJob(kind: .reconcile, source: source, externalID: id, plan: DeliveryPlan(key: "\(source):\(id)"), searchKeys: [])
        return NewJob(mapped: mapped, input: ["source": .string(source)], dedupeKey: "\(source):\(id)")
    }

    /// Orders (and site users) dedupe on id + content: the same content again is a duplicate,
    /// changed content becomes an update of the same order.
    package static func versioned(_ mapped: MappedJob, input: JSONValue) -> NewJob {
        let bytes = input.canonicalBytes
        var job = NewJob(
            mapped: mapped, inputBytes: bytes, dedupeKey: "\(mapped.source):\(mapped.externalID):\(Hashing.sha256Hex(bytes).prefix(32))")
        job.isVersion = true
        return job
    }
}

/// The order whose job created a lead.
package struct OrderOwner: Sendable, Equatable {
    var source: String
    var externalID: String
    /// Its id in the shop's API where that is not its number (Shopify's `shopify_id`).
    var platformID: String?
}

/// What `enqueue` did.
package struct EnqueueResult: Sendable, Equatable {
    var jobID: Int64
    var kind: JobKind
    var duplicate: Bool
    var state: JobState = .queued
}

/// How a delivery attempt ended for one job.
package enum JobResolution: Sendable, Equatable {
    case done
    case retry(at: Date, refundAttempt: Bool)
    case failed
}

/// One job's end of an attempt, as a batch records it.
package struct JobOutcome: Sendable {
    var job: Job
    var resolution: JobResolution
    var attempt: Attempt
}

/// Which jobs `jobs list` shows.
package struct JobFilter: Sendable {
    package var states: [JobState] = []
    package var kinds: [JobKind] = []
    package var source: String?
    package var since: Date?
    package var text: String?
    package var limit = 50

    package init() {}
}

/// What an admin command changed, job by job.
package struct JobChange: Sendable, Equatable {
    package var id: Int64
    package var from: JobState?
    package var to: JobState?
    package var note: String?
}

/// Queue figures for `stats`, `/metrics` and `/readyz`.
package struct QueueStats: Sendable, Equatable {
    package var counts: [JobState: Int]
    package var oldestQueuedSeconds: Double?
    package var lastDeliveryAt: Date?
    package var deliveredLastHour: Int
}

/// One contact as the index keeps it: amoCRM's contact (reduced) and its normalized match keys.
package struct IndexedContact: Sendable {
    var id: Int
    var updatedAt: Int
    var data: String
    var keys: Set<String>
}

/// Where the contact index's full sync stands.
package struct IndexPosition: Sendable, Equatable {
    package var cursor = 0
    package var page = 1
    package var complete = false
    /// `updated_at` of the oldest contact, where the full sync began (progress is measured from it).
    package var origin: Int?
    /// When the full sync is expected to be done (Unix time), while it runs.
    package var etaAt: Int?

    /// The full sync has begun (read a page) and is not complete.
    package var syncing: Bool { !complete && origin != nil }

    /// Seconds until the estimated end of the full sync; nil when there is no estimate.
    package func secondsToGo(now: Date) -> Double? {
        etaAt.map { max(0, Double($0) - now.timeIntervalSince1970) }
    }

    /// How far the full sync has come, 0…1: the share of the time from the oldest contact's
    /// `updated_at` to `now` that the cursor has passed (an estimate: contacts are rarely
    /// spread evenly in time).
    package func progress(now: Date) -> Double {
        if complete { return 1 }
        guard let origin else { return 0 }
        let span = now.timeIntervalSince1970 - Double(origin)
        return span > 0 ? min(1, max(0, Double(cursor - origin) / span)) : 0
    }
}

/// The sync position as both stores keep it: five `meta` rows, `contact_index_*`.
extension IndexPosition {
    private static let keys = (
        cursor: "contact_index_cursor", page: "contact_index_page", complete: "contact_index_complete",
        origin: "contact_index_origin", eta: "contact_index_eta_at"
    )

    /// The position the `meta` rows (`key → value`) hold.
    init(meta saved: [String: String]) {
        let keys = Self.keys
        self.init(
            cursor: Int(saved[keys.cursor] ?? "") ?? 0, page: Int(saved[keys.page] ?? "") ?? 1, complete: saved[keys.complete] == "1",
            origin: saved[keys.origin].flatMap { Int($0) }, etaAt: saved[keys.eta].flatMap { Int($0) })
    }

    /// Its `meta` rows (nil: removed).
    var metaRows: [(key: String, value: String?)] {
        let keys = Self.keys
        return [
            (keys.cursor, "\(cursor)"), (keys.page, "\(page)"), (keys.complete, complete ? "1" : "0"),
            (keys.origin, origin.map { "\($0)" }), (keys.eta, etaAt.map { "\($0)" }),
        ]
    }
}

/// The pending OAuth `state` as both stores keep it in `meta` (`oauth_state`): the value, and
/// whether a presented state matches it (in constant time) before it expires.
enum OAuthStateRecord {
    static let key = "oauth_state"

    static func value(_ state: String, expiresAt: Date) -> String {
        JSONValue.object([
            "state": .string(state), "expires_at": .number(JSONNumber(expiresAt.timeIntervalSince1970.rounded())),
        ]).canonicalString
    }

    /// nil: the stored value is not the presented state (it stays); else whether it is still good.
    static func check(_ raw: String, presented: String, now: Double) -> Bool? {
        guard let stored = try? JSONValue.parse(Data(raw.utf8)), let state = stored["state"]?.stringValue,
            let expires = stored["expires_at"]?.doubleValue,
            Hashing.constantTimeEqual(Array(state.utf8), Array(presented.utf8))
        else { return nil }
        return now < expires
    }
}
