import Foundation
import GRDB
import AmoSyncCore

/// The store on one SQLite file in WAL mode with `synchronous=FULL`, so that an acknowledged
/// job survives a crash of the process or the machine. Every method is one transaction; admin
/// commands open the same file while the daemon runs. It owns its database (GRDB's AppDatabase
/// pattern): every SQL statement of the project is in this folder, each concern in a file of
/// its own (`+Queue`, `+Claim`, `+Progress`, `+Admin`, `+ContactIndex`, `+Budget`, `+Meta`).
/// `database` is internal only so that tests can inject faults (a corrupted row, a read-only
/// connection, another process's budget rows).
package final class SQLiteStore: Store {
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

    /// A write that completes once started, even if the task that asked is cancelled: what a
    /// request did in amoCRM is recorded at shutdown too. It runs on GRDB's writer queue, not
    /// on a Swift concurrency thread.
    func settle<T: Sendable>(_ updates: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            database.asyncWrite(updates) { _, result in continuation.resume(with: result) }
        }
    }

    /// The condition every write of a worker adds: the job still runs under this claim.
    static let held = "state = 'running' AND lease_owner IS :owner"
}
