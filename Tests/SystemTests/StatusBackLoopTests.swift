import Foundation
import Testing
@testable import AmoSyncCore
@testable import AmoSyncServer
@testable import AmoCRMFake
@testable import ShopFakes
@testable import TestSupport
@testable import TestFixtures

/// The loop back to the shop with every part real: the fake amoCRM posts its webhooks over
/// HTTP, the fake WooCommerce shop posts its `order.updated` over HTTP and takes REST writes,
/// and managers and shop staff move the same orders at once.
@Suite(.serialized) struct StatusBackLoopTests {
    static let hookKey = "amocrm-hook-key-0123456789abcdefghij"
    static let pipeline = 3_177_727
    /// amoCRM stage ↔ WooCommerce status, both ways; 32392162 ("Отправлен") has no entry.
    static let forward = ["processing": 32_392_159, "on-hold": 32_392_161, "completed": 142, "cancelled": 143]
    static let back = Dictionary(uniqueKeysWithValues: forward.map { ($1, $0) })
    static let stages = [32_392_159, 32_392_161, 142, 143, 32_392_162]

    /// A deterministic sequence, so that a failure can be replayed.
    struct Steps: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 11
        }
    }

    @Test func managersAndShopStaffMovingTheSameOrdersConvergeWithoutPingPong() async throws {
        let fake = try await RunningFake.start(overHTTP: true)
        defer { fake.stop() }
        let shop = try await RunningShop.start()
        let running = try await RunningDaemon.start(fake: fake) { json in
            json.set("amocrm.webhook", ["public_url": "http://127.0.0.1:1", "key": .string(Self.hookKey)])
            json.set("orders.status_map", .object(Self.forward.mapValues { .number(JSONNumber($0)) }))
            json.set("sources", ["woo": shop.source(statusBack: Dictionary(uniqueKeysWithValues: Self.back.map { ("\($0)", $1) }))])
        }
        _ = await fake.state.createWebhook(
            ["destination": .string("http://127.0.0.1:\(running.port)/v1/amocrm/events/\(Self.hookKey)"), "settings": ["status_lead"]])
        await shop.woo.subscribe(URL(string: "http://127.0.0.1:\(running.port)/v1/hooks/woo")!, secret: RunningShop.webhookSecret)

        var orders: [Int] = []
        for index in 0..<12 {
            orders.append(
                await shop.woo.checkout(name: "Customer \(index)", phone: "+7 912 555-\(1000 + index)", email: "c\(index)@example.org"))
        }
        var leads: [Int: Int] = [:]
        try await eventually(timeout: .seconds(60)) {
            for order in orders where leads[order] == nil {
                leads[order] = try await running.store.leadID(source: "woo", externalID: "\(order)")
            }
            return leads.count == orders.count
        }
        try await quiet(fake, shop, running)
        let writesBefore = await shop.woo.counts.apiStatusWrites
        #expect(writesBefore == 0, "new orders in the stage their status maps to need no write")

        // Managers and staff at once: 240 moves, paced 15 ms apart (about 4 s).
        var steps = Steps(state: 20_261_203)
        var managerMoves = 0
        var staffMoves = 0
        for _ in 0..<240 {
            let order = orders[Int(steps.next() % UInt64(orders.count))]
            if steps.next() % 2 == 0 {
                let stage = Self.stages[Int(steps.next() % UInt64(Self.stages.count))]
                let before = await fake.state.leads[leads[order]!]?.statusID
                if before != stage, await fake.state.move(lead: leads[order]!, to: stage, pipeline: Self.pipeline) { managerMoves += 1 }
            } else {
                let status = Self.forward.keys.sorted()[Int(steps.next() % UInt64(Self.forward.count))]
                if await shop.woo.status(of: order) != status {
                    await shop.woo.staffSetStatus(order, status)
                    staffMoves += 1
                }
            }
            try await Task.sleep(for: .milliseconds(15))
        }
        let movesEnded = ContinuousClock.now
        try await quiet(fake, shop, running, timeout: .seconds(120))
        let converged = ContinuousClock.now - movesEnded
        // A webhook amoCRM could not deliver within its 2 s (a loaded machine) is lost, as with
        // the real one: the event poll repairs it. Only those are queued.
        let lost = await fake.state.hookDeliveries.failed
        let repaired = try await running.daemon.events.pass()
        #expect(repaired <= lost, "the poll queues only moves no webhook brought")
        try await quiet(fake, shop, running, timeout: .seconds(120))

        var agreeing = 0
        for order in orders {
            let stage = try #require(await fake.state.leads[leads[order]!]?.statusID)
            let status = await shop.woo.status(of: order)
            if let wanted = Self.back[stage] {
                if status == wanted { agreeing += 1 }
                let history = await shop.woo.history[order] ?? []
                #expect(
                    status == wanted,
                    "order \(order): lead at stage \(stage) wants \(wanted), the shop has \(status ?? "nothing"): \(history)")
            } else {
                // An unmapped stage leaves the order alone: whatever it is, it is a status the shop chose.
                #expect(status.map { Self.forward[$0] != nil } == true)
            }
        }
        let writes = await shop.woo.counts.apiStatusWrites
        #expect(writes <= managerMoves, "shop writes \(writes) must not exceed manager moves \(managerMoves)")
        let failed = try await running.store.stats().counts[JobState.failed] ?? 0
        #expect(failed == 0)
        print(
            "status_back loop: \(managerMoves) manager moves, \(staffMoves) staff changes, \(writes) shop writes, "
                + "\(agreeing)/\(orders.count) orders at the mapped status, quiet \(converged) after the last move, "
                + "\(lost) webhooks lost, \(repaired) moves repaired by the event poll")

        // Nothing changes: an event poll finds every move already brought by a webhook, and nothing is written.
        #expect(try await running.daemon.events.pass() == 0, "every move has been read")
        try await quiet(fake, shop, running)
        #expect(await shop.woo.counts.apiStatusWrites == writes)

        // A lost webhook: the event log repairs it on the next poll.
        let order = orders[0]
        let target = await shop.woo.status(of: order) == "completed" ? 143 : 142
        _ = await fake.state.control(FakeRequest(method: "POST", path: "/__fake/webhooks/drop", body: Data("{\"count\": 1}".utf8)))
        #expect(await fake.state.move(lead: leads[order]!, to: target, pipeline: Self.pipeline))
        try await quiet(fake, shop, running)
        #expect(await fake.state.hookDeliveries.dropped == 1)
        #expect(await shop.woo.status(of: order) != Self.back[target], "no webhook came: the shop is not told yet")
        #expect(try await running.daemon.events.pass() == 1)
        try await quiet(fake, shop, running)
        #expect(await shop.woo.status(of: order) == Self.back[target])
        #expect(await shop.woo.notes(of: order).last?.contains("stage \(target)") == true, "the order note names the stage")
        await running.stop()
    }

    /// Nothing in flight anywhere: no webhook on its way from either side, no job waiting.
    func quiet(_ fake: RunningFake, _ shop: RunningShop, _ running: RunningDaemon, timeout: Duration = .seconds(60)) async throws {
        try await eventually(timeout: timeout) {
            let hooks = await fake.state.hookDeliveries.inFlight
            let deliveries = await shop.woo.pendingDeliveries
            let stats = try await running.store.stats()
            return hooks == 0 && deliveries == 0 && stats.counts[.queued, default: 0] == 0 && stats.counts[.running, default: 0] == 0
        }
    }
}
