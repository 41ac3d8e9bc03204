import Foundation
import Testing
@testable import AmoSyncCore
@testable import AmoSyncServer
@testable import TestSupport
@testable import TestFixtures

/// Moving to PostgreSQL and checking it, as an operator does: `amosync migrate-queue` and
/// `amosync check`'s database lines. (In the PostgreSQL test group: `ClusterTests…`.)
extension ClusterTests {
    @Test func migrateQueueMovesEveryJobWithItsIdAndRefusesAFullDatabase() async throws {
        let dir = TempDir()
        let json = testConfig(fake: StaticFake(), dir: dir)
        let path = dir.file("config.json")
        try json.canonicalData.write(to: URL(fileURLWithPath: path))
        let sqlite = try SQLiteStore(path: dir.file("queue.sqlite3"))
        let mapper = Mapper(config: try Config.parse(json.canonicalData, environment: [:]))
        func order(_ id: String, status: String = "new") throws -> NewJob {
            let input = sampleOrder(id: id, extra: ["status": .string(status)])
            return .versioned(try mapper.mapOrder(input), input: input)
        }
        _ = try await sqlite.enqueue([try order("M-1"), try order("M-2"), try order("M-3"), try order("M-1", status: "paid")])
        var claimed = try await sqlite.claimBatch(limit: 2, leaseFor: 60)
        claimed[0].progress.leadID = 9001
        try await sqlite.finish([
            (claimed[0], .done, Attempt(at: Date(), durationMs: 5, outcome: .done)),
            (claimed[1], .failed, Attempt(at: Date(), durationMs: 7, outcome: .failed, httpStatus: 400, error: "refused")),
        ])
        try await sqlite.index([IndexedContact(id: 77, updatedAt: 10, data: "{\"id\":77}", keys: ["p:79125550102"])])
        let write = StatusWrite(source: "orders", externalID: "M-1", status: "paid", stageID: 3, leadID: 9001, at: Date())
        try await sqlite.recordStatusWrite(write)
        try await sqlite.setMeta("rotation_turn:orders", "5")
        let url = try await PostgresServer.database()

        // The URL from amosync.env beside the config, as README suggests keeping it.
        try Data("AMOSYNC_DATABASE_URL=\(url)\n".utf8).write(to: URL(fileURLWithPath: dir.file("amosync.env")))
        let run = try await CommandLineTests.amosync(["migrate-queue", "--config", path, "--to", "env:AMOSYNC_DATABASE_URL"])
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.contains("done: 4 jobs, 2 job_attempts"), "\(run.output)")
        let postgres = try await PostgresStore.open(url: url)
        var all = JobFilter()
        all.limit = 100
        let before = try await sqlite.list(all)
        let after = try await postgres.list(all)
        #expect(after.map(\.id) == before.map(\.id), "every job, with its id")
        #expect(after.map(\.state) == before.map(\.state))
        #expect(after.map(\.input) == before.map(\.input))
        #expect(after.map(\.plan.json) == before.map(\.plan.json))
        #expect(try await postgres.attempts(of: claimed[1].id) == (try await sqlite.attempts(of: claimed[1].id)))
        #expect(try await postgres.leadID(source: "orders", externalID: "M-1") == 9001)
        #expect(try await postgres.indexedContacts(withAnyOf: ["p:79125550102"]) == ["{\"id\":77}"])
        #expect(try await postgres.statusWrite(source: "orders", externalID: "M-1")?.status == "paid")
        #expect(try await postgres.takeTurns("orders", count: 1) == 5, "the rotation goes on where it was")
        let next = try await postgres.enqueue(try order("M-4")).jobID
        #expect(next > before.map(\.id).max() ?? 0, "new ids follow the moved ones")

        let again = try await CommandLineTests.amosync(["migrate-queue", "--config", path, "--to", url])
        #expect(again.status == 1)
        #expect(again.output.contains("already holds jobs"), "\(again.output)")
        #expect(!again.output.contains("password"))
    }

    @Test func checkNamesTheDatabaseItsMigrationsSkewAndWhoDelivers() async throws {
        let url = try await PostgresServer.database()
        let fresh = await DatabaseCheck(url: url).run()
        #expect(fresh.contains { !$0.problem && $0.text.contains("reachable, PostgreSQL") })
        #expect(fresh.contains { $0.text.contains("migration(s) not applied yet") })
        #expect(fresh.contains { $0.text.contains("clock skew to the database") }, "this machine and the server share a clock")
        #expect(fresh.filter(\.problem).isEmpty, "\(fresh)")
        let store = try await PostgresStore.open(url: url)
        _ = try await store.holdLease("delivery:https://example.amocrm.ru", node: "node-a:42", seconds: 10)
        let running = await DatabaseCheck(url: url).run()
        #expect(!running.contains { $0.text.contains("not applied") })
        #expect(running.contains { $0.text.contains("delivered by node-a:42") })
        let gone = await DatabaseCheck(url: "postgres://amosync:s3cret-pass@127.0.0.1:1/queue").run()
        #expect(gone.count == 1 && gone[0].problem && gone[0].text.contains("cannot reach postgres://127.0.0.1:1/queue"))
        #expect(!gone[0].text.contains("s3cret-pass"))
    }
}
