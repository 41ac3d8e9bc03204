import Foundation
import Testing
@testable import AmoSyncCore
@testable import AmoSyncServer
@testable import AmoCRMFake
@testable import ShopFakes
@testable import TestSupport
@testable import TestFixtures

/// The manager's decision written to Shopify through its GraphQL Admin API: the fake Shopify shop
/// sends its signed order webhooks to the daemon over HTTP, charges its cost bucket, checks
/// tokens, and the fake amoCRM posts its webhook when a lead moves.
@Suite struct ShopifyWriteBackTests {
    static let hookKey = "amocrm-hook-key-0123456789abcdefghij"
    static let pipeline = 3_177_727
    static let back = ["142": "close", "143": "cancel", "32392162": "tag:sent"]

    /// A daemon taking this shop's webhooks and amoCRM's, its first orders delivered as leads.
    struct Loop {
        let fake: RunningFake
        let shop: RunningShop
        let shopify: FakeShopifyShop
        let daemon: RunningDaemon
        /// Shopify order id → lead.
        var leads: [Int: Int] = [:]

        static func start(
            _ shopify: FakeShopifyShop, orders: Int, clientCredentials: Bool = false,
            clientSecret: String = RunningShop.shopifyClientSecret
        ) async throws -> Loop {
            let fake = try await RunningFake.start(overHTTP: true)
            let shop = try await RunningShop.start(shopify: shopify)
            let daemon = try await RunningDaemon.start(fake: fake) { json in
                json.set("amocrm.webhook", ["public_url": "http://127.0.0.1:1", "key": .string(ShopifyWriteBackTests.hookKey)])
                json.set("orders.status_map", ["paid": 32_392_161, "cancelled": 143])
                json.set(
                    "sources",
                    [
                        "shop": shop.shopifySource(
                            statusBack: ShopifyWriteBackTests.back, clientCredentials: clientCredentials, clientSecret: clientSecret)
                    ])
            }
            _ = await fake.state.createWebhook(
                [
                    "destination": .string("http://127.0.0.1:\(daemon.port)/v1/amocrm/events/\(ShopifyWriteBackTests.hookKey)"),
                    "settings": ["status_lead"],
                ])
            await shopify.subscribe(URL(string: "http://127.0.0.1:\(daemon.port)/v1/hooks/shop")!, secret: RunningShop.webhookSecret)
            var loop = Loop(fake: fake, shop: shop, shopify: shopify, daemon: daemon)
            var ids: [Int] = []
            for index in 0..<orders {
                ids.append(
                    await shopify.checkout(name: "Customer \(index)", phone: "+7 912 555-\(1000 + index)", email: "c\(index)@example.org"))
            }
            try await eventually(timeout: .seconds(30)) {
                for id in ids where loop.leads[id] == nil {
                    let number = await shopify.order(id)?["order_number"]?.intValue ?? 0
                    loop.leads[id] = try await daemon.store.leadID(source: "shop", externalID: "\(number)")
                }
                return loop.leads.count == ids.count
            }
            try await loop.quiet()
            return loop
        }

        /// A manager moves the order's lead; amoCRM's webhook tells the daemon.
        func move(_ order: Int, to stage: Int) async throws {
            #expect(await fake.state.move(lead: leads[order]!, to: stage, pipeline: ShopifyWriteBackTests.pipeline))
        }

        /// No webhook on its way from either side, no job waiting.
        func quiet() async throws {
            try await eventually(timeout: .seconds(30)) {
                let stats = try await daemon.store.stats()
                let hooks = await fake.state.hookDeliveries.inFlight
                let deliveries = await shopify.pendingDeliveries
                return hooks == 0 && deliveries == 0 && stats.counts[.queued, default: 0] == 0 && stats.counts[.running, default: 0] == 0
            }
        }

        func stop() async {
            await daemon.stop()
            fake.stop()
        }
    }

    @Test func closeCancelAndTagReachTheOrdersAndTheirWebhooksMoveNoLead() async throws {
        let shopify = FakeShopifyShop(
            accessToken: RunningShop.shopifyToken, clientID: RunningShop.shopifyClientID, clientSecret: RunningShop.shopifyClientSecret)
        let loop = try await Loop.start(shopify, orders: 3)
        let orders = loop.leads.keys.sorted()
        #expect(await shopify.counts.graphQL == 0, "new orders in the stage their status maps to: Shopify is not asked")

        try await loop.move(orders[0], to: 32_392_162)
        try await loop.move(orders[1], to: 142)
        try await loop.move(orders[2], to: 143)
        try await loop.quiet()
        #expect(await shopify.tags(of: orders[0]) == ["sent"])
        #expect(await shopify.order(orders[1])?["closed_at"] != .null)
        let cancelled = try #require(await shopify.order(orders[2]))
        #expect(cancelled["cancelled_at"] != .null)
        #expect(cancelled["financial_status"] == "refunded", "cancel refunds to the original payment method")
        #expect(await shopify.staffNotes[orders[2]]?.first?.contains("stage 143") == true, "the staff note names the stage")
        let counts = await shopify.counts
        #expect(counts.tagsAdded == 1 && counts.closes == 1 && counts.cancels == 1)
        #expect(counts.graphQL == 6, "one read and one mutation an order")
        #expect(counts.webhooksDelivered >= 3 + 4, "the shop told the daemon of every change it made")

        // Shopify's webhooks for those writes came back: no lead moved. The tagged order still
        // reports `paid` (which leads to 32392161), the cancelled one reports `cancelled` as written.
        let state = loop.fake.state
        #expect(await state.leads[loop.leads[orders[0]]!]?.statusID == 32_392_162)
        #expect(await state.leads[loop.leads[orders[1]]!]?.statusID == 142)
        #expect(await state.leads[loop.leads[orders[2]]!]?.statusID == 143)
        let updates = try await loop.daemon.store.list(JobFilter()).filter { $0.kind == .orderUpdate && $0.state == .done }
        #expect(updates.contains { $0.warnings.contains { $0.contains("amosync wrote") } }, "the cancellation's echo is known as ours")

        // The same stage again (a repeated webhook): Shopify is read, nothing is written.
        try await loop.move(orders[1], to: 32_392_161)
        try await loop.quiet()
        #expect(await shopify.counts.graphQL == 6, "a stage status_back does not name costs no Shopify request")
        try await loop.move(orders[1], to: 142)
        try await loop.quiet()
        #expect(await shopify.counts.graphQL == 7)
        #expect(await shopify.counts.closes == 1)
        let done = try await loop.daemon.store.list(JobFilter()).filter { $0.kind == .statusBack }
        #expect(done.allSatisfy { $0.state == .done })
        #expect(done.contains { $0.warnings.contains { $0.contains("the order is already close") } })

        // An order deleted in the shop: the job fails with what Shopify said, and is not retried.
        await shopify.delete(orders[0])
        try await loop.move(orders[0], to: 142)
        try await loop.quiet()
        let failed = try await loop.daemon.store.list(JobFilter()).filter { $0.kind == .statusBack && $0.state == .failed }
        try #require(failed.count == 1)
        #expect(failed[0].attempts == 1)
        let error = try await loop.daemon.store.attempts(of: failed[0].id).last?.error ?? ""
        #expect(error.contains("the shop has no order gid://shopify/Order/\(orders[0])"), "\(error)")
        await loop.stop()
    }

    @Test func theCostBucketIsWaitedOnAndAThrottledAnswerIsWaitedOut() async throws {
        // A small bucket, spent by another client of the same app when the managers start.
        let shopify = FakeShopifyShop(
            accessToken: RunningShop.shopifyToken, clientID: RunningShop.shopifyClientID, clientSecret: RunningShop.shopifyClientSecret,
            maximum: 30, restoreRate: 20)
        let loop = try await Loop.start(shopify, orders: 4)
        await shopify.drain(to: 0)
        for order in loop.leads.keys { try await loop.move(order, to: 142) }
        try await loop.quiet()
        for order in loop.leads.keys { #expect(await shopify.order(order)?["closed_at"] != .null) }
        let counts = await shopify.counts
        #expect(counts.closes == 4)
        // Only the first query, sent before Shopify had reported the bucket, found it empty; it was
        // sent again once the bucket held its cost.
        #expect(counts.throttled == 1)
        #expect(counts.graphQL == 4 * 2 + 1)
        let jobs = try await loop.daemon.store.list(JobFilter()).filter { $0.kind == .statusBack }
        #expect(jobs.count == 4)
        #expect(jobs.allSatisfy { $0.state == .done && $0.attempts == 1 })

        // Throttled with HTTP 429 (as some report Shopify's answer): waited out the same way, not a failed attempt.
        await shopify.answerThrottledWith(429)
        await shopify.drain(to: 0)
        let order = try #require(loop.leads.keys.sorted().first)
        try await loop.move(order, to: 32_392_162)
        try await loop.quiet()
        #expect(await shopify.tags(of: order) == ["sent"])
        #expect(await shopify.counts.throttled == 2)
        let tagged = try await loop.daemon.store.list(JobFilter()).filter { $0.kind == .statusBack }
        #expect(tagged.count == 5 && tagged.allSatisfy { $0.state == .done && $0.attempts == 1 })
        await loop.stop()
    }

    @Test func aClientCredentialsTokenIsFetchedAgainWhenShopifyNoLongerTakesIt() async throws {
        let shopify = FakeShopifyShop(
            accessToken: nil, clientID: RunningShop.shopifyClientID, clientSecret: RunningShop.shopifyClientSecret)
        let loop = try await Loop.start(shopify, orders: 2, clientCredentials: true)
        let orders = loop.leads.keys.sorted()
        try await loop.move(orders[0], to: 142)
        try await loop.quiet()
        #expect(await shopify.counts.tokensIssued == 1)
        // The token's 24 hours are over: Shopify answers 401, the daemon fetches another.
        await shopify.expireTokens()
        try await loop.move(orders[1], to: 32_392_162)
        try await loop.quiet()
        #expect(await shopify.tags(of: orders[1]) == ["sent"])
        let counts = await shopify.counts
        #expect(counts.tokensIssued == 2)
        #expect(counts.unauthorized == 1)
        let jobs = try await loop.daemon.store.list(JobFilter()).filter { $0.kind == .statusBack }
        #expect(jobs.map(\.state) == [.done, .done])
        await loop.stop()
    }

    @Test func reconciliationFindsOrdersNoWebhookBroughtUnderTheirNumberAndTheirLaterWebhookIsNoSecondLead() async throws {
        let shopify = FakeShopifyShop(
            accessToken: RunningShop.shopifyToken, clientID: RunningShop.shopifyClientID, clientSecret: RunningShop.shopifyClientSecret)
        let loop = try await Loop.start(shopify, orders: 2)
        // Shopify gave up on orders/create (48 hours of failures) and removed it: 3 orders come by no webhook.
        await shopify.removeSubscription("orders/create")
        var missed: [Int] = []
        for index in 0..<3 {
            missed.append(await shopify.checkout(name: "Quiet \(index)", phone: "+7 912 555-40\(index)0", email: "q\(index)@example.org"))
        }
        let operations = ShopOperations(config: loop.daemon.daemon.config)
        let graphQL = await shopify.counts.graphQL
        let report = try await operations.reconcile("shop", since: nil, store: loop.daemon.store) { _ in }
        #expect(report.found == 3 && report.known == 2, "\(report.summary)")
        // One page listed, the 3 orders read whole in one request (5 at most: a query may cost 1,000 points).
        #expect(await shopify.counts.graphQL - graphQL == 2)
        let counts = await shopify.counts
        #expect(counts.maxCostExceeded == 0 && counts.throttled == 0)
        try await loop.quiet()
        for id in missed {
            let number = try #require(await shopify.order(id)?["order_number"]?.intValue)
            let lead = try #require(try await loop.daemon.store.leadID(source: "shop", externalID: "\(number)"), "order \(number)")
            #expect(await loop.fake.state.leads[lead] != nil)
        }
        #expect(await loop.fake.state.leads.count == 5)
        let job = try #require(
            try await loop.daemon.store.list(JobFilter()).first { $0.kind == .order && $0.input["shopify_id"]?.textValue == "\(missed[0])" }
        )
        #expect(job.input["customer"]?["email"] == "q0@example.org", "the order read whole, as its webhook would carry it")
        #expect(job.input["items"]?.arrayValue?.first?["sku"] == "K-77")

        // The shop's later webhook for a reconciled order is an update of it, not a second lead.
        await shopify.staffTag(missed[0], "gift")
        try await loop.quiet()
        #expect(await loop.fake.state.leads.count == 5)
        let again = try await operations.reconcile("shop", since: nil, store: loop.daemon.store) { _ in }
        #expect(again.found == 0 && again.known == 5, "\(again.summary)")
        await loop.stop()
    }

    /// Shopify's genuine order (the documentation's `orders/create` body) in GraphQL's names, read
    /// back as reconciliation reads it: the same order amosync makes of the webhook.
    @Test(arguments: ["shopify/order-1001.json", "shopify/order-presentment-gbp.json", "shopify/pos-order-1002-no-customer.json"])
    func anOrderFoundThroughGraphQLMapsLikeItsWebhook(_ fixture: String) throws {
        let rest = try JSONValue.parse(Fixtures.data(fixture))
        let byWebhook = try ShopifyAdapter.order(rest)
        let byGraphQL = try ShopifyAdapter.order(ShopifyGraphQLOrder.restShape(FakeShopifyShop.node(rest)))
        for key in [
            "id", "shopify_id", "customer", "items", "total", "customer_total", "status", "address", "currency", "comment", "delivery",
            "attributes",
            "payment", "tags",
        ] {
            #expect(byGraphQL[key] == byWebhook[key], "\(fixture): \(key)")
        }
    }

    @Test func checkListsTheSubscriptionsAndFixSubscribesAMissingTopicAgain() async throws {
        let shopify = FakeShopifyShop(
            accessToken: RunningShop.shopifyToken, clientID: RunningShop.shopifyClientID, clientSecret: RunningShop.shopifyClientSecret)
        let shop = try await RunningShop.start(shopify: shopify)
        let url = "https://amosync.shop.example/v1/hooks/shop"
        await shopify.subscribe(URL(string: url)!, secret: RunningShop.webhookSecret)
        // Shopify gave up on a failing delivery after 48 hours and removed the subscription.
        await shopify.removeSubscription("orders/updated")
        var json = testConfig(fake: StaticFake(), dir: TempDir())
        json.set("sources", ["shop": shop.shopifySource(statusBack: [:])])
        let operations = ShopOperations(config: try Config.parse(json.canonicalData, environment: [:]))

        let before = await operations.checkWebhooks(fix: false)
        #expect(before.contains { !$0.problem && $0.text.contains("(orders/create) is active → \(url)") }, "\(before)")
        #expect(before.contains { $0.problem && $0.text.contains("no webhook for orders/updated points at /v1/hooks/shop") }, "\(before)")
        let fixed = await operations.checkWebhooks(fix: true)
        #expect(fixed.contains { $0.text.contains("(orders/updated) was missing, now subscribed to \(url): active") }, "\(fixed)")
        #expect(!fixed.contains { $0.problem }, "\(fixed)")
        #expect(await shopify.subscribed("orders/updated") == [url])
        // Subscribed once: a second --fix finds nothing to do.
        let again = await operations.checkWebhooks(fix: true)
        #expect(!again.contains { $0.text.contains("was missing") })
        #expect(await shopify.subscribed("orders/updated").count == 1)
    }

    @Test func aWrongClientSecretFailsTheJobWithShopifysWordsAndNoSecret() async throws {
        let shopify = FakeShopifyShop(
            accessToken: nil, clientID: RunningShop.shopifyClientID, clientSecret: RunningShop.shopifyClientSecret)
        let wrong = "shpss_wrong0000000000000000000000000"
        let loop = try await Loop.start(shopify, orders: 1, clientCredentials: true, clientSecret: wrong)
        try await loop.move(loop.leads.keys.first!, to: 142)
        try await loop.quiet()
        let job = try #require(try await loop.daemon.store.list(JobFilter()).first { $0.kind == .statusBack })
        #expect(job.state == .failed)
        let attempts = try await loop.daemon.store.attempts(of: job.id)
        let error = try #require(attempts.last?.error)
        #expect(error.contains("invalid_client"))
        #expect(error.contains("sources.shop.api.client_id and client_secret"))
        #expect(!error.contains(wrong))
        #expect(await shopify.counts.graphQL == 0)
        #expect(await shopify.order(loop.leads.keys.first!)?["closed_at"] == .null)
        await loop.stop()
    }
}
