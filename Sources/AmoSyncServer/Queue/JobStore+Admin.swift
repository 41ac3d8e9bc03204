import Foundation
import GRDB
import AmoSyncCore

extension JobStore {
    /// Which jobs `jobs list` shows.
    package struct Filter: Sendable {
        package var states: [JobState] = []
        package var kinds: [JobKind] = []
        package var source: String?
        package var since: Date?
        package var text: String?
        package var limit = 50

        package init() {}
    }

    /// Jobs newest first.
    package func list(_ filter: Filter) async throws -> [Job] {
        var clauses: [String] = []
        var arguments = StatementArguments()
        if !filter.states.isEmpty {
            clauses.append("state IN (\(filter.states.map { _ in "?" }.joined(separator: ",")))")
            arguments += StatementArguments(filter.states.map(\.rawValue))
        }
        if !filter.kinds.isEmpty {
            clauses.append("kind IN (\(filter.kinds.map { _ in "?" }.joined(separator: ",")))")
            arguments += StatementArguments(filter.kinds.map(\.rawValue))
        }
        if let source = filter.source {
            clauses.append("source = ?")
            arguments += [source]
        }
        if let since = filter.since {
            clauses.append("created_at >= ?")
            arguments += [since.timeIntervalSince1970]
        }
        if let text = filter.text {
            clauses.append("(search LIKE ? ESCAPE '\\' OR external_id = ?)")
            let escaped = text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
                .replacingOccurrences(of: "_", with: "\\_")
            arguments += ["% \(escaped) %", text]
        }
        let whereSQL = clauses.isEmpty ? "" : "WHERE " + clauses.joined(separator: " AND ")
        arguments += [filter.limit]
        let bound = arguments
        return try await database.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM jobs \(whereSQL) ORDER BY id DESC LIMIT ?", arguments: bound)
                .map(Job.displayed)
        }
    }

    package func job(_ id: Int64) async throws -> Job? {
        try await database.read { db in try Row.fetchOne(db, sql: "SELECT * FROM jobs WHERE id = ?", arguments: [id]).map(Job.displayed) }
    }

    package func attempts(of id: Int64) async throws -> [Attempt] {
        try await database.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM job_attempts WHERE job_id = ? ORDER BY id", arguments: [id]).map { row in
                Attempt(
                    at: Date(timeIntervalSince1970: row["at"]), durationMs: row["duration_ms"],
                    outcome: Attempt.Outcome(rawValue: row["outcome"]) ?? .retry, httpStatus: row["http_status"],
                    request: row["request"], error: row["error"],
                    validationErrors: (try? JSONDecoder().decode(
                        [ValidationIssue].self, from: Data((row["validation_errors"] as String).utf8))) ?? [])
            }
        }
    }

    /// What an admin command changed, job by job.
    package struct Change: Sendable, Equatable {
        package var id: Int64
        package var from: JobState?
        package var to: JobState?
        package var note: String?
    }

    /// Puts failed or cancelled jobs back to `queued` with attempts reset. `remap` builds a
    /// fresh plan from the stored input (nil keeps the old plan); mapping errors are reported.
    package func retry(ids: [Int64], remap: (@Sendable (Job) throws -> DeliveryPlan)?) async throws -> [Change] {
        let now = self.now().timeIntervalSince1970
        return try await database.write { db in
            try ids.map { id in
                guard let job = try Row.fetchOne(db, sql: "SELECT * FROM jobs WHERE id = ?", arguments: [id]).map(Job.displayed) else {
                    return Change(id: id, from: nil, to: nil, note: "no such job")
                }
                guard job.state == .failed || job.state == .cancelled else {
                    return Change(id: id, from: job.state, to: job.state, note: "only failed or cancelled jobs can be retried")
                }
                var plan = job.plan
                if let remap {
                    do { plan = try remap(job) } catch let error as MappingError {
                        let text = error.details.map { "\($0.path): \($0.problem)" }.joined(separator: "; ")
                        return Change(id: id, from: job.state, to: job.state, note: "re-mapping failed: \(text)")
                    }
                }
                try db.execute(
                    sql: """
                        UPDATE jobs SET state = 'queued', attempts = 0, run_at = ?, updated_at = ?, lease_until = NULL, lease_owner = NULL,
                          finished_at = NULL, plan = ?, warnings = ? WHERE id = ?
                        """, arguments: [now, now, plan.json.canonicalString, Self.json(plan.warnings), id])
                return Change(
                    id: id, from: job.state, to: .queued, note: remap == nil ? "old plan kept" : "re-mapped with the current config")
            }
        }
    }

    /// Ids of failed jobs, optionally only those created since a date.
    package func failedIDs(since: Date?) async throws -> [Int64] {
        try await database.read { db in
            try Int64.fetchAll(
                db, sql: "SELECT id FROM jobs WHERE state = 'failed' AND created_at >= ? ORDER BY id",
                arguments: [since?.timeIntervalSince1970 ?? 0])
        }
    }

    /// Cancels queued or failed jobs (a running job is left to finish).
    package func cancel(ids: [Int64]) async throws -> [Change] {
        let now = self.now().timeIntervalSince1970
        return try await database.write { db in
            try ids.map { id in
                guard
                    let state = try String.fetchOne(db, sql: "SELECT state FROM jobs WHERE id = ?", arguments: [id]).flatMap(JobState.init)
                else {
                    return Change(id: id, from: nil, to: nil, note: "no such job")
                }
                guard state == .queued || state == .failed else {
                    return Change(id: id, from: state, to: state, note: "only queued or failed jobs can be cancelled")
                }
                try db.execute(
                    sql: "UPDATE jobs SET state = 'cancelled', finished_at = ?, updated_at = ? WHERE id = ?",
                    arguments: [now, now, id])
                return Change(id: id, from: state, to: .cancelled, note: nil)
            }
        }
    }

    /// Deletes done, cancelled and skipped jobs finished more than `days` ago; returns how many.
    /// At most `purgeChunk` jobs (and their attempts) go per transaction, found through the
    /// `created_at` index (a job finished before the cutoff was created before it): intake
    /// never waits behind a purge of a million jobs.
    @discardableResult
    package func purge(olderThanDays days: Double) async throws -> Int {
        let cutoff = now().timeIntervalSince1970 - days * 86_400
        var total = 0
        while true {
            let deleted = try await database.write { db in
                try db.execute(
                    sql: """
                        DELETE FROM jobs WHERE id IN (
                          SELECT id FROM jobs WHERE created_at < ? AND state IN ('done', 'cancelled', 'skipped')
                            AND COALESCE(finished_at, updated_at) < ? LIMIT ?)
                        """, arguments: [cutoff, cutoff, Self.purgeChunk])
                return db.changesCount
            }
            total += deleted
            if deleted < Self.purgeChunk { return total }
        }
    }

    static let purgeChunk = 1000

    /// Queue figures for `stats`, `/metrics` and `/readyz`.
    package struct Stats: Sendable, Equatable {
        package var counts: [JobState: Int]
        package var oldestQueuedSeconds: Double?
        package var lastDeliveryAt: Date?
        package var deliveredLastHour: Int
    }

    package func stats() async throws -> Stats {
        let now = self.now().timeIntervalSince1970
        return try await database.read { db in
            var counts: [JobState: Int] = Dictionary(uniqueKeysWithValues: JobState.allCases.map { ($0, 0) })
            for row in try Row.fetchAll(db, sql: "SELECT state, COUNT(*) AS n FROM jobs GROUP BY state") {
                if let state = JobState(rawValue: row["state"]) { counts[state] = row["n"] }
            }
            let oldest = try Double.fetchOne(db, sql: "SELECT MIN(created_at) FROM jobs WHERE state IN ('queued', 'running')")
            let last = try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'last_delivery_at'").flatMap(Double.init)
            let hour =
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM jobs WHERE state = 'done' AND finished_at >= ?", arguments: [now - 3600])
                ?? 0
            return Stats(
                counts: counts, oldestQueuedSeconds: oldest.map { max(0, now - $0) },
                lastDeliveryAt: last.map(Date.init(timeIntervalSince1970:)), deliveredLastHour: hour)
        }
    }
}
