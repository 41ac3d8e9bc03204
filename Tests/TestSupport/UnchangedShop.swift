import Foundation
import Testing
@testable import AmoSyncCore
@testable import AmoSyncServer
@testable import ShopFakes
@testable import TestFixtures

/// Reconciliation over a WooCommerce shop of `count` orders amosync never received, listed once
/// (all new), again (all known: nothing queued, one shop request per 100 orders) and once more from
/// a WooCommerce before 5.8, which ignores `modified_after` (the pass still stops at the first
/// older order).
extension RunningShop {
    /// A `Reconciler` of this WooCommerce shop (source `woo`) over a new, empty queue (in `dir`,
    /// which the caller keeps while it uses the queue).
    func reconcilerOverAnEmptyQueue(in dir: TempDir) throws -> (Reconciler, SQLiteStore) {
        var json = testConfig(fake: StaticFake(), dir: dir)
        json.set("sources", ["woo": source(statusBack: [:], reconcileMinutes: 10)])
        let config = try Config.parse(json.canonicalData, environment: [:])
        let store = try SQLiteStore(path: dir.file("queue.sqlite3"))
        let lister = WooCommerceClient(source: "woo", api: config.sources["woo"]!.api!, transport: URLSessionTransport())
        return (Reconciler(source: "woo", config: config, catalog: lister, store: store, clock: SystemTime()), store)
    }
}

enum UnchangedShop {
    static func reconcile(count: Int) async throws {
        let shop = try await RunningShop.start()
        let modified = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 - 3600).rounded(.down))
        await shop.woo.seed(count, modifiedAt: modified)
        let dir = TempDir()
        let (reconciler, store) = try shop.reconcilerOverAnEmptyQueue(in: dir)

        let first = try await reconciler.pass()
        #expect(first.new == count)
        #expect(first.pages == count / 100)
        #expect(try await store.stats().counts[.queued] == count)
        let cursor = try #require(try await store.meta(Reconciler.cursorKey("woo")).flatMap(Reconciler.parse))
        #expect(cursor == modified, "the cursor is the shop's newest change")

        // Read again from the cursor less the overlap: every order is known.
        let listed = await shop.woo.counts.listRequests
        let second = try await reconciler.pass()
        #expect(second.listed == count)
        #expect(second.found == 0)
        #expect(second.known == count)
        #expect(await shop.woo.counts.listRequests - listed <= count / 100 + 1)
        #expect(try await store.stats().counts[.queued] == count, "nothing more queued")

        // A WooCommerce before 5.8 ignores `modified_after`: the pass still stops at the first order
        // changed before its start instead of reading the shop back to its first order.
        await shop.woo.seed(500, modifiedAt: modified.addingTimeInterval(-2 * 86_400))
        await shop.woo.setIgnoresModifiedAfter(true)
        let before = await shop.woo.counts.listRequests
        let old = try await reconciler.pass()
        #expect(old.listed == count && old.found == 0)
        #expect(await shop.woo.counts.listRequests - before == count / 100 + 1, "the page that reaches the older orders is the last")
    }
}
