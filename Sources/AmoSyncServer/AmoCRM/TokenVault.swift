import Foundation

/// Where the OAuth pair lives, and the lock every process refreshing it shares: `tokens_file`
/// beside a SQLite queue (one server), the queue's database on PostgreSQL (every node, so that
/// whichever node refreshes, the others use the new pair and never the spent refresh token).
package protocol TokenVault: Sendable {
    /// For messages: the file's path, or the database.
    var place: String { get }
    func load() async throws -> TokenSet?
    /// Changes whenever a pair is written (by this process or another one).
    func stamp() async -> String?
    /// Stores a new pair before it is ever used.
    func save(_ tokens: TokenSet) async throws
    /// Waits for the lock shared by every process using this vault.
    func lock(clock: any TimeSource) async throws -> VaultLock
}

/// A held vault lock; `release()` gives it back (a crashed holder's lock goes with its process
/// or its database session).
package struct VaultLock: Sendable {
    let release: @Sendable () async -> Void
}

extension TokenFile: TokenVault {
    package var place: String { path }
    package func load() async throws -> TokenSet? { try read() }
    package func stamp() async -> String? { modified().map { "\($0.timeIntervalSince1970)" } }
    package func save(_ tokens: TokenSet) async throws { try write(tokens) }
    package func lock(clock: any TimeSource) async throws -> VaultLock {
        let fd: Int32 = try await lock(clock: clock)
        return VaultLock { unlock(fd) }
    }
}

/// The pair in the queue's database (PostgreSQL): one row, its version bumped by every write,
/// refreshes serialized across nodes by a lock the database holds for the refreshing session.
package struct DatabaseTokens: TokenVault {
    let store: any SharedTokenStore

    package init(store: any SharedTokenStore) { self.store = store }

    package var place: String { "the database (\(store.name))" }

    package func load() async throws -> TokenSet? {
        guard let text = try await store.storedTokens() else { return nil }
        return try TokenSet.decode(Data(text.utf8))
    }

    package func stamp() async -> String? { (try? await store.tokensVersion()).flatMap { $0.map(String.init) } }

    package func save(_ tokens: TokenSet) async throws { try await store.saveTokens(String(decoding: try tokens.encoded(), as: UTF8.self)) }

    package func lock(clock: any TimeSource) async throws -> VaultLock {
        let release = try await store.lockTokens()
        return VaultLock(release: release)
    }
}
