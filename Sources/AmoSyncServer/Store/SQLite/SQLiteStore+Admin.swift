import Foundation
import GRDB
import AmoSyncCore

/// What operators ask and change: `jobs list/show/find/retry/cancel`, `stats`.
extension SQLiteStore {
    /// Jobs newest first.
    package func list(_ filter: JobFilter) async throws -> [Job] {
        typealias Columns = JobRecord.CodingKeys
        var request = JobRecord.all()
        if !filter.states.isEmpty { request = request.filter(filter.states.map(\.rawValue).contains(Columns.state)) }
        if !filter.kinds.isEmpty { request = request.filter(filter.kinds.map(\.rawValue).contains(Columns.kind)) }
        if let source = filter.source { request = request.filter(Columns.source == source) }
        if let since = filter.since { request = request.filter(Columns.createdAt >= since.timeIntervalSince1970) }
        if let text = filter.text {
            let escaped = text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
                .replacingOccurrences(of: "_", with: "\\_")
            request = request.filter(
                sql: "(search LIKE :pattern ESCAPE '\\' OR external_id = :text)", arguments: ["pattern": "% \(escaped) %", "text": text])
        }
        let bounded = request.order(Columns.id.desc).limit(filter.limit)
        return try await database.read { db in try bounded.fetchAll(db).map(Job.displayed) }
    }

    package func job(_ id: Int64) async throws -> Job? {
        try await database.read { db in try JobRecord.fetchOne(db, key: id).map(Job.displayed) }
    }

    package func attempts(of id: Int64) async throws -> [Attempt] {
        try await database.read { db in
            try AttemptRecord.filter(AttemptRecord.CodingKeys.jobID == id).order(AttemptRecord.CodingKeys.id).fetchAll(db).map(\.attempt)
        }
    }

    /// Puts failed or cancelled jobs back to `queued` with attempts reset. `remap` builds a
    /// fresh plan from the stored input (nil keeps the old plan); mapping errors are reported.
    package func retry(ids: [Int64], remap: (@Sendable (Job) throws -> DeliveryPlan)?) async throws -> [JobChange] {
        let now = self.now().timeIntervalSince1970
        return try await database.write { db in
            try ids.map { id in
                guard let job = try JobRecord.fetchOne(db, key: id).map(Job.displayed) else {
                    return JobChange(id: id, from: nil, to: nil, note: "no such job")
                }
                let plan: DeliveryPlan
                switch try QueueRules.retry(job, remap: remap) {
                case .success(let planned): plan = planned
                case .failure(let refused): return refused
                }
                try db.execute(
                    sql: """
                        UPDATE jobs SET state = 'queued', attempts = 0, run_at = :now, updated_at = :now, lease_until = NULL,
                          lease_owner = NULL, finished_at = NULL, plan = :plan, warnings = :warnings WHERE id = :id
                        """,
                    arguments: ["now": now, "plan": plan.json.canonicalString, "warnings": JobRecord.encodeJSON(plan.warnings), "id": id])
                return QueueRules.retried(job, remapped: remap != nil)
            }
        }
    }

    /// Ids of failed jobs, optionally only those created since a date.
    package func failedIDs(since: Date?) async throws -> [Int64] {
        try await database.read { db in
            try JobRecord.filter(JobRecord.CodingKeys.state == JobState.failed.rawValue)
                .filter(JobRecord.CodingKeys.createdAt >= (since?.timeIntervalSince1970 ?? 0))
                .order(JobRecord.CodingKeys.id).select(JobRecord.CodingKeys.id, as: Int64.self).fetchAll(db)
        }
    }

    /// Cancels queued or failed jobs (a running job is left to finish).
    package func cancel(ids: [Int64]) async throws -> [JobChange] {
        let now = self.now().timeIntervalSince1970
        return try await database.write { db in
            try ids.map { id in
                guard let record = try JobRecord.fetchOne(db, key: id), let state = JobState(rawValue: record.state) else {
                    return JobChange(id: id, from: nil, to: nil, note: "no such job")
                }
                guard state == .queued || state == .failed else {
                    return JobChange(id: id, from: state, to: state, note: "only queued or failed jobs can be cancelled")
                }
                try db.execute(
                    sql: "UPDATE jobs SET state = 'cancelled', finished_at = :now, updated_at = :now WHERE id = :id",
                    arguments: ["now": now, "id": id])
                return JobChange(id: id, from: state, to: .cancelled, note: nil)
            }
        }
    }

    package func stats() async throws -> QueueStats {
        let now = self.now().timeIntervalSince1970
        return try await database.read { db in
            var counts: [JobState: Int] = Dictionary(uniqueKeysWithValues: JobState.allCases.map { ($0, 0) })
            for row in try Row.fetchAll(db, sql: "SELECT state, COUNT(*) AS n FROM jobs GROUP BY state") {
                if let state = JobState(rawValue: row["state"]) { counts[state] = row["n"] }
            }
            let oldest = try Double.fetchOne(db, sql: "SELECT MIN(created_at) FROM jobs WHERE state IN ('queued', 'running')")
            let last = try MetaRecord.fetchOne(db, key: "last_delivery_at").flatMap { Double($0.value) }
            let hour =
                try Int.fetchOne(
                    db,
                    sql:
                        "SELECT COUNT(*) FROM jobs WHERE state = 'done' AND kind NOT IN \(Self.shopKinds) AND finished_at >= :since",
                    arguments: ["since": now - 3600])
                ?? 0
            return QueueStats(
                counts: counts, oldestQueuedSeconds: oldest.map { max(0, now - $0) },
                lastDeliveryAt: last.map(Date.init(timeIntervalSince1970:)), deliveredLastHour: hour)
        }
    }
}
