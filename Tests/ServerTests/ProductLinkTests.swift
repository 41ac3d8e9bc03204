import Foundation
import Testing
@testable import AmoSyncCore
@testable import AmoSyncServer
@testable import AmoCRMFake
@testable import TestSupport
@testable import TestFixtures

/// Order items as elements of the account's products list, linked to their leads.
@Suite struct ProductLinkTests {
    static func products(_ json: inout JSONValue) {
        json.set("orders.products", ["catalog_id": "auto", "sku_field": "SKU", "create_missing": true])
    }

    /// An order with a known product, a new one in a quantity, and a line without a SKU.
    static func order(_ id: Int, mugs: Int) -> JSONValue {
        var order = sampleOrder(id: "\(id)", phone: "8912100\(String(format: "%04d", id))", email: nil)
        order.set(
            "items",
            [
                ["name": "Kettle", "sku": "K-77", "price": 5100, "quantity": 1],
                ["name": "Mug", "sku": "M-1", "price": 450.5, "quantity": .number(JSONNumber(mugs))],
                ["name": "Gift wrap", "price": 100, "quantity": 1],
            ])
        return order
    }

    @Test func itemsAreLinkedWithTheirQuantitiesAndNoProductIsMadeTwice() async throws {
        let fake = try await RunningFake.start()
        defer { fake.stop() }
        let kettle = await fake.state.seedElement(name: "Kettle", sku: "K-77", price: "5100")
        let dir = TempDir()
        let configure: (inout JSONValue) -> Void = {
            Self.products(&$0)
            $0.set("worker.batch_size", 10)  // two lanes, each with a batch that needs the new mug
        }
        let orders = (1...20).map { Self.order($0, mugs: $0 % 3 + 1) }
        try await BatchDeliveryTests.prequeue(orders, fake: fake, dir: dir, configure: configure)
        let daemon = try await RunningDaemon.start(fake: fake, dir: dir, configure: configure)
        try await daemon.waitIdle()

        let elements = await fake.state.elements
        #expect(elements.count == 2, "the kettle found, the mug made once for both lanes")
        let mug = try #require(elements.first { $0.values[70001] == "M-1" })
        #expect(mug.name == "Mug")
        #expect(mug.values[70003] == "450.5")
        let stats = await fake.state.requestStats()
        #expect(stats.byEndpoint["POST /api/v4/catalogs/{id}/elements"] == 1)
        #expect(stats.byEndpoint["GET /api/v4/catalogs"] == 1, "the list is read once")
        for job in try await daemon.store.list(JobFilter()) {
            #expect(job.state == .done)
            let links = await fake.state.links(of: try #require(job.progress.leadID))
            let id = Int(job.externalID)!
            #expect(links.count == 2, "the line without a SKU stays text")
            #expect(links[kettle]?.quantity == 1)
            #expect(links[mug.id]?.quantity == Double(id % 3 + 1))
            #expect(links.values.allSatisfy { $0.catalogID == 4255 })
        }
        #expect(stats.byEndpoint["POST /api/v4/leads/link"] == 2, "20 links for each batch of 10 orders: one request each")

        // The customer changes the order (five mugs, no kettle): the lead's links follow, nothing is made.
        var changed = Self.order(1, mugs: 5)
        changed.set("items", [["name": "Mug", "sku": "M-1", "price": 450.5, "quantity": 5]])
        changed.set("status", "paid")
        #expect(try await daemon.send("/v1/orders", json: changed).status == 202)
        try await daemon.waitIdle()
        let lead = try #require(try await daemon.store.list(JobFilter()).first { $0.externalID == "1" }?.progress.leadID)
        let after = await fake.state.links(of: lead)
        #expect(after[mug.id]?.quantity == 5)
        #expect(after[kettle] == nil, "the kettle the order no longer has is unlinked")
        #expect(await fake.state.elements.count == 2)
        #expect(await fake.state.requestStats().byEndpoint["POST /api/v4/leads/unlink"] == 1)
        await daemon.stop()
    }

    @Test func anAccountWithoutListsGetsItsOrdersWithTheirTextGoods() async throws {
        let fake = try await RunningFake.start()
        defer { fake.stop() }
        await fake.state.setLists(available: false)
        let daemon = try await RunningDaemon.start(fake: fake, configure: Self.products)
        #expect(try await daemon.send("/v1/orders", json: Self.order(1, mugs: 2)).status == 202)
        try await daemon.waitIdle()
        let job = try #require(try await daemon.store.list(JobFilter()).first)
        #expect(job.state == .done)
        #expect(job.warnings.contains { $0.hasPrefix("products not linked: the account's plan has no lists (HTTP 402") })
        let state = await fake.state.snapshot()
        #expect(state.value(at: "leads.0.custom_fields_values")?.arrayValue?.isEmpty == false, "the goods field is filled")
        #expect(await fake.state.elements.isEmpty)
        #expect(await daemon.daemon.health.accountProblem == nil, "lists missing from the plan do not pause delivery")
        await daemon.stop()
    }

    @Test func aProductDeletedInAmoCRMIsMadeAgainOnTheNextAttempt() async throws {
        let fake = try await RunningFake.start()
        defer { fake.stop() }
        let daemon = try await RunningDaemon.start(fake: fake, configure: Self.products)
        _ = try await daemon.send("/v1/orders", json: Self.order(1, mugs: 1))
        try await daemon.waitIdle()
        let mug = try #require(await fake.state.elements.first { $0.values[70001] == "M-1" })
        await fake.state.deleteElement(mug.id)
        _ = try await daemon.send("/v1/orders", json: Self.order(2, mugs: 3))
        try await daemon.waitIdle()
        let job = try #require(try await daemon.store.list(JobFilter()).first { $0.externalID == "2" })
        #expect(job.state == .done)
        #expect(job.attempts == 2, "the refused link forgot the element; the retry made it again")
        let mugs = await fake.state.elements.filter { $0.values[70001] == "M-1" }
        #expect(mugs.count == 1)
        #expect(await fake.state.links(of: try #require(job.progress.leadID))[mugs[0].id]?.quantity == 3)
        await daemon.stop()
    }
}
