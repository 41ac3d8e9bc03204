import Foundation
import GRDB
import Testing
@testable import AmoSyncCore

/// A clock tests can move.
final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var current = Date(timeIntervalSince1970: 1_800_000_000)
    var now: Date { lock.withLock { current } }
    func advance(_ seconds: Double) { lock.withLock { current = current.addingTimeInterval(seconds) } }
}

@Suite struct JobStoreTests {
    let dir = TempDir()
    let clock = TestClock()
    let mapper = Mapper(config: MappingTests.config())

    func store() throws -> JobStore { try JobStore(path: dir.file("q.sqlite3"), now: { [clock] in clock.now }) }

    func order(_ id: String, status: String = "new") throws -> JobStore.NewJob {
        let input: JSONValue = ["id": .string(id), "customer": ["phone": "89125550102"], "total": 10, "status": .string(status)]
        return .versioned(try mapper.mapOrder(input), input: input)
    }

    @Test func writerIsSynchronousFullInWALMode() throws {
        let store = try store()
        #expect(try store.writerSynchronous() == 2)
        let mode = try store.database.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") }
        #expect(mode == "wal")
    }

    @Test func schemaRejectsImpossibleRows() throws {
        let store = try store()
        #expect(throws: DatabaseError.self) {
            try store.database.write { db in
                try db.execute(sql: """
                    INSERT INTO jobs (kind, source, external_id, dedupe_key, state, input, plan, run_at, created_at, updated_at)
                    VALUES ('order', 'orders', '1', 'k', 'lost', '{}', '{}', 0, 0, 0)
                    """)
            }
        }
    }

    @Test func sameContentIsADuplicateAndChangedContentAnUpdate() throws {
        let store = try store()
        let first = try store.enqueue(try order("1"))
        let again = try store.enqueue(try order("1"))
        let changed = try store.enqueue(try order("1", status: "paid"))
        let other = try store.enqueue(try order("2"))
        #expect(first.kind == .order && !first.duplicate)
        #expect(again == JobStore.EnqueueResult(jobID: first.jobID, kind: .order, duplicate: true, state: .queued))
        #expect(changed.kind == .orderUpdate && !changed.duplicate)
        #expect(other.kind == .order)
        #expect(try store.stats().counts[.queued] == 3)
    }

    @Test func claimLeasesCountsAttemptsAndReclaimsExpiredLeases() throws {
        let store = try store()
        _ = try store.enqueue([try order("1"), try order("2")])
        let claimed = try store.claimBatch(limit: 10, leaseFor: 60)
        #expect(claimed.map(\.attempts) == [1, 1])
        #expect(claimed.allSatisfy { $0.state == .running })
        #expect(try store.claimBatch(limit: 10, leaseFor: 60).isEmpty, "leased jobs are not claimed twice")
        clock.advance(61)  // the process died: leases expire
        let again = try store.claimBatch(limit: 10, leaseFor: 60)
        #expect(again.map(\.id) == claimed.map(\.id))
        #expect(again.map(\.attempts) == [2, 2])
    }

    @Test func updatesWaitForTheirOrdersFirstJob() throws {
        let store = try store()
        _ = try store.enqueue([try order("1"), try order("1", status: "paid")])
        let first = try store.claimBatch(limit: 10, leaseFor: 60)
        #expect(first.map(\.kind) == [.order])
        #expect(try store.claimBatch(limit: 10, leaseFor: 60).isEmpty)
        try store.finish([(first[0], .done, Attempt(at: clock.now, durationMs: 1, outcome: .done))])
        #expect(try store.claimBatch(limit: 10, leaseFor: 60).map(\.kind) == [.orderUpdate])
    }

    @Test func retrySchedulingFailureAndAdminRetry() throws {
        let store = try store()
        let id = try store.enqueue(try order("1")).jobID
        var job = try #require(try store.claimBatch(limit: 1, leaseFor: 60).first)
        try store.finish([(job, .retry(at: clock.now.addingTimeInterval(30), refundAttempt: false),
                           Attempt(at: clock.now, durationMs: 5, outcome: .retry, httpStatus: 503, error: "HTTP 503"))])
        #expect(try store.claimBatch(limit: 1, leaseFor: 60).isEmpty, "not due yet")
        #expect(try store.nextRunAt() == clock.now.addingTimeInterval(30))
        clock.advance(31)
        job = try #require(try store.claimBatch(limit: 1, leaseFor: 60).first)
        #expect(job.attempts == 2)
        try store.finish([(job, .failed, Attempt(at: clock.now, durationMs: 5, outcome: .failed, httpStatus: 400, error: "bad",
                                                 validationErrors: [ValidationIssue(path: "status_id", code: "NotSupportedChoice", detail: "x")]))])
        let failed = try #require(try store.job(id))
        #expect(failed.state == .failed)
        #expect(failed.lastError == "bad")
        let attempts = try store.attempts(of: id)
        #expect(attempts.map(\.outcome) == [.retry, .failed])
        #expect(attempts.last?.validationErrors.first?.path == "status_id")
        let changes = try store.retry(ids: [id, 999], remap: nil)
        #expect(changes.map(\.to) == [.queued, nil])
        #expect(try store.job(id)?.attempts == 0)
        #expect(try store.cancel(ids: [id]).first?.to == .cancelled)
        #expect(try store.cancel(ids: [id]).first?.note == "only queued or failed jobs can be cancelled")
    }

    @Test func purgeDeletesOnlyOldDoneAndCancelledJobs() throws {
        let store = try store()
        let done = try store.enqueue(try order("1")).jobID
        let failed = try store.enqueue(try order("2")).jobID
        let jobs = try store.claimBatch(limit: 2, leaseFor: 60)
        try store.finish([(jobs[0], .done, Attempt(at: clock.now, durationMs: 1, outcome: .done)),
                          (jobs[1], .failed, Attempt(at: clock.now, durationMs: 1, outcome: .failed))])
        #expect(try store.purge(olderThanDays: 1) == 0)
        clock.advance(2 * 86_400)
        #expect(try store.purge(olderThanDays: 1) == 1)
        #expect(try store.job(done) == nil)
        #expect(try store.job(failed)?.state == .failed)
    }

    @Test func releaseRefundsTheAttempt() throws {
        let store = try store()
        let id = try store.enqueue(try order("1")).jobID
        _ = try store.claimBatch(limit: 1, leaseFor: 60)
        try store.release([id])
        let job = try #require(try store.job(id))
        #expect(job.state == .queued)
        #expect(job.attempts == 0)
    }

    @Test func findByPhoneEmailOrOrderID() throws {
        let store = try store()
        _ = try store.enqueue(try order("A-1"))
        var filter = JobStore.Filter()
        for text in ["+79125550102", "A-1"] {
            filter.text = text
            #expect(try store.list(filter).count == 1, "\(text)")
        }
        filter.text = "+7912"
        #expect(try store.list(filter).isEmpty, "keys match whole, not by prefix")
    }

    /// An acknowledged job survives the process dying without a checkpoint: the WAL file is
    /// replayed when the database is opened again.
    @Test func reopenAfterUncleanStopKeepsCommittedJobs() throws {
        let store = try store()
        let id = try store.enqueue(try order("1")).jobID
        let copy = TempDir()
        for suffix in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: dir.file("q.sqlite3") + suffix) {
            try FileManager.default.copyItem(atPath: dir.file("q.sqlite3") + suffix, toPath: copy.file("q.sqlite3") + suffix)
        }
        #expect(FileManager.default.fileExists(atPath: copy.file("q.sqlite3-wal")), "the commit is still only in the WAL")
        let reopened = try JobStore(path: copy.file("q.sqlite3"))
        #expect(try reopened.job(id)?.externalID == "1")
        #expect(try reopened.writerSynchronous() == 2)
    }
}
