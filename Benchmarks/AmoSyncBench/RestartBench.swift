import AmoSyncCore
import AmoSyncServer
import Foundation
import ShopFakes

/// `amosync-bench restart`: a WooCommerce shop takes `orders` orders while amosync is stopped
/// (its `order.created` webhook fails 5 times and is disabled, as WooCommerce does); amosync
/// starts again. Measured: from the start to the last of those orders in amoCRM (the fake, a
/// child process at `latencyMs`, 7 requests a second), and the requests on each side per order.
func restartBench(orders: Int, latencyMs: Int, shopLatencyMs: Int) async throws -> String {
    let fake = try startFake(latencyMs: latencyMs, existing: 0)
    defer { fake.stop() }
    let woo = FakeWooShop(consumerKey: "ck_bench", consumerSecret: "cs_bench")
    let (shop, shopTask) = try await startShop(woo: woo, latencyMs: shopLatencyMs)
    defer { shopTask.cancel() }
    let source: JSONValue = [
        "type": "woocommerce", "secret": "bench-woo-secret", "reconcile_minutes": 10,
        "api": [
            "url": "https://shop.example", "base_url": .string("http://127.0.0.1:\(shop)"), "consumer_key": "ck_bench",
            "consumer_secret": "cs_bench",
        ],
    ]
    let first = try await LoopDaemon.start(fake: fake, statusMap: [:], sources: ["woo": source])
    defer { first.removeDirectory() }
    await woo.subscribe(URL(string: "http://127.0.0.1:\(first.daemon.port)/v1/hooks/woo")!, secret: "bench-woo-secret")
    await first.daemon.stop()

    var ids: [Int] = []
    for index in 0..<orders {
        ids.append(await woo.checkout(name: "Customer \(index)", phone: phone(index), email: "c\(index)@example.org"))
    }
    while await woo.pendingDeliveries > 0 { try await Task.sleep(for: .milliseconds(10)) }
    let disabled = await woo.hookStatus("order.created") == "disabled"
    let amoBefore = try await fakeRequests(fake)
    let shopBefore = await woo.counts.listRequests + woo.counts.webhookReads
    let started = Date()
    let second = try await first.restarted()
    var missing = Set(ids)
    while !missing.isEmpty, Date().timeIntervalSince(started) < 300 {
        for id in missing where try await second.daemon.store.leadID(source: "woo", externalID: "\(id)") != nil { missing.remove(id) }
        try await Task.sleep(for: .milliseconds(10))
    }
    let seconds = Date().timeIntervalSince(started)
    let shopRequests = await woo.counts.listRequests + woo.counts.webhookReads - shopBefore
    let amoRequests = try await fakeRequests(fake) - amoBefore
    await second.daemon.stop()
    return [
        "restart: \(orders) orders taken while amosync was stopped (order.created webhook disabled: \(disabled)); "
            + "fake amoCRM \(latencyMs) ms, shop \(shopLatencyMs) ms",
        "| orders | in amoCRM | from start to the last | shop requests | per order | amoCRM requests | per order |",
        "|---|---|---|---|---|---|---|",
        String(
            format: "| %d | %d | %.1f s | %d | %.2f | %d | %.2f |", orders, orders - missing.count, seconds, shopRequests,
            Double(shopRequests) / Double(orders), amoRequests, Double(amoRequests) / Double(orders)),
    ].joined(separator: "\n")
}
