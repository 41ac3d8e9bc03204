import AmoSyncCore
import Foundation

/// Opens the queue the config names: the SQLite file (`database.path`) or PostgreSQL
/// (`database.url`), migrated.
package enum StoreOpener {
    package static func open(_ config: Config, now: @escaping @Sendable () -> Date = Date.init) async throws -> any Store {
        if let url = config.databaseURL { return try await PostgresStore.open(url: url, now: now) }
        return try SQLiteStore(path: config.databasePath, now: now)
    }

    /// The config key that names the database, for messages.
    package static func key(_ config: Config) -> String { config.databaseURL == nil ? "database.path" : "database.url" }
}
