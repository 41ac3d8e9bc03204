import Foundation
import GRDB
import AmoSyncCore

/// A row of `jobs`, as stored. JSON columns hold one codec each: the input as canonical JSON,
/// the plan through `DeliveryPlan+JSON`, progress and warnings through `Codable`. `Job` is what
/// the rest of the daemon works with.
struct JobRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "jobs"

    var id: Int64?
    var kind: String
    var source: String
    var externalID: String
    var dedupeKey: String
    var state: String
    var input: String
    var plan: String
    var progress: String
    var warnings: String
    var attempts: Int
    var runAt: Double
    var leaseUntil: Double?
    var leaseOwner: String?
    var createdAt: Double
    var updatedAt: Double
    var finishedAt: Double?
    var lastError: String?
    var search: String
    var leadID: Int?
    var contactID: Int?
    var noteID: Int?

    enum CodingKeys: String, CodingKey, ColumnExpression {
        case id, kind, source, externalID = "external_id", dedupeKey = "dedupe_key", state, input, plan, progress, warnings, attempts
        case runAt = "run_at", leaseUntil = "lease_until", leaseOwner = "lease_owner", createdAt = "created_at", updatedAt = "updated_at"
        case finishedAt = "finished_at", lastError = "last_error", search
        case leadID = "lead_id", contactID = "contact_id", noteID = "note_id"
    }
}

extension JobRecord {
    /// A new row for intake.
    init(_ job: NewJob, kind: JobKind, state: JobState, now: Double) {
        self.kind = kind.rawValue
        source = job.mapped.source
        externalID = job.mapped.externalID
        dedupeKey = job.dedupeKey
        self.state = state.rawValue
        input = job.inputText
        plan = job.mapped.plan.json.canonicalString
        progress = "{}"
        warnings = JSONValue.array(job.mapped.plan.warnings.map(JSONValue.string)).canonicalString
        attempts = 0
        runAt = now
        createdAt = now
        updatedAt = now
        search = " " + job.mapped.searchKeys.joined(separator: " ") + " "
        finishedAt = job.skipReason == nil ? nil : now
        lastError = job.skipReason
    }

    static func encodeJSON<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .secondsSince1970
        return String(decoding: (try? encoder.encode(value)) ?? Data("null".utf8), as: UTF8.self)
    }
}

extension Job {
    /// The job a row holds; throws `Unreadable` naming the column that does not decode.
    init(record: JobRecord) throws {
        func column<T>(_ name: String, _ text: String?, _ decode: (String) throws -> T?) throws -> T {
            let decoded: T?
            do { decoded = try text.flatMap(decode) } catch { throw Unreadable(column: name, reason: "\(error)") }
            guard let decoded else {
                throw Unreadable(column: name, reason: "unexpected value \(text.map { "\"\($0.prefix(40))\"" } ?? "NULL")")
            }
            return decoded
        }
        self.init(
            id: record.id ?? 0, kind: try column("kind", record.kind) { JobKind(rawValue: $0) }, source: record.source,
            externalID: record.externalID, state: try column("state", record.state) { JobState(rawValue: $0) },
            input: try column("input", record.input) { try JSONValue.parse(Data($0.utf8)) },
            plan: try column("plan", record.plan) { try DeliveryPlan(json: JSONValue.parse(Data($0.utf8))) },
            progress: try column("progress", record.progress) { try JSONDecoder().decode(JobProgress.self, from: Data($0.utf8)) },
            attempts: record.attempts, runAt: Date(timeIntervalSince1970: record.runAt),
            createdAt: Date(timeIntervalSince1970: record.createdAt), lastError: record.lastError,
            warnings: try column("warnings", record.warnings) { try JSONDecoder().decode([String].self, from: Data($0.utf8)) })
        updatedAt = Date(timeIntervalSince1970: record.updatedAt)
        leaseUntil = record.leaseUntil.map(Date.init(timeIntervalSince1970:))
        leaseOwner = record.leaseOwner
    }

    /// What `jobs list` and `jobs show` can still say of a row that does not decode: its
    /// identity, times and the decoding error; the input and plan are left empty.
    init(unreadable record: JobRecord, error: any Error) {
        self.init(
            id: record.id ?? 0, kind: JobKind(rawValue: record.kind) ?? .order, source: record.source, externalID: record.externalID,
            state: JobState(rawValue: record.state) ?? .failed, input: .null, plan: DeliveryPlan(key: ""), attempts: record.attempts,
            runAt: Date(timeIntervalSince1970: record.runAt), createdAt: Date(timeIntervalSince1970: record.createdAt),
            lastError: "\(error)")
        leaseOwner = record.leaseOwner
    }

    /// A row for display: an unreadable one is shown with its decoding error.
    static func displayed(_ record: JobRecord) -> Job {
        do { return try Job(record: record) } catch { return Job(unreadable: record, error: error) }
    }
}
