import AmoSyncCore
import AmoSyncServer
import Foundation
import ShopFakes

/// `amosync-bench shopify`: managers win `moves` Shopify orders within a second; each lead's
/// webhook becomes an `orderClose` (one order read, 1 point, and one mutation, 10 points) against
/// the fake Shopify shop's cost bucket (`bucket` points, `restore` a second). Reported: how long
/// until the last order is closed, against the least the bucket allows, and the `THROTTLED`
/// answers on the way. The orders are taken after the reconcile pass at start is through, unless
/// `duringFirstPass` (then the pass finds orders whose webhooks are still on their way).
func shopifyBench(
    moves: Int, bucket: Int, restore: Int, latencyMs: Int, shopLatencyMs: Int, duringFirstPass: Bool
) async throws
    -> String
{
    let fake = try startFake(latencyMs: latencyMs, existing: 0)
    defer { fake.stop() }
    let shopify = FakeShopifyShop(
        accessToken: "shpat_bench", clientID: "bench", clientSecret: "bench-secret", maximum: Double(bucket),
        restoreRate: Double(restore))
    let (shop, shopTask) = try await startShop(shopify: shopify, latencyMs: shopLatencyMs)
    defer { shopTask.cancel() }
    let source: JSONValue = [
        "type": "shopify", "secret": "bench-shopify-secret",
        "api": ["shop": "example.myshopify.com", "base_url": .string("http://127.0.0.1:\(shop)"), "access_token": "shpat_bench"],
        "status_back": ["142": "close"],
    ]
    let loop = try await LoopDaemon.start(fake: fake, statusMap: ["paid": 32_392_161], sources: ["shop": source])
    defer { loop.removeDirectory() }
    let daemon = loop.daemon
    await shopify.subscribe(URL(string: "http://127.0.0.1:\(daemon.port)/v1/hooks/shop")!, secret: "bench-shopify-secret")
    var passes = JobFilter()
    (passes.kinds, passes.states) = ([.reconcile], [.done])
    while !duringFirstPass, try await daemon.store.list(passes).isEmpty { try await Task.sleep(for: .milliseconds(20)) }

    var leads: [Int: Int] = [:]
    for index in 0..<moves {
        let id = await shopify.checkout(name: "Customer \(index)", phone: phone(index), email: "c\(index)@example.org")
        leads[id] = 0
    }
    while leads.values.contains(0) {
        for (id, lead) in leads where lead == 0 {
            let number = await shopify.order(id)?["order_number"]?.intValue ?? 0
            leads[id] = try await daemon.store.leadID(source: "shop", externalID: "\(number)") ?? 0
        }
        try await Task.sleep(for: .milliseconds(50))
    }
    let amoBefore = try await fakeRequests(fake)
    let before = await shopify.counts
    let started = Date()
    for lead in leads.values { try await fakeControl(fake, "/__fake/leads/\(lead)/move", ["status_id": 142]) }
    var closed = 0
    while closed < moves, Date().timeIntervalSince(started) < 600 {
        closed = 0
        for id in leads.keys where await shopify.order(id)?["closed_at"] != .null { closed += 1 }
        try await Task.sleep(for: .milliseconds(20))
    }
    let seconds = Date().timeIntervalSince(started)
    let counts = await shopify.counts
    let points = Double(moves) * (ShopifyCost.read + ShopifyCost.mutation)
    let least = max(0, points - Double(bucket)) / Double(restore)
    let requests = counts.graphQL - before.graphQL
    await daemon.stop()
    return [
        "shopify: \(moves) orders won within a second; bucket \(bucket) points, restore \(restore)/s; "
            + (duringFirstPass ? "orders taken during the first reconcile pass; " : "")
            + "fake amoCRM \(latencyMs) ms, Shopify \(shopLatencyMs) ms",
        "| closed | last closed after | least the bucket allows | points/s | THROTTLED answers | Shopify requests per move "
            + "| amoCRM requests per move |",
        "|---|---|---|---|---|---|---|",
        String(
            format: "| %d | %.1f s | %.1f s | %.0f | %d | %.2f | %.2f |", closed, seconds, least, points / seconds,
            counts.throttled - before.throttled, Double(requests) / Double(moves),
            Double(try await fakeRequests(fake) - amoBefore) / Double(moves)),
    ].joined(separator: "\n")
}

/// What Shopify charges the daemon's queries (`ShopifyClient`): an order read, a mutation.
enum ShopifyCost {
    static let read = 1.0
    static let mutation = 10.0
}
