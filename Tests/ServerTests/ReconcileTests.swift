import Foundation
import Testing
@testable import AmoSyncCore
@testable import AmoSyncServer
@testable import AmoCRMFake
@testable import ShopFakes
@testable import TestSupport
@testable import TestFixtures

/// Orders a shop took that no webhook brought: amosync stopped while the fake WooCommerce shop
/// took orders (and switched its webhook off after 5 failed deliveries, as WooCommerce does),
/// found again by reconciliation over the shop's REST API.
@Suite struct ReconcileTests {
    @Test func ordersTakenWhileAmosyncWasDownAreDeliveredAtStartOnceEachAndFixTurnsTheWebhookOn() async throws {
        let fake = try await RunningFake.start(overHTTP: true)
        defer { fake.stop() }
        let shop = try await RunningShop.start()
        let dir = TempDir()
        let configure: (inout JSONValue) -> Void = { json in
            json.set("sources", ["woo": shop.source(statusBack: [:], reconcileMinutes: 10)])
            json.set("orders.status_map", ["processing": 32_392_159, "completed": 142])
        }
        let first = try await RunningDaemon.start(fake: fake, dir: dir, configure: configure)
        await shop.woo.subscribe(URL(string: "http://127.0.0.1:\(first.port)/v1/hooks/woo")!, secret: RunningShop.webhookSecret)
        var orders: [Int] = []
        for index in 0..<2 {
            orders.append(await shop.woo.checkout(name: "Early \(index)", phone: "+7 912 555-20\(index)0", email: "e\(index)@example.org"))
        }
        try await eventually {
            let pending = await shop.woo.pendingDeliveries
            let lead = try await first.store.leadID(source: "woo", externalID: "\(orders[1])")
            return pending == 0 && lead != nil
        }
        try await first.waitIdle()
        await first.stop()

        // amosync is down: 7 orders and a status change. WooCommerce gives up on the order.created
        // webhook after 5 failed deliveries and never sends the rest.
        for index in 0..<7 {
            orders.append(await shop.woo.checkout(name: "Late \(index)", phone: "+7 912 555-30\(index)0", email: "l\(index)@example.org"))
        }
        await shop.woo.staffSetStatus(orders[0], "completed")
        try await eventually { await shop.woo.pendingDeliveries == 0 }
        #expect(await shop.woo.hookStatus("order.created") == "disabled")
        #expect(await shop.woo.counts.webhooksFailed == 6)

        // Started again: the first pass runs at once and queues exactly what is missing.
        let requestsBefore = await fake.state.requestStats().total
        let second = try await RunningDaemon.start(fake: fake, dir: dir, configure: configure)
        try await eventually(timeout: .seconds(30)) {
            let jobs = try await second.store.list(JobFilter()).filter { $0.kind == .reconcile && $0.state == .done }
            return jobs.count == 2
        }
        try await second.waitIdle()
        for order in orders { #expect(try await second.store.leadID(source: "woo", externalID: "\(order)") != nil, "order \(order)") }
        #expect(await fake.state.leads.count == 9, "every order once: none twice")
        #expect(
            await fake.state.leads[try #require(try await second.store.leadID(source: "woo", externalID: "\(orders[0])"))]?.statusID == 142)
        let pass = try #require(try await second.store.list(JobFilter()).filter { $0.kind == .reconcile }.max { $0.id < $1.id })
        let summary = pass.warnings.joined()
        #expect(summary.contains("7 new and 1 status change(s) queued, 1 already here"), "\(summary)")
        #expect(summary.contains("order.created disabled"), "\(summary)")
        let metrics = second.daemon.metrics.registry.emitToString()
        #expect(metrics.contains(#"amosync_reconcile_found_total{source="woo"} 8"#), "\(metrics)")
        #expect(metrics.contains(#"amosync_shop_webhook_up{source="woo",topic="order.created"} 0"#))
        #expect(metrics.contains(#"amosync_shop_webhook_up{source="woo",topic="order.updated"} 1"#))
        // Per order: the lead and contact batches, nothing for the orders amosync already had.
        #expect(await fake.state.requestStats().total - requestsBefore <= 8 * 3)

        // `check --fix`: the disabled webhook is turned on again, and says so.
        let operations = ShopOperations(config: second.daemon.config)
        let before = await operations.checkWebhooks(fix: false)
        #expect(before.contains { $0.problem && $0.text.contains("(order.created) is disabled") }, "\(before)")
        let fixed = await operations.checkWebhooks(fix: true)
        #expect(fixed.contains { !$0.problem && $0.text.contains("(order.created) was disabled, now active") }, "\(fixed)")
        #expect(!fixed.contains { $0.problem }, "\(fixed)")
        #expect(await shop.woo.hookStatus("order.created") == "active")
        await shop.woo.deleteHook("order.updated")
        let missing = await operations.checkWebhooks(fix: true)
        #expect(missing.contains { $0.problem && $0.text.contains("no webhook for order.updated points at /v1/hooks/woo") })

        // Another pass finds nothing: no job, no amoCRM request.
        let jobs = try await second.store.list(JobFilter()).count
        let requests = await fake.state.requestStats().total
        let lister = WooCommerceClient(source: "woo", api: second.daemon.config.sources["woo"]!.api!, transport: URLSessionTransport())
        let again = try await Reconciler(
            source: "woo", config: second.daemon.config, catalog: lister, store: second.store, clock: SystemTime()
        )
        .pass()
        #expect(again.found == 0)
        #expect(again.known == again.listed - again.unmappable && again.listed >= 1)
        #expect(try await second.store.list(JobFilter()).count == jobs)
        #expect(await fake.state.requestStats().total == requests)
        await second.stop()
    }

    /// 1,000 orders here (the fast loop); the issue's 10,000 in `SystemTests`.
    @Test func aPassOverUnchangedOrdersQueuesNothingAndAsksTheShopOnceAHundred() async throws {
        try await UnchangedShop.reconcile(count: 1_000)
    }

    @Test func theScheduleQueuesOnePassAPeriodAndNoneWhileOneWaits() async throws {
        let clock = ManualTime()
        let dir = TempDir()
        var json = testConfig(fake: StaticFake(), dir: dir)
        json.set(
            "sources",
            [
                "woo": [
                    "type": "woocommerce", "secret": "s", "reconcile_minutes": 10,
                    "api": ["url": "https://shop.example", "consumer_key": "ck", "consumer_secret": "cs"],
                ],
                "tilda": ["type": "tilda", "form": "callback"],
            ])
        json.set("forms", ["callback": [:]])
        let config = try Config.parse(json.canonicalData, environment: [:])
        let store = try SQLiteStore(path: dir.file("queue.sqlite3")) { clock.date }
        let scheduler = ReconcileScheduler(store: store, rules: Live(config), doorbell: Doorbell(clock: clock), clock: clock)
        #expect(try await scheduler.queueDue(owed: ["woo"]) == ["woo"])
        #expect(try await scheduler.queueDue(owed: ["woo"]) == [], "one pass waits already")
        let waiting = try await store.list(JobFilter()).map(\.id)
        _ = try await store.cancel(ids: waiting)
        #expect(try await scheduler.queueDue() == [], "not due before reconcile_minutes")
        clock.advance(.seconds(599))
        #expect(try await scheduler.queueDue() == [])
        clock.advance(.seconds(1))
        #expect(try await scheduler.queueDue() == ["woo"])
        #expect(try await store.list(JobFilter()).filter { $0.kind == .reconcile }.count == 2)
    }

    /// A pass that takes long (the shop lists slowly) does not hold up a stage change claimed
    /// meanwhile: the order is written while the pass still waits for the shop.
    @Test func aSlowPassDoesNotHoldUpAManagersDecision() async throws {
        let fake = try await RunningFake.start(overHTTP: true)
        defer { fake.stop() }
        let shop = try await RunningShop.start()
        let daemon = try await RunningDaemon.start(fake: fake) { json in
            json.set("amocrm.webhook", ["public_url": "http://127.0.0.1:1", "key": "amocrm-hook-key-0123456789abcdefghij"])
            json.set("orders.status_map", ["processing": 32_392_159, "completed": 142])
            json.set("sources", ["woo": shop.source(statusBack: ["142": "completed"], reconcileMinutes: 10)])
        }
        _ = await fake.state.createWebhook(
            [
                "destination": .string("http://127.0.0.1:\(daemon.port)/v1/amocrm/events/amocrm-hook-key-0123456789abcdefghij"),
                "settings": ["status_lead"],
            ])
        await shop.woo.subscribe(URL(string: "http://127.0.0.1:\(daemon.port)/v1/hooks/woo")!, secret: RunningShop.webhookSecret)
        let order = await shop.woo.checkout(name: "Anna", phone: "+7 912 555-01-02", email: "anna@example.org")
        try await eventually { try await daemon.store.leadID(source: "woo", externalID: "\(order)") != nil }
        try await daemon.waitIdle()
        let lead = try #require(try await daemon.store.leadID(source: "woo", externalID: "\(order)"))

        // A pass begins and waits for the shop's list.
        await shop.woo.holdLists()
        _ = try await daemon.store.enqueue([.reconcile(source: "woo", slot: "held")])
        try await eventually { await shop.woo.listsWaiting == 1 }
        #expect(await fake.state.move(lead: lead, to: 142, pipeline: 3_177_727))
        try await eventually { await shop.woo.status(of: order) == "completed" }
        let pass = try #require(try await daemon.store.list(JobFilter()).first { $0.externalID == "reconcile:held" })
        #expect(pass.state == .running, "the pass still waits for the shop")
        await shop.woo.releaseLists()
        try await daemon.waitIdle()
        #expect(try await daemon.store.job(pass.id)?.state == .done)
        await daemon.stop()
    }

    /// A shop that drops `include` answers the read of whole orders with others: the asked ones
    /// are then read one by one, none lost, none taken that was not asked for.
    @Test func ordersAListDidNotGiveAreReadOneByOne() async throws {
        let shop = try await RunningShop.start()
        await shop.woo.seed(150, modifiedAt: Date().addingTimeInterval(-600))
        await shop.woo.setIgnoresInclude(true)
        let dir = TempDir()
        let (reconciler, store) = try shop.reconcilerOverAnEmptyQueue(in: dir)
        let outcome = try await reconciler.pass()
        #expect(outcome.new == 150 && outcome.unmappable == 0, "\(outcome)")
        let queued = try await store.list(
            {
                var filter = JobFilter(); filter.limit = 500; return filter
            }())
        #expect(Set(queued.map(\.externalID)).count == 150)
    }

    /// A webhook that goes down is logged once, not at every pass; coming back is logged too.
    @Test func aWebhookChangeIsLoggedOnceAndItsGaugeFollows() async throws {
        let capture = LogCapture()
        let store = try SQLiteStore(path: TempDir().file("queue.sqlite3"))
        let metrics = DaemonMetrics()
        let runner = ReconcileRunner(
            store: store, shops: ShopAPIs(transport: URLSessionTransport(), clock: SystemTime()),
            doorbell: Doorbell(clock: SystemTime()), metrics: metrics, logger: capture.logger(), clock: SystemTime())
        func health(_ status: String) -> WebhookHealth {
            WebhookHealth.of(
                [
                    ShopWebhook(id: "7", topic: "order.created", status: status, deliveryURL: "https://a.example/v1/hooks/woo"),
                    ShopWebhook(id: "8", topic: "order.updated", status: "active", deliveryURL: "https://a.example/v1/hooks/woo"),
                ], source: "woo", type: "woocommerce")
        }
        runner.note(health("active"), source: "woo")
        #expect(capture.all.isEmpty, "all is well at the first look: nothing to say")
        runner.note(health("disabled"), source: "woo")
        runner.note(health("disabled"), source: "woo")
        runner.note(health("disabled"), source: "woo")
        #expect(capture.all.filter { $0.hasPrefix("warning") }.count == 1, "\(capture.all)")
        #expect(capture.all.last?.contains("status=disabled") == true && capture.all.last?.contains("topic=order.created") == true)
        #expect(metrics.registry.emitToString().contains(#"amosync_shop_webhook_up{source="woo",topic="order.created"} 0"#))
        runner.note(health("active"), source: "woo")
        #expect(capture.all.count == 2)
        #expect(capture.all.last?.hasPrefix("info the shop's webhook is active again") == true, "\(capture.all)")
        #expect(metrics.registry.emitToString().contains(#"amosync_shop_webhook_up{source="woo",topic="order.created"} 1"#))
    }
}
