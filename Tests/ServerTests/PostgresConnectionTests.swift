import Foundation
import Testing
@testable import AmoSyncServer
@testable import TestSupport

/// The PostgreSQL connection layer against a real server of the test's own.
@Suite struct PostgresConnectionTests {
    @Test func valuesGoAsParametersAndComeBackAsTheyWere() async throws {
        let connection = try await PGConnection.connect(try await PostgresServer.database())
        #expect(try await connection.serverVersion >= 130_000)
        let tricky = "Robert'); DROP TABLE jobs;-- «Ёлка» \u{1F384}"
        let rows = try await connection.read { session in
            try session.execute("CREATE TABLE jobs (id bigserial PRIMARY KEY, body text, run_at double precision, done boolean)")
            try session.query(
                "INSERT INTO jobs (body, run_at, done) VALUES ($1, $2, $3), ($4, $5, $6)", [tricky, "1.5", "t", nil, "2", "f"])
            return try session.query("SELECT id, body, run_at, done FROM jobs ORDER BY id")
        }
        #expect(rows.count == 2)
        #expect(rows[0]["body"] == tricky)
        #expect(rows[0].double("run_at") == 1.5)
        #expect(rows[0].bool("done") == true)
        #expect(rows[1]["body"] == nil, "NULL stays NULL")
        #expect(rows[1].int64("id") == 2)
        connection.close()
    }

    @Test func aTransactionThatThrowsLeavesNothingAndAConstraintNamesItself() async throws {
        let connection = try await PGConnection.connect(try await PostgresServer.database())
        try await connection.read { try $0.execute("CREATE TABLE keys (key text PRIMARY KEY)") }
        struct Abort: Error {}
        await #expect(throws: Abort.self) {
            try await connection.write { session in
                try session.query("INSERT INTO keys VALUES ($1)", ["a"])
                throw Abort()
            }
        }
        let error = await #expect(throws: PGError.self) {
            try await connection.write { session in
                try session.query("INSERT INTO keys VALUES ($1)", ["b"])
                try session.query("INSERT INTO keys VALUES ($1)", ["b"])
            }
        }
        #expect(error?.isUniqueViolation == true)
        #expect(error?.kind == .query)
        #expect(try await connection.read { try $0.query("SELECT count(*) AS n FROM keys") }.first?.int("n") == 0)
    }

    @Test func twoConnectionsClaimingWithSkipLockedNeverTakeTheSameRow() async throws {
        let url = try await PostgresServer.database()
        let setup = try await PGConnection.connect(url)
        try await setup.read { session in
            try session.execute("CREATE TABLE jobs (id bigserial PRIMARY KEY, state text NOT NULL DEFAULT 'queued', owner text)")
            try session.execute("INSERT INTO jobs (state) SELECT 'queued' FROM generate_series(1, 400)")
        }
        let claim =
            "UPDATE jobs SET state = 'running', owner = $1 WHERE id IN "
            + "(SELECT id FROM jobs WHERE state = 'queued' ORDER BY id LIMIT 50 FOR UPDATE SKIP LOCKED) RETURNING id"
        let lanes = try await withThrowingTaskGroup(of: [Int].self) { group in
            for lane in ["a", "b"] {
                group.addTask {
                    let connection = try await PGConnection.connect(url)
                    var taken: [Int] = []
                    while true {
                        let batch = try await connection.write { try $0.query(claim, [lane]) }.compactMap { $0.int("id") }
                        if batch.isEmpty { return taken }
                        taken += batch
                    }
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(lanes.map(\.count).reduce(0, +) == 400)
        #expect(Set(lanes[0]).isDisjoint(with: lanes[1]))
    }

    @Test func migrationsRunOnceWhenThreeNodesStartTogether() async throws {
        let url = try await PostgresServer.database()
        let migrator = PGMigrator([
            .init("v1-jobs", "CREATE TABLE jobs (id bigserial PRIMARY KEY, body text NOT NULL)"),
            .init("v2-index", "CREATE INDEX jobs_body ON jobs (body)"),
        ])
        let applied = try await withThrowingTaskGroup(of: [String].self) { group in
            for _ in 0..<3 {
                group.addTask { try await migrator.migrate(try await PGConnection.connect(url)) }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(applied.filter { !$0.isEmpty } == [["v1-jobs", "v2-index"]], "one node applied both, the others none")
        let again = try await migrator.migrate(try await PGConnection.connect(url))
        #expect(again.isEmpty)
    }

    @Test func aServerThatIsGoneIsAConnectionErrorWithoutThePassword() async throws {
        let server = try await PostgresServer.start()
        let url = "postgres://amosync:s3cret-pass@127.0.0.1:\(server.port)/postgres"
        let connection = try await PGConnection.connect(url)
        server.stop()
        let error = await #expect(throws: PGError.self) { try await connection.read { try $0.query("SELECT 1") } }
        #expect(error?.kind == .connection)
        #expect(error.map { !"\($0)".contains("s3cret") } == true)
        let refused = await #expect(throws: PGError.self) { _ = try await PGConnection.connect(url) }
        #expect(refused?.kind == .connection)
        #expect(refused.map { "\($0)".contains("127.0.0.1:\(server.port)/postgres") && !"\($0)".contains("s3cret") } == true)
    }

    /// TLS is what the URL asks for: `sslmode=require` against a server without TLS is refused
    /// (never silently sent in the clear); `sslmode=disable` to the same server works.
    @Test func aURLThatRequiresTLSIsNeverAnsweredInTheClear() async throws {
        let url = try await PostgresServer.database()
        let refused = await #expect(throws: PGError.self) { _ = try await PGConnection.connect(url + "?sslmode=require") }
        #expect(refused?.kind == .connection)
        #expect(refused.map { "\($0)".localizedCaseInsensitiveContains("SSL") } == true, "\(String(describing: refused))")
        let plain = try await PGConnection.connect(url + "?sslmode=disable")
        #expect(try await plain.read { try $0.query("SELECT 1 AS one").first?.int("one") } == 1)
        plain.close()
    }

    /// A server with TLS: `sslmode=require` gets an encrypted session (the server says so), and
    /// the whole store works over it.
    @Test func aURLThatRequiresTLSGetsIt() async throws {
        let server = try await PostgresServer.start(tls: true)
        let url = server.url() + "?sslmode=require"
        let connection = try await PGConnection.connect(url)
        let encrypted = try await connection.read {
            try $0.query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").first?.bool("ssl")
        }
        #expect(encrypted == true)
        connection.close()
        let store = try await PostgresStore.open(url: url)
        try await store.setMeta("over", "tls")
        #expect(try await store.meta("over") == "tls")
        server.stop()
    }
}
