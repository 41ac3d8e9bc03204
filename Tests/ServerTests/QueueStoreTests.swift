import Foundation
import GRDB
import Testing
@testable import AmoSyncCore
@testable import AmoSyncServer
@testable import TestSupport
@testable import TestFixtures

/// A clock tests can move.
final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var current = Date(timeIntervalSince1970: 1_800_000_000)
    var now: Date { lock.withLock { current } }
    func advance(_ seconds: Double) { lock.withLock { current = current.addingTimeInterval(seconds) } }
}

/// The queue's rules, on both engines where the rule is the queue's (SQLite's file, WAL and
/// migrations have tests of their own).
@Suite struct QueueStoreTests {
    let dir = TempDir()
    let clock = TestClock()
    let mapper = Mapper(config: MappingFixtures.config())

    /// A store in memory (the queue's logic); `fileStore()` where the file itself matters.
    func store() throws -> SQLiteStore { try SQLiteStore(database: try DatabaseQueue(), now: { [clock] in clock.now }) }

    /// The queue's logic on either engine: SQLite in memory, or a database of its own on the
    /// run's PostgreSQL server.
    func store(_ engine: StoreContractTests.Engine) async throws -> any Store {
        switch engine {
        case .sqlite: return try store()
        case .postgres: return try await PostgresStore.open(url: try await PostgresServer.database(), now: { [clock] in clock.now })
        }
    }

    func fileStore() throws -> SQLiteStore { try SQLiteStore(path: dir.file("q.sqlite3"), now: { [clock] in clock.now }) }

    func order(_ id: String, status: String = "new") async throws -> NewJob {
        let input: JSONValue = ["id": .string(id), "customer": ["phone": "89125550102"], "total": 10, "status": .string(status)]
        return .versioned(try mapper.mapOrder(input), input: input)
    }

    @Test func writerIsSynchronousFullInWALMode() async throws {
        let store = try fileStore()
        #expect(try store.writerSynchronous() == 2)
        let mode = try await store.database.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") }
        #expect(mode == "wal")
    }

    @Test func schemaRejectsImpossibleRows() async throws {
        let store = try store()
        #expect(throws: DatabaseError.self) {
            try store.database.write { db in
                try db.execute(
                    sql: """
                        INSERT INTO jobs (kind, source, external_id, dedupe_key, state, input, plan, run_at, created_at, updated_at)
                        VALUES ('order', 'orders', '1', 'k', 'lost', '{}', '{}', 0, 0, 0)
                        """)
            }
        }
    }

    @Test(arguments: StoreContractTests.Engine.allCases)
    func sameContentIsADuplicateAndChangedContentAnUpdate(engine: StoreContractTests.Engine) async throws {
        let store = try await store(engine)
        let first = try await store.enqueue(try order("1"))
        let again = try await store.enqueue(try order("1"))
        let changed = try await store.enqueue(try order("1", status: "paid"))
        let other = try await store.enqueue(try order("2"))
        #expect(first.kind == .order && !first.duplicate)
        #expect(again == EnqueueResult(jobID: first.jobID, kind: .order, duplicate: true, state: .queued))
        #expect(changed.kind == .orderUpdate && !changed.duplicate)
        #expect(other.kind == .order)
        await #expect(try store.stats().counts[.queued] == 3)
        // Back to the first content: a change back, not a resend of the first version.
        let back = try await store.enqueue(try order("1"))
        #expect(back.kind == .orderUpdate && !back.duplicate && back.jobID != first.jobID)
        // Its resend is a duplicate of it; the version before it is a change again.
        #expect(try await store.enqueue(try order("1")) == EnqueueResult(jobID: back.jobID, kind: .orderUpdate, duplicate: true))
        let paidAgain = try await store.enqueue(try order("1", status: "paid"))
        #expect(paidAgain.kind == .orderUpdate && !paidAgain.duplicate && paidAgain.jobID != changed.jobID)
        await #expect(try store.stats().counts[.queued] == 5)
    }

    /// Hints for a lead whose re-read still waits join it, carrying the newest; once it ran, a new one is queued.
    @Test(arguments: StoreContractTests.Engine.allCases)
    func aStageHintJoinsTheLeadsWaitingReadOnly(engine: StoreContractTests.Engine) async throws {
        let store = try await store(engine)
        func hint(_ status: Int) -> NewJob {
            .statusBack(StageChange(leadID: 7, statusID: status, changedAt: status), via: "webhook", dedupeKey: "hint:\(UUID())")
        }
        let first = try await store.enqueue(hint(142))
        let second = try await store.enqueue(hint(143))
        #expect(second == EnqueueResult(jobID: first.jobID, kind: .statusBack, duplicate: true))
        #expect(try await store.job(first.jobID)?.input["status_id"] == 143, "the waiting read carries the newest hint")
        let claimed = try await store.claimBatch(limit: 10, leaseFor: 60, lane: .shop)
        #expect(claimed.map(\.id) == [first.jobID])
        #expect(try await store.claimBatch(limit: 10, leaseFor: 60, lane: .amocrm).isEmpty, "the delivery lane does not take it")
        let third = try await store.enqueue(hint(142))
        #expect(!third.duplicate && third.jobID != first.jobID, "a move after the read began is read again")
        // A status written back is no delivery to amoCRM: `stats` does not count it as one.
        try await store.finish([(claimed[0], .done, Attempt(at: Date(), durationMs: 0, outcome: .done))])
        var stats = try await store.stats()
        #expect(stats.lastDeliveryAt == nil && stats.deliveredLastHour == 0)
        _ = try await store.enqueue(try order("1"))
        let delivery = try await store.claimBatch(limit: 1, leaseFor: 60, lane: .amocrm)
        try await store.finish([(delivery[0], .done, Attempt(at: Date(), durationMs: 0, outcome: .done))])
        stats = try await store.stats()
        #expect(stats.lastDeliveryAt != nil && stats.deliveredLastHour == 1)
    }

    /// The store takes any GRDB writer: here a queue in memory, migrated like a file.
    @Test func aStoreOnAnInjectedDatabaseIsMigratedAndWorks() async throws {
        let store = try SQLiteStore(database: try DatabaseQueue(), now: { [clock] in clock.now })
        _ = try await store.enqueue([try order("1")])
        #expect(try await store.claimBatch(limit: 10, leaseFor: 60).map(\.externalID) == ["1"])
        let tables = try await store.database.read { db in
            try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table'")
        }
        #expect(Set(tables).isSuperset(of: ["jobs", "job_attempts", "meta", "contact_index", "contact_keys", "api_requests"]), "\(tables)")
    }

    /// v5 rebuilds the jobs table for the `skipped` state: rows, attempts and the id sequence survive.
    @Test func theSkippedStateMigrationKeepsJobsAttemptsAndIDs() async throws {
        let path = dir.file("v4.sqlite3")
        let old = try DatabaseQueue(path: path)
        try Migrations.migrator.migrate(old, upTo: "v4-lease-owner")
        try await old.write { db in
            for id in [1, 2, 7] {
                try db.execute(
                    sql: """
                        INSERT INTO jobs (id, kind, source, external_id, dedupe_key, state, input, plan, run_at, created_at, updated_at)
                        VALUES (?, 'order', 'orders', ?, ?, 'failed', '{}', '{"key":"orders:1","warnings":[]}', 0, 0, 0)
                        """, arguments: [id, "\(id)", "k\(id)"])
            }
            try db.execute(sql: "INSERT INTO job_attempts (job_id, at, duration_ms, outcome) VALUES (2, 0, 5, 'failed')")
            try db.execute(sql: "DELETE FROM jobs WHERE id = 7")  // purged: its id is never handed out again
        }
        try old.close()
        let store = try SQLiteStore(path: path, now: { [clock] in clock.now })
        #expect(try await store.list(JobFilter()).map(\.id).sorted() == [1, 2])
        #expect(try await store.attempts(of: 2).count == 1)
        let result = try await store.enqueue(.skipped(source: "woo", externalID: "9", input: ["id": 9], reason: "order.deleted"))
        #expect(result.state == .skipped)
        #expect(result.jobID == 8)
        #expect(try await store.job(result.jobID)?.lastError == "order.deleted")
    }

    @Test(arguments: StoreContractTests.Engine.allCases)
    func claimLeasesCountsAttemptsAndReclaimsExpiredLeases(engine: StoreContractTests.Engine) async throws {
        let store = try await store(engine)
        _ = try await store.enqueue([try order("1"), try order("2")])
        let claimed = try await store.claimBatch(limit: 10, leaseFor: 60)
        #expect(claimed.map(\.attempts) == [1, 1])
        #expect(claimed.allSatisfy { $0.state == .running })
        await #expect(try store.claimBatch(limit: 10, leaseFor: 60).isEmpty, "leased jobs are not claimed twice")
        clock.advance(61)  // the process died: leases expire
        let again = try await store.claimBatch(limit: 10, leaseFor: 60)
        #expect(again.map(\.id) == claimed.map(\.id))
        #expect(again.map(\.attempts) == [2, 2])
    }

    @Test(arguments: StoreContractTests.Engine.allCases)
    func updatesWaitForTheirOrdersFirstJob(engine: StoreContractTests.Engine) async throws {
        let store = try await store(engine)
        _ = try await store.enqueue([try order("1"), try order("1", status: "paid")])
        let first = try await store.claimBatch(limit: 10, leaseFor: 60)
        #expect(first.map(\.kind) == [.order])
        await #expect(try store.claimBatch(limit: 10, leaseFor: 60).isEmpty)
        try await store.finish([(first[0], .done, Attempt(at: clock.now, durationMs: 1, outcome: .done))])
        await #expect(try store.claimBatch(limit: 10, leaseFor: 60).map(\.kind) == [.orderUpdate])
    }

    /// 300 failed orders each with a queued update: 300 due jobs that can't run. The claim looks
    /// at a bounded window of due jobs; the blocked ones step aside, so a new order behind them
    /// is claimed, and a predecessor's finish wakes its update at once.
    @Test(arguments: StoreContractTests.Engine.allCases)
    func blockedJobsStepAsideAndAFinishedPredecessorWakesItsNext(engine: StoreContractTests.Engine) async throws {
        let store = try await store(engine)
        var orders: [NewJob] = []
        var updates: [NewJob] = []
        for index in 0..<300 {
            orders.append(try await order("b\(index)"))
            updates.append(try await order("b\(index)", status: "paid"))
        }
        _ = try await store.enqueue(orders)
        let first = try await store.claimBatch(limit: 300, leaseFor: 60)
        try await store.finish(first.map { ($0, .failed, Attempt(at: clock.now, durationMs: 1, outcome: .failed, error: "bad")) })
        _ = try await store.enqueue(updates)
        let fresh = try await store.enqueue(try order("fresh")).jobID
        #expect(QueueRules.claimScan(10) < 300, "more blocked jobs than one claim looks at")
        await #expect(try store.claimBatch(limit: 10, leaseFor: 60).map(\.id) == [fresh])
        var all = JobFilter()
        all.limit = 1000
        let steppedAside = try await store.list(all).filter { $0.kind == .orderUpdate && $0.runAt > clock.now }
        #expect(steppedAside.count == QueueRules.claimScan(10), "the window's blocked jobs, no more")
        let predecessor = try await #require(try store.list(all).first { $0.externalID == "b0" && $0.kind == .order })
        _ = try await store.retry(ids: [predecessor.id], remap: nil)
        let retried = try await store.claimBatch(limit: 10, leaseFor: 60)
        #expect(retried.map(\.id) == [predecessor.id], "its update stepped aside")
        try await store.finish([(retried[0], .done, Attempt(at: clock.now, durationMs: 1, outcome: .done))])
        let update = try await store.claimBatch(limit: 10, leaseFor: 60)
        #expect(update.map(\.externalID) == ["b0"], "woken by its order's finish, without waiting")
        #expect(update.map(\.kind) == [.orderUpdate])
    }

    @Test(arguments: StoreContractTests.Engine.allCases)
    func retrySchedulingFailureAndAdminRetry(engine: StoreContractTests.Engine) async throws {
        let store = try await store(engine)
        let id = try await store.enqueue(try order("1")).jobID
        var job = try await #require(try store.claimBatch(limit: 1, leaseFor: 60).first)
        try await store.finish([
            (
                job, .retry(at: clock.now.addingTimeInterval(30), refundAttempt: false),
                Attempt(at: clock.now, durationMs: 5, outcome: .retry, httpStatus: 503, error: "HTTP 503")
            )
        ])
        await #expect(try store.claimBatch(limit: 1, leaseFor: 60).isEmpty, "not due yet")
        await #expect(try store.nextRunAt() == clock.now.addingTimeInterval(30))
        clock.advance(31)
        job = try await #require(try store.claimBatch(limit: 1, leaseFor: 60).first)
        #expect(job.attempts == 2)
        try await store.finish([
            (
                job, .failed,
                Attempt(
                    at: clock.now, durationMs: 5, outcome: .failed, httpStatus: 400, error: "bad",
                    validationErrors: [ValidationIssue(path: "status_id", code: "NotSupportedChoice", detail: "x")])
            )
        ])
        let failed = try await #require(try store.job(id))
        #expect(failed.state == .failed)
        #expect(failed.lastError == "bad")
        let attempts = try await store.attempts(of: id)
        #expect(attempts.map(\.outcome) == [.retry, .failed])
        #expect(attempts.last?.validationErrors.first?.path == "status_id")
        let changes = try await store.retry(ids: [id, 999], remap: nil)
        #expect(changes.map(\.to) == [.queued, nil])
        await #expect(try store.job(id)?.attempts == 0)
        await #expect(try store.cancel(ids: [id]).first?.to == .cancelled)
        await #expect(try store.cancel(ids: [id]).first?.note == "only queued or failed jobs can be cancelled")
    }

    /// More old jobs than one purge transaction takes: all of them go, chunk by chunk.
    @Test(arguments: StoreContractTests.Engine.allCases)
    func purgeGoesThroughManyJobsInBoundedChunks(engine: StoreContractTests.Engine) async throws {
        let store = try await store(engine)
        var jobs: [NewJob] = []
        for index in 0..<(2 * QueueRules.purgeChunk + 500) { jobs.append(try await order("p\(index)")) }
        _ = try await store.enqueue(jobs)
        let claimed = try await store.claimBatch(limit: jobs.count, leaseFor: 60)
        try await store.finish(claimed.map { ($0, .done, Attempt(at: clock.now, durationMs: 1, outcome: .done)) })
        let kept = try await store.enqueue(try order("kept")).jobID
        clock.advance(2 * 86_400)
        await #expect(try store.purge(olderThanDays: 1) == jobs.count)
        await #expect((try store.stats().counts[.done] ?? 0) == 0)
        await #expect(try store.job(kept)?.state == .queued, "a queued job stays")
    }

    @Test(arguments: StoreContractTests.Engine.allCases)
    func purgeDeletesOnlyOldDoneAndCancelledJobs(engine: StoreContractTests.Engine) async throws {
        let store = try await store(engine)
        let done = try await store.enqueue(try order("1")).jobID
        let failed = try await store.enqueue(try order("2")).jobID
        let jobs = try await store.claimBatch(limit: 2, leaseFor: 60)
        try await store.finish([
            (jobs[0], .done, Attempt(at: clock.now, durationMs: 1, outcome: .done)),
            (jobs[1], .failed, Attempt(at: clock.now, durationMs: 1, outcome: .failed)),
        ])
        await #expect(try store.purge(olderThanDays: 1) == 0)
        clock.advance(2 * 86_400)
        await #expect(try store.purge(olderThanDays: 1) == 1)
        await #expect(try store.job(done) == nil)
        await #expect(try store.job(failed)?.state == .failed)
    }

    @Test(arguments: StoreContractTests.Engine.allCases)
    func releaseRefundsTheAttempt(engine: StoreContractTests.Engine) async throws {
        let store = try await store(engine)
        let id = try await store.enqueue(try order("1")).jobID
        let claimed = try await store.claimBatch(limit: 1, leaseFor: 60)
        try await store.release(claimed)
        let job = try await #require(try store.job(id))
        #expect(job.state == .queued)
        #expect(job.attempts == 0)
    }

    /// A lane that stalled past its lease cannot overwrite the lane that took the job over:
    /// its renewals, checkpoints, outcome and release all find the lease gone.
    @Test(arguments: StoreContractTests.Engine.allCases)
    func onlyTheLeaseHolderWrites(engine: StoreContractTests.Engine) async throws {
        let store = try await store(engine)
        let id = try await store.enqueue(try order("1")).jobID
        var stale = try #require(try await store.claimBatch(limit: 1, leaseFor: 10).first)
        #expect(try await store.renew([stale], leaseFor: 10).isEmpty, "the holder renews")
        clock.advance(15)
        var holder = try #require(try await store.claimBatch(limit: 1, leaseFor: 10).first, "the expired lease is claimed again")
        #expect(holder.leaseOwner != stale.leaseOwner)

        stale.progress.noteID = 99
        #expect(try await store.saveProgress([stale]) == [id])
        #expect(try await store.renew([stale], leaseFor: 10) == [id])
        #expect(try await store.finish([(stale, .done, Attempt(at: clock.now, durationMs: 1, outcome: .done))]) == [id])
        try await store.release([stale])
        var job = try #require(try await store.job(id))
        #expect(job.state == .running)
        #expect(job.leaseOwner == holder.leaseOwner)
        #expect(job.progress.noteID == nil)
        #expect(try await store.attempts(of: id).isEmpty, "the stale outcome is not recorded")

        holder.progress.noteID = 7
        #expect(try await store.saveProgress([holder]).isEmpty)
        #expect(try await store.finish([(holder, .done, Attempt(at: clock.now, durationMs: 1, outcome: .done))]).isEmpty)
        job = try #require(try await store.job(id))
        #expect(job.state == .done)
        #expect(job.progress.noteID == 7)
        #expect(job.leaseOwner == nil)
    }

    @Test(arguments: StoreContractTests.Engine.allCases)
    func findByPhoneEmailOrOrderID(engine: StoreContractTests.Engine) async throws {
        let store = try await store(engine)
        _ = try await store.enqueue(try order("A-1"))
        var filter = JobFilter()
        for text in ["+79125550102", "A-1"] {
            filter.text = text
            await #expect(try store.list(filter).count == 1, "\(text)")
        }
        filter.text = "+7912"
        await #expect(try store.list(filter).isEmpty, "keys match whole, not by prefix")
    }

    /// An acknowledged job survives the process dying without a checkpoint: the WAL file is
    /// replayed when the database is opened again.
    @Test func reopenAfterUncleanStopKeepsCommittedJobs() async throws {
        let store = try fileStore()
        let id = try await store.enqueue(try order("1")).jobID
        // The files as a killed process leaves them: the main file and its WAL, no checkpoint.
        let mainOnly = TempDir(), withWAL = TempDir()
        try FileManager.default.copyItem(atPath: dir.file("q.sqlite3"), toPath: mainOnly.file("q.sqlite3"))
        for suffix in ["", "-wal"] {
            try FileManager.default.copyItem(atPath: dir.file("q.sqlite3") + suffix, toPath: withWAL.file("q.sqlite3") + suffix)
        }
        await #expect(try SQLiteStore(path: mainOnly.file("q.sqlite3")).job(id) == nil, "the commit is only in the WAL")
        let reopened = try SQLiteStore(path: withWAL.file("q.sqlite3"))
        await #expect(try reopened.job(id)?.externalID == "1")
        #expect(try reopened.writerSynchronous() == 2)
    }
}
