import AmoSyncCore
import AmoSyncServer
import Foundation
import ShopFakes

/// `amosync-bench reconcile`: a WooCommerce shop with `orders` orders amosync never received (the
/// fake, in this process, answering in `shopLatencyMs`): the first pass queues them all; the
/// second finds them unchanged. Each pass: shop requests, seconds, jobs queued, resident memory.
/// A pass never calls amoCRM (what it queues is delivered later by the worker): no amoCRM
/// client is configured here at all.
func reconcileBench(orders: Int, shopLatencyMs: Int) async throws -> String {
    let woo = FakeWooShop(consumerKey: "ck_bench", consumerSecret: "cs_bench")
    await woo.seed(orders, modifiedAt: Date().addingTimeInterval(-3600))
    let (shop, shopTask) = try await startShop(woo: woo, latencyMs: shopLatencyMs)
    defer { shopTask.cancel() }
    let dir = NSTemporaryDirectory() + "amosync-bench-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    var json = benchConfig(fakePort: 9, token: "unused", dir: dir, batchSize: 50, concurrency: 4)
    guard case .object(var root) = json else { throw BenchError(description: "bench config") }
    root["sources"] = [
        "woo": [
            "type": "woocommerce", "secret": "bench-woo-secret", "reconcile_minutes": 10,
            "api": [
                "url": "https://shop.example", "base_url": .string("http://127.0.0.1:\(shop)"), "consumer_key": "ck_bench",
                "consumer_secret": "cs_bench",
            ],
        ]
    ]
    json = .object(root)
    let config = try Config.parse(json.canonicalData)
    let store = try SQLiteStore(path: config.databasePath)
    let operations = ShopOperations(config: config)
    var lines = [
        "reconcile: \(orders) WooCommerce orders, shop \(shopLatencyMs) ms an answer; resident memory with the fake shop "
            + String(format: "(%.0f MB before the first pass)", residentMegabytes()),
        "| pass | listed | queued | already here | shop requests | requests per 100 orders | seconds | RSS after | amoCRM requests |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name in ["first (all new)", "second (all unchanged)"] {
        let requests = await woo.counts.listRequests + woo.counts.webhookReads
        let started = Date()
        let report = try await operations.reconcile("woo", since: nil, store: store) { _ in }
        let seconds = Date().timeIntervalSince(started)
        let used = await woo.counts.listRequests + woo.counts.webhookReads - requests
        lines.append(
            String(
                format: "| %@ | %d | %d | %d | %d | %.2f | %.1f | %.0f MB | 0 |", name, report.listed, report.found, report.known, used,
                Double(used) * 100 / Double(max(1, report.listed)), seconds, residentMegabytes()))
    }
    return lines.joined(separator: "\n")
}

/// Resident memory of this process now (`VmRSS`), in MB.
func residentMegabytes() -> Double {
    let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
    let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
    return (Double(line.split(separator: " ").dropFirst().first ?? "0") ?? 0) / 1024
}
