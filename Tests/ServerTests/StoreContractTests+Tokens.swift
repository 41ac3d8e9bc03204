import Foundation
import Testing
@testable import AmoSyncCore
@testable import AmoSyncServer
@testable import AmoCRMFake
@testable import TestSupport

/// The OAuth pair in the database, as every node of a PostgreSQL queue shares it.
extension StoreContractTests {
    static func node(_ fake: RunningFake, store: PostgresStore) -> TokenManager {
        TokenManager(
            client: TokenManagerTests.client, vault: DatabaseTokens(store: store), baseURL: fake.baseURL,
            transport: fake.transport(clock: SystemTime()), limiter: RateLimiter(requestsPerSecond: 7), timeout: 5, logger: quietLogger(),
            refreshMargin: 60, referers: RefererPolicy(accountHost: "example.amocrm.ru", followRenamed: false))
    }

    /// Three nodes find their access token expiring at once: one refreshes (the database's lock),
    /// the others wait for it and take the new pair; amoCRM sees one refresh, and the spent
    /// refresh token is never sent again.
    @Test func threeNodesRefreshingAtOnceUseTheRefreshTokenOnce() async throws {
        let fake = try await TokenManagerTests.fake()
        let url = try await PostgresServer.database()
        let stores = try await [PostgresStore.open(url: url), PostgresStore.open(url: url), PostgresStore.open(url: url)]
        let first = Self.node(fake, store: stores[0])
        let pair = try await first.exchange(code: await fake.state.issueCode(), referer: nil)
        // Every node's copy is about to expire: the next request refreshes.
        var expiring = pair
        expiring.expiresAt = Date().addingTimeInterval(30)
        try await DatabaseTokens(store: stores[0]).save(expiring)
        let tokens = try await withThrowingTaskGroup(of: String.self) { group in
            for store in stores { group.addTask { try await Self.node(fake, store: store).accessToken() } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(Set(tokens).count == 1, "every node uses the one new access token")
        #expect(tokens.first != pair.accessToken)
        let stored = try #require(try await DatabaseTokens(store: stores[1]).load())
        #expect(stored.accessToken == tokens.first && stored.refreshToken != pair.refreshToken)
        #expect(await fake.state.oauthStats.refreshes == 1, "one refresh across the nodes")
        #expect(await fake.state.revokedAttempts == 0, "the spent refresh token was never sent again")
    }
}
