import Foundation
import Testing
@testable import AmoSyncServer
@testable import TestSupport
@testable import TestFixtures
@testable import AmoSyncCore

/// The same rules, checked against each store: SQLite (a file) and PostgreSQL (a database of the
/// test's own on the run's server). The queue's own rules are in `QueueStoreTests`, also run
/// on both.
@Suite struct StoreContractTests {
    enum Engine: String, CaseIterable, CustomTestStringConvertible {
        case sqlite, postgres
        var testDescription: String { rawValue }
    }

    typealias Shared = Store

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

    @Test(arguments: Engine.allCases)
    func theContactIndexKeepsTheNewerCopyAndFindsByAnyKey(engine: Engine) async throws {
        let (store, keep) = try await Self.store(engine)
        try await store.index([IndexedContact(id: 7, updatedAt: 200, data: "new", keys: ["p:79125550102", "e:a@b.ru"])])
        try await store.index([IndexedContact(id: 7, updatedAt: 100, data: "old", keys: ["p:70000000000"])])
        try await store.storeIndexPage(
            [IndexedContact(id: 8, updatedAt: 50, data: "eight", keys: ["e:a@b.ru"])],
            position: IndexPosition(cursor: 8, page: 3, complete: true, origin: 1, etaAt: nil))
        #expect(try await store.indexedContacts(withAnyOf: ["p:79125550102"]) == ["new"])
        #expect(try await store.indexedContacts(withAnyOf: ["p:70000000000"]).isEmpty, "the older copy did not replace the keys")
        #expect(try await store.indexedContacts(withAnyOf: ["e:a@b.ru"]).sorted() == ["eight", "new"])
        #expect(try await store.indexPosition() == IndexPosition(cursor: 8, page: 3, complete: true, origin: 1, etaAt: nil))
        try await store.forgetIndexedContact(7)
        #expect(try await store.indexedContacts(withAnyOf: ["e:a@b.ru"]) == ["eight"], "its keys went with it")
        #expect(try await store.indexedContactCount() == 1)
        withExtendedLifetime(keep) {}
    }

    @Test(arguments: Engine.allCases)
    func theLedgerKnowsTheNewerOfItsWriteAndTheShopsStatus(engine: Engine) async throws {
        let clock = TestClock()
        let (store, keep) = try await Self.store(engine, now: { clock.now })
        let mapper = Mapper(config: MappingFixtures.config())
        func version(_ status: String) throws -> NewJob {
            let input: JSONValue = ["id": "501", "customer": ["phone": "89125550102"], "total": 10, "status": .string(status)]
            return .versioned(try mapper.mapOrder(input), input: input)
        }
        let first = try await store.enqueue(try version("new"))
        #expect(try await store.knownStatus(source: "orders", externalID: "501") == "new")
        #expect(try await store.knownOrders(source: "orders", externalIDs: ["501", "502"]) == ["501": "new"])
        clock.advance(1)
        let write = StatusWrite(source: "orders", externalID: "501", status: "paid", stageID: 3, leadID: 9, at: clock.now)
        try await store.recordStatusWrite(write)
        #expect(try await store.statusWrite(source: "orders", externalID: "501") == write)
        #expect(try await store.knownStatus(source: "orders", externalID: "501") == "paid", "our write is newer")
        clock.advance(1)
        let update = try await store.enqueue(try version("shipped"))
        #expect(try await store.knownStatus(source: "orders", externalID: "501") == "shipped", "the shop spoke last")
        let job = try #require(try await store.job(update.jobID))
        let context = try #require(try await store.updateContext([job])[update.jobID])
        #expect(context.previousStatus == "new" && context.written == write && context.leadID == nil)
        #expect(try await store.hasPendingJob(kind: .order, source: "orders") == true)
        try await store.forgetStatusWrite(source: "orders", externalID: "501")
        #expect(try await store.statusWrite(source: "orders", externalID: "501") == nil)
        #expect(first.jobID < update.jobID)
        withExtendedLifetime(keep) {}
    }
}
