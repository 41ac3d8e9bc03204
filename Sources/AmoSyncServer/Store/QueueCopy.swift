import Foundation
import GRDB

/// `amosync migrate-queue`: the whole SQLite queue copied into an empty PostgreSQL database in
/// one PostgreSQL transaction — every job with its id, state, plan and progress, every attempt,
/// the contact index, the ledger of status writes, the products index and the shared state —
/// so that a failure leaves the target as empty as it was. Ids keep their numbers (`jobs show
/// 123` names the same job after the move); the sequences go on after the largest. Jobs a dead
/// daemon left `running` are queued again, their attempt given back.
package struct QueueCopy: Sendable {
    /// Tables in the order their rows may reference each other, and the (unique) key to page by;
    /// `contact_keys` has no rowid.
    package static let tables = [
        ("jobs", "id"), ("job_attempts", "id"), ("meta", "key"), ("contact_index", "contact_id"),
        ("contact_keys", "key || ' ' || contact_id"),
        ("status_writes", "rowid"), ("product_index", "rowid"),
    ]
    static let page = 1000

    package struct Counts: Sendable, Equatable {
        package var rows: [String: Int] = [:]
    }

    package enum Refusal: Error, CustomStringConvertible {
        case notEmpty(String)
        case daemonRunning(Int)
        package var description: String {
            switch self {
            case .notEmpty(let name):
                "the database \(name) already holds jobs: migrate-queue only fills an empty one (nothing is merged)"
            case .daemonRunning(let count):
                "\(count) job(s) are being delivered right now (leases held): stop amosync first (systemctl stop amosync)"
            }
        }
    }

    let source: SQLiteStore
    let target: PostgresStore

    package init(source: SQLiteStore, target: PostgresStore) {
        self.source = source
        self.target = target
    }

    /// Copies everything; the rows of each table, as counted in both databases afterwards.
    package func run(progress: @escaping @Sendable (String) -> Void = { _ in }) async throws -> Counts {
        let now = Date().timeIntervalSince1970
        let leased = try await source.database.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM jobs WHERE state = 'running' AND lease_until > ?", arguments: [now]) ?? 0
        }
        guard leased == 0 else { throw Refusal.daemonRunning(leased) }
        let reader = source.database
        let name = target.name
        let counts = try await target.write { session in
            guard try session.query("SELECT 1 FROM jobs LIMIT 1").isEmpty else { throw Refusal.notEmpty(name) }
            var counts = Counts()
            for (table, key) in Self.tables {
                var after: DatabaseValue = .null
                var copied = 0
                while true {
                    let (columns, rows, last) = try reader.read { db in try Self.page(table, key: key, after: after, db: db) }
                    guard !rows.isEmpty else { break }
                    let placeholders = columns.indices.map { "$\($0 + 1)" }.joined(separator: ", ")
                    let insert = "INSERT INTO \(table) (\(columns.joined(separator: ", "))) VALUES (\(placeholders))"
                    for row in rows { try session.query(insert, row) }
                    copied += rows.count
                    after = last
                    progress("\(table): \(copied) rows")
                }
                counts.rows[table] = copied
            }
            try session.execute(
                """
                UPDATE jobs SET state = 'queued', lease_until = NULL, lease_owner = NULL, attempts = GREATEST(0, attempts - 1)
                WHERE state = 'running';
                SELECT setval('jobs_id_seq', GREATEST((SELECT MAX(id) FROM jobs), 1));
                SELECT setval('job_attempts_id_seq', GREATEST((SELECT MAX(id) FROM job_attempts), 1));
                """)
            for (table, _) in Self.tables {
                let stored = try session.query("SELECT COUNT(*) AS n FROM \(table)").first?.int("n") ?? -1
                guard stored == counts.rows[table] else {
                    throw PGError(kind: .query, message: "\(table): \(counts.rows[table] ?? 0) rows read but \(stored) stored")
                }
            }
            return counts
        }
        return counts
    }

    /// Up to `page` rows of `table` after `key` = `after`: the column names, the values as text
    /// (PostgreSQL casts them to the column's type), and the last key.
    static func page(_ table: String, key: String, after: DatabaseValue, db: Database) throws -> ([String], [[String?]], DatabaseValue) {
        let condition = after.isNull ? "" : "WHERE \(key) > ?"
        let rows = try Row.fetchAll(
            db, sql: "SELECT \(key) AS page_key, * FROM \(table) \(condition) ORDER BY \(key) LIMIT \(page)",
            arguments: after.isNull ? [] : [after])
        guard let first = rows.first else { return ([], [], after) }
        let columns = Array(first.columnNames.dropFirst().filter { $0 != "rowid" })
        let values = rows.map { row in
            columns.map { column -> String? in
                switch row[column] as DatabaseValue? {
                case .none: return nil
                case .some(let value):
                    switch value.storage {
                    case .null: return nil
                    case .int64(let number): return String(number)
                    case .double(let number): return "\(number)"
                    case .string(let text): return text
                    case .blob(let data): return String(decoding: data, as: UTF8.self)
                    }
                }
            }
        }
        return (columns, values, rows.last?["page_key"] ?? after)
    }
}
