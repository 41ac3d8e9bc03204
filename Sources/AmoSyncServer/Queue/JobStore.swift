import Foundation
import GRDB
import AmoSyncCore

/// The durable queue: one SQLite file in WAL mode with `synchronous=FULL`, so that an
/// acknowledged job survives a crash of the process or the machine. Every method is one
/// transaction. Admin commands open the same file while the daemon runs.
///
/// The store owns its database (GRDB's AppDatabase pattern): every SQL statement of the
/// project is in `Queue/`. `database` is internal only so that tests can inject faults
/// (a corrupted row, a read-only connection, another process's budget rows).
package final class JobStore: Sendable {
    let database: any DatabaseWriter
    let now: @Sendable () -> Date

    /// A store on any GRDB writer (a pool on a file, or a queue in memory for a test), migrated.
    init(database: any DatabaseWriter, now: @escaping @Sendable () -> Date = Date.init) throws {
        try Migrations.migrator.migrate(database)
        self.database = database
        self.now = now
    }

    package init(path: String, now: @escaping @Sendable () -> Date = Date.init) throws {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.foreignKeysEnabled = true
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        database = try Self.open(path, configuration)
        self.now = now
    }

    /// Opens and migrates, also when several processes open a new file at once (the daemon and
    /// admin commands): creating the file, switching it to WAL and each migration can meet the
    /// other process half-way ("table … already exists", a busy or locked file); the one that
    /// loses looks again a moment later, for up to about two seconds.
    static func open(_ path: String, _ configuration: Configuration, attempts: Int = 20) throws -> DatabasePool {
        var attempt = 1
        while true {
            do {
                let database = try DatabasePool(path: path, configuration: configuration)
                // DatabasePool sets synchronous=NORMAL on its writer after prepareDatabase: restore FULL.
                try database.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
                try Migrations.migrator.migrate(database)
                return database
            } catch is DatabaseError where attempt < attempts {
                Thread.sleep(forTimeInterval: 0.02 * Double(attempt))  // start-up only, before any task runs
                attempt += 1
            }
        }
    }

    /// `PRAGMA synchronous` on the writer connection (2 = FULL).
    func writerSynchronous() throws -> Int {
        try database.writeWithoutTransaction { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1 }
    }

    static func json<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .secondsSince1970
        return String(decoding: (try? encoder.encode(value)) ?? Data("null".utf8), as: UTF8.self)
    }

    // MARK: Intake

    /// What `enqueue` did.
    package struct EnqueueResult: Sendable, Equatable {
        var jobID: Int64
        var kind: JobKind
        var duplicate: Bool
        var state: JobState = .queued
    }

    /// A job to store: the mapped plan and the raw input.
    package struct NewJob: Sendable {
        var mapped: MappedJob
        /// The input as stored: canonical JSON.
        var inputText: String
        var dedupeKey: String
        /// Stored as `skipped` with this reason instead of queued.
        var skipReason: String?

        init(mapped: MappedJob, input: JSONValue, dedupeKey: String) {
            self.init(mapped: mapped, inputBytes: input.canonicalBytes, dedupeKey: dedupeKey)
        }

        init(mapped: MappedJob, inputBytes: [UInt8], dedupeKey: String) {
            self.mapped = mapped
            self.inputText = String(decoding: inputBytes, as: UTF8.self)
            self.dedupeKey = dedupeKey
        }

        /// Orders (and site users) dedupe on id + content: the same content again is a
        /// duplicate, changed content becomes an update of the same order.
        /// A signed webhook delivery with nothing to deliver, kept with the reason (deduplicated
        /// on its content, so a platform's resend is a duplicate).
        static func skipped(source: String, externalID: String?, input: JSONValue, reason: String) -> NewJob {
            let bytes = input.canonicalBytes
            let digest = Hashing.sha256Hex(bytes).prefix(32)
            let id = externalID ?? String(digest)
            let mapped = MappedJob(
                kind: .order, source: source, externalID: id, plan: DeliveryPlan(key: "\(source):\(id)"), searchKeys: [id])
            var job = NewJob(mapped: mapped, inputBytes: bytes, dedupeKey: "\(source):skipped:\(digest)")
            job.skipReason = reason
            return job
        }

        package static func versioned(_ mapped: MappedJob, input: JSONValue) -> NewJob {
            let bytes = input.canonicalBytes
            return NewJob(
                mapped: mapped, inputBytes: bytes, dedupeKey: "\(mapped.source):\(mapped.externalID):\(Hashing.sha256Hex(bytes).prefix(32))"
            )
        }
    }

    /// Stores new jobs in one transaction (one fsync for all of them).
    package func enqueue(_ jobs: [NewJob]) async throws -> [EnqueueResult] {
        let now = self.now().timeIntervalSince1970
        return try await settle { db in try jobs.map { try Self.insert($0, now: now, db: db) } }
    }

    func enqueue(_ job: NewJob) async throws -> EnqueueResult { try await enqueue([job])[0] }

    static func insert(_ job: NewJob, now: Double, db: Database) throws -> EnqueueResult {
        // Cached statements: intake runs these thousands of times a second.
        let existing = try db.cachedStatement(sql: "SELECT id, kind, state FROM jobs WHERE dedupe_key = ?")
        if let row = try Row.fetchOne(existing, arguments: [job.dedupeKey]) {
            return EnqueueResult(
                jobID: row["id"], kind: JobKind(rawValue: row["kind"]) ?? .order, duplicate: true,
                state: JobState(rawValue: row["state"]) ?? .queued)
        }
        var kind = job.mapped.kind
        if kind == .order, job.skipReason == nil {
            let earlier = try db.cachedStatement(
                sql: "SELECT 1 FROM jobs WHERE source = ? AND external_id = ? AND kind = 'order' AND state <> 'skipped' LIMIT 1")
            if try Bool.fetchOne(earlier, arguments: [job.mapped.source, job.mapped.externalID]) == true { kind = .orderUpdate }
        }
        let insert = try db.cachedStatement(
            sql: """
                INSERT INTO jobs (kind, source, external_id, dedupe_key, state, input, plan, warnings, run_at, created_at,
                  updated_at, search, finished_at, last_error)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
        let state: JobState = job.skipReason == nil ? .queued : .skipped
        try insert.execute(arguments: [
            kind.rawValue, job.mapped.source, job.mapped.externalID, job.dedupeKey, state.rawValue,
            job.inputText, job.mapped.plan.json.canonicalString,
            JSONValue.array(job.mapped.plan.warnings.map(JSONValue.string)).canonicalString,
            now, now, now, " " + job.mapped.searchKeys.joined(separator: " ") + " ",
            job.skipReason == nil ? nil : now, job.skipReason,
        ])
        return EnqueueResult(jobID: db.lastInsertedRowID, kind: kind, duplicate: false, state: state)
    }

    // MARK: Worker

    /// When the next queued job becomes due (nil when nothing waits).
    func nextRunAt() async throws -> Date? {
        try await database.read { db in
            try Double.fetchOne(
                db,
                sql: """
                    SELECT MIN(t) FROM (SELECT MIN(run_at) AS t FROM jobs WHERE state = 'queued'
                                        UNION ALL SELECT MIN(lease_until) FROM jobs WHERE state = 'running')
                    """
            ).map(Date.init(timeIntervalSince1970:))
        }
    }

    /// A write that completes once started, even if the task that asked is cancelled: what a
    /// request did in amoCRM is recorded at shutdown too. It runs on GRDB's writer queue, not
    /// on a Swift concurrency thread.
    func settle<T: Sendable>(_ updates: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            database.asyncWrite(updates) { _, result in continuation.resume(with: result) }
        }
    }

    /// The condition every write of a worker adds: the job still runs under this claim.
    static let held = "state = 'running' AND lease_owner IS ?"

    /// Extends the leases of jobs a lane still works on. Returns the ids whose lease this
    /// claim no longer holds (expired and claimed by another lane, or finished by it).
    func renew(_ jobs: [Job], leaseFor lease: TimeInterval) async throws -> Set<Int64> {
        guard !jobs.isEmpty else { return [] }
        let now = self.now().timeIntervalSince1970
        return try await settle { db in
            var lost: Set<Int64> = []
            for job in jobs {
                try db.execute(
                    sql: "UPDATE jobs SET lease_until = ? WHERE id = ? AND \(Self.held)", arguments: [now + lease, job.id, job.leaseOwner])
                if db.changesCount == 0 { lost.insert(job.id) }
            }
            return lost
        }
    }

    /// Checkpoints finished steps of several jobs in one transaction. Returns the ids whose
    /// lease was lost: their progress is not written (the new holder's is).
    func saveProgress(_ jobs: [Job]) async throws -> Set<Int64> {
        guard !jobs.isEmpty else { return [] }
        let now = self.now().timeIntervalSince1970
        let encoded = jobs.map { (Self.json($0.progress), $0.progress, $0.id, $0.leaseOwner) }
        return try await settle { db in
            var lost: Set<Int64> = []
            for (text, progress, id, owner) in encoded {
                try db.execute(
                    sql: """
                        UPDATE jobs SET progress = :progress, lead_id = :lead, contact_id = :contact, note_id = :note, updated_at = :now
                        WHERE id = :id AND state = 'running' AND lease_owner IS :owner
                        """,
                    arguments: [
                        "progress": text, "lead": progress.leadID, "contact": progress.contactID, "note": progress.noteID, "now": now,
                        "id": id, "owner": owner,
                    ])
                if db.changesCount == 0 { lost.insert(id) }
            }
            return lost
        }
    }

    /// How a delivery attempt ended for one job.
    enum Resolution: Sendable, Equatable {
        case done
        case retry(at: Date, refundAttempt: Bool)
        case failed
    }

    /// Records the end of an attempt for several jobs in one transaction. Jobs whose lease
    /// was lost are left to their new holder; their ids are returned.
    @discardableResult
    func finish(_ outcomes: [(job: Job, resolution: Resolution, attempt: Attempt)]) async throws -> Set<Int64> {
        guard !outcomes.isEmpty else { return [] }
        let now = self.now().timeIntervalSince1970
        let encoded = outcomes.map {
            (
                job: $0.job, resolution: $0.resolution, attempt: $0.attempt,
                warnings: Self.json($0.job.warnings), progress: Self.json($0.job.progress), plan: $0.job.plan.json.canonicalString
            )
        }
        return try await settle { db in
            var lost: Set<Int64> = []
            var delivered = false
            for (job, resolution, attempt, warnings, progress, plan) in encoded {
                switch resolution {
                case .done:
                    try db.execute(
                        sql: """
                            UPDATE jobs SET state = 'done', lease_until = NULL, lease_owner = NULL, finished_at = ?,
                              updated_at = ?, progress = ?, plan = ?,
                              warnings = ?, last_error = NULL WHERE id = ? AND \(Self.held)
                            """, arguments: [now, now, progress, plan, warnings, job.id, job.leaseOwner])
                case .retry(let at, let refund):
                    try db.execute(
                        sql: """
                            UPDATE jobs SET state = 'queued', lease_until = NULL, lease_owner = NULL, run_at = ?, updated_at = ?,
                              progress = ?, plan = ?,
                              warnings = ?, last_error = COALESCE(?, last_error), attempts = MAX(0,
                                attempts - ?) WHERE id = ? AND \(Self.held)
                            """,
                        arguments: [
                            at.timeIntervalSince1970, now, progress, plan, warnings, attempt.error, refund ? 1 : 0, job.id,
                            job.leaseOwner,
                        ])
                case .failed:
                    try db.execute(
                        sql: """
                            UPDATE jobs SET state = 'failed', lease_until = NULL, lease_owner = NULL, finished_at = ?,
                              updated_at = ?, progress = ?, plan = ?,
                              warnings = ?, last_error = ? WHERE id = ? AND \(Self.held)
                            """, arguments: [now, now, progress, plan, warnings, attempt.error, job.id, job.leaseOwner])
                }
                guard db.changesCount > 0 else { lost.insert(job.id); continue }
                try Self.recordResults(job, db: db)
                if case .done = resolution {
                    delivered = true
                    // The next job of this order (stepped aside by a claim while this one ran) is due now.
                    try db.execute(
                        sql: """
                            UPDATE jobs SET run_at = ? WHERE source = ? AND external_id = ? AND id > ? AND state = 'queued'
                              AND run_at > ?
                            """, arguments: [now, job.source, job.externalID, job.id, now])
                }
                try Self.record(attempt, jobID: job.id, db: db)
            }
            if delivered {
                try db.execute(sql: "INSERT OR REPLACE INTO meta (key, value) VALUES ('last_delivery_at', ?)", arguments: ["\(now)"])
            }
            return lost
        }
    }

    /// The ids a job produced, in their columns (the progress document holds them too).
    static func recordResults(_ job: Job, db: Database) throws {
        try db.execute(
            sql: "UPDATE jobs SET lead_id = :lead, contact_id = :contact, note_id = :note WHERE id = :id",
            arguments: ["lead": job.progress.leadID, "contact": job.progress.contactID, "note": job.progress.noteID, "id": job.id])
    }

    static func record(_ attempt: Attempt, jobID: Int64, db: Database) throws {
        try db.execute(
            sql: """
                INSERT INTO job_attempts (job_id, at, duration_ms, outcome, http_status, request, error, validation_errors)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                jobID, attempt.at.timeIntervalSince1970, attempt.durationMs, attempt.outcome.rawValue,
                attempt.httpStatus, attempt.request, attempt.error, json(attempt.validationErrors),
            ])
    }

    /// Gives leased jobs back without spending their attempt (shutdown, a customer locked by
    /// another batch); only jobs this claim still holds.
    func release(_ jobs: [Job], runAt: Date? = nil) async throws {
        guard !jobs.isEmpty else { return }
        let now = self.now().timeIntervalSince1970
        let at = runAt?.timeIntervalSince1970 ?? now
        let held = jobs.map { ($0.id, $0.leaseOwner) }
        try await settle { db in
            for (id, owner) in held {
                try db.execute(
                    sql: """
                        UPDATE jobs SET state = 'queued', lease_until = NULL, lease_owner = NULL, attempts = MAX(0,
                          attempts - 1), run_at = ?,
                          updated_at = ? WHERE id = ? AND \(Self.held)
                        """, arguments: [at, now, id, owner])
            }
        }
    }

    /// Small shared state between the daemon and admin commands (credential problems…).
    package func setMeta(_ key: String, _ value: String?) async throws {
        try await settle { db in
            if let value {
                try db.execute(sql: "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", arguments: [key, value])
            } else {
                try db.execute(sql: "DELETE FROM meta WHERE key = ?", arguments: [key])
            }
        }
    }

    package func meta(_ key: String) async throws -> String? {
        try await database.read { db in try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = ?", arguments: [key]) }
    }

    /// The lead created by the first delivered job of an order (for update jobs).
    func leadID(source: String, externalID: String) async throws -> Int? {
        try await database.read { db in
            try Int.fetchOne(
                db,
                sql: """
                    SELECT lead_id FROM jobs WHERE source = :source AND external_id = :id AND state = 'done' AND lead_id IS NOT NULL
                    ORDER BY id LIMIT 1
                    """, arguments: ["source": source, "id": externalID])
        }
    }

    /// The order (or form) whose job produced or updated this lead, if any.
    func order(holding leadID: Int) async throws -> (source: String, externalID: String)? {
        try await database.read { db in
            try Row.fetchOne(db, sql: "SELECT source, external_id FROM jobs WHERE lead_id = :lead LIMIT 1", arguments: ["lead": leadID])
                .map { (source: $0["source"], externalID: $0["external_id"]) }
        }
    }
}
