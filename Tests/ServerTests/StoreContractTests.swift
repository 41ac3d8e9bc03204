import Foundation
import Testing
@testable import AmoSyncServer
@testable import TestSupport

/// The same rules, checked against each store: SQLite (a file) and PostgreSQL (a server of the
/// test's own). Each store protocol joins here as PostgreSQL gets it.
@Suite struct StoreContractTests {
    enum Engine: String, CaseIterable, CustomTestStringConvertible {
        case sqlite, postgres
        var testDescription: String { rawValue }
    }

    typealias Shared = MetaStore & BudgetStore & SalesStore

    /// A fresh store of the engine, and what keeps it alive (the folder, the server).
    static func store(
        _ engine: Engine, now: @escaping @Sendable () -> Date = Date.init
    ) async throws -> (store: any Shared, keep: AnyObject) {
        switch engine {
        case .sqlite:
            let dir = TempDir()
            return (try SQLiteStore(path: dir.file("queue.sqlite3"), now: now), dir)
        case .postgres:
            let url = try await PostgresServer.database()
            return (try await PostgresStore.open(url: url, now: now), url as NSString)
        }
    }

    @Test(arguments: Engine.allCases)
    func metaValuesAreSetReplacedAndRemoved(engine: Engine) async throws {
        let (store, keep) = try await Self.store(engine)
        #expect(try await store.meta("k") == nil)
        try await store.setMeta("k", "one")
        try await store.setMeta("k", "two")
        #expect(try await store.meta("k") == "two")
        try await store.setMeta("k", nil)
        #expect(try await store.meta("k") == nil)
        try await store.checkWritable()
        withExtendedLifetime(keep) {}
    }

    @Test(arguments: Engine.allCases)
    func anOAuthStateIsGoodOnceAndOnlyBeforeItExpires(engine: Engine) async throws {
        let (store, keep) = try await Self.store(engine)
        try await store.issueOAuthState("state-1", expiresAt: Date().addingTimeInterval(600))
        #expect(try await store.consumeOAuthState("state-2") == false)
        #expect(try await store.consumeOAuthState("state-1") == true)
        #expect(try await store.consumeOAuthState("state-1") == false, "used up")
        try await store.issueOAuthState("state-3", expiresAt: Date().addingTimeInterval(-1))
        #expect(try await store.consumeOAuthState("state-3") == false, "expired")
        withExtendedLifetime(keep) {}
    }

    @Test(arguments: Engine.allCases)
    func turnsTakenInParallelAreNeverTheSame(engine: Engine) async throws {
        let (store, keep) = try await Self.store(engine)
        let firsts = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<10 { group.addTask { try await store.takeTurns("orders", count: 3) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let turns = firsts.flatMap { $0..<($0 + 3) }
        #expect(turns.sorted() == Array(0..<30))
        #expect(try await store.takeTurns("forms:callback", count: 1) == 0, "each rule set has its own turn")
        withExtendedLifetime(keep) {}
    }

    @Test(arguments: Engine.allCases)
    func theProductsIndexKeepsForgetsAndQuotesSKUs(engine: Engine) async throws {
        let (store, keep) = try await Self.store(engine)
        let odd = #"K-77 "big", 1\2"#
        try await store.recordProducts(catalog: 4255, ["K-77": 1, odd: 2, "M-1": 3])
        try await store.recordProducts(catalog: 4255, ["M-1": 4])
        try await store.recordProducts(catalog: 9, ["K-77": 5])
        #expect(try await store.products(catalog: 4255, skus: ["K-77", odd, "M-1", "none"]) == ["K-77": 1, odd: 2, "M-1": 4])
        try await store.forgetProducts(catalog: 4255, elements: [1, 4])
        #expect(try await store.products(catalog: 4255, skus: ["K-77", odd, "M-1"]) == [odd: 2])
        #expect(try await store.products(catalog: 9, skus: ["K-77"]) == ["K-77": 5])
        withExtendedLifetime(keep) {}
    }

    @Test(arguments: Engine.allCases)
    func theBudgetSeesOtherProcessesRequestsOfTheLastMinute(engine: Engine) async throws {
        let now = Date().timeIntervalSince1970
        let (store, keep) = try await Self.store(engine)
        _ = try await store.recordRequest(pid: 1, at: now - 120)  // forgotten by the next record
        let mine = try await store.recordRequest(pid: 1, at: now - 1)
        _ = try await store.recordRequest(pid: 2, at: now - 0.5)
        let other = try await store.recordRequest(pid: 3, at: now + 5)  // in flight
        try await store.setRequestTime(other, to: now - 0.25)
        let seen = try await store.requests(notOf: 1, since: now - 10).sorted { $0.at < $1.at }
        #expect(seen.map(\.pid) == [2, 3])
        #expect(seen.last?.at == now - 0.25)
        #expect(try await store.requests(notOf: 2, since: now - 300).map(\.pid).sorted() == [1, 3], "the old one is gone")
        #expect(mine > 0)
        withExtendedLifetime(keep) {}
    }
}
