import AmoSyncCore
import Foundation

/// What operators ask and change, on PostgreSQL, from any node: the rules of `SQLiteStore+Admin`.
extension PostgresStore: AdminStore {
    package func list(_ filter: JobFilter) async throws -> [Job] {
        var conditions: [String] = []
        var values: [any PGParameter] = []
        func bind(_ value: any PGParameter) -> String {
            values.append(value)
            return "$\(values.count)"
        }
        if !filter.states.isEmpty { conditions.append("state = ANY(\(bind(PostgresArray.text(filter.states.map(\.rawValue))))::text[])") }
        if !filter.kinds.isEmpty { conditions.append("kind = ANY(\(bind(PostgresArray.text(filter.kinds.map(\.rawValue))))::text[])") }
        if let source = filter.source { conditions.append("source = \(bind(source))") }
        if let since = filter.since { conditions.append("created_at >= \(bind(since.timeIntervalSince1970))") }
        if let text = filter.text {
            let escaped = text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
                .replacingOccurrences(of: "_", with: "\\_")
            conditions.append("(search LIKE \(bind("% \(escaped) %")) ESCAPE '\\' OR external_id = \(bind(text)))")
        }
        let sql =
            "SELECT * FROM jobs" + (conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND "))
            + " ORDER BY id DESC LIMIT \(bind(filter.limit))"
        let bound = values
        return try await read { session in try session.query(sql, values: bound).map { Job.displayed(JobRecord(pg: $0)) } }
    }

    package func job(_ id: Int64) async throws -> Job? {
        try await read { session in
            try session.query("SELECT * FROM jobs WHERE id = $1", values: [id]).first.map { Job.displayed(JobRecord(pg: $0)) }
        }
    }

    package func attempts(of id: Int64) async throws -> [Attempt] {
        try await read { session in
            try session.query("SELECT * FROM job_attempts WHERE job_id = $1 ORDER BY id", values: [id]).map {
                AttemptRecord(pg: $0).attempt
            }
        }
    }

    package func retry(ids: [Int64], remap: (@Sendable (Job) throws -> DeliveryPlan)?) async throws -> [JobChange] {
        let now = self.now().timeIntervalSince1970
        return try await write { session in
            try ids.map { id in
                guard let row = try session.query("SELECT * FROM jobs WHERE id = $1 FOR UPDATE", values: [id]).first else {
                    return JobChange(id: id, from: nil, to: nil, note: "no such job")
                }
                let job = Job.displayed(JobRecord(pg: row))
                let plan: DeliveryPlan
                switch try QueueRules.retry(job, remap: remap) {
                case .success(let planned): plan = planned
                case .failure(let refused): return refused
                }
                try session.query(
                    """
                    UPDATE jobs SET state = 'queued', attempts = 0, run_at = $1, updated_at = $1, lease_until = NULL,
                      lease_owner = NULL, finished_at = NULL, plan = $2, warnings = $3 WHERE id = $4
                    """, values: [now, plan.json.canonicalString, JobRecord.encodeJSON(plan.warnings), id])
                return QueueRules.retried(job, remapped: remap != nil)
            }
        }
    }

    package func failedIDs(since: Date?) async throws -> [Int64] {
        try await read { session in
            try session.query(
                "SELECT id FROM jobs WHERE state = 'failed' AND created_at >= $1 ORDER BY id",
                values: [since?.timeIntervalSince1970 ?? 0]
            ).compactMap { $0.int64("id") }
        }
    }

    package func cancel(ids: [Int64]) async throws -> [JobChange] {
        let now = self.now().timeIntervalSince1970
        return try await write { session in
            try ids.map { id in
                guard let row = try session.query("SELECT state FROM jobs WHERE id = $1 FOR UPDATE", values: [id]).first,
                    let state = JobState(rawValue: row["state"] ?? "")
                else { return JobChange(id: id, from: nil, to: nil, note: "no such job") }
                guard state == .queued || state == .failed else {
                    return JobChange(id: id, from: state, to: state, note: "only queued or failed jobs can be cancelled")
                }
                try session.query(
                    "UPDATE jobs SET state = 'cancelled', finished_at = $1, updated_at = $1 WHERE id = $2", values: [now, id])
                return JobChange(id: id, from: state, to: .cancelled, note: nil)
            }
        }
    }

    package func stats() async throws -> QueueStats {
        let now = self.now().timeIntervalSince1970
        return try await read { session in
            var counts: [JobState: Int] = Dictionary(uniqueKeysWithValues: JobState.allCases.map { ($0, 0) })
            for row in try session.query("SELECT state, COUNT(*) AS n FROM jobs GROUP BY state") {
                if let state = JobState(rawValue: row["state"] ?? "") { counts[state] = row.int("n") ?? 0 }
            }
            let oldest = try session.query("SELECT MIN(created_at) AS t FROM jobs WHERE state IN ('queued', 'running')").first?.double("t")
            let last = try session.query("SELECT value FROM meta WHERE key = 'last_delivery_at'").first?["value"].flatMap { Double($0) }
            let hour =
                try session.query(
                    "SELECT COUNT(*) AS n FROM jobs WHERE state = 'done' AND kind NOT IN \(QueueRules.shopKinds) AND finished_at >= $1",
                    values: [now - 3600]
                ).first?.int("n") ?? 0
            return QueueStats(
                counts: counts, oldestQueuedSeconds: oldest.map { max(0, now - $0) },
                lastDeliveryAt: last.map(Date.init(timeIntervalSince1970:)), deliveredLastHour: hour)
        }
    }
}
