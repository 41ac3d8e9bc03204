import AmoCRMFake
import AmoSyncCore
import AmoSyncServer
import Foundation
import ShopFakes

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// `amosync-bench statusback`: a manager's move in amoCRM to the WooCommerce order's new status.
/// The fake amoCRM (a child process, `latency` per request, 7 requests a second) posts its webhook
/// to the daemon; the fake shop (in this process, `shopLatency` per request) takes the write. Moves
/// go one every `intervalMs` to orders at random; the time is from the move to the shop holding
/// the status. Then `missed` moves whose webhooks are dropped: what the event poll
/// (`events_poll_minutes: 1`) costs until it repairs them.
func statusBackBench(orders: Int, moves: Int, missed: Int, intervalMs: Int, latencyMs: Int, shopLatencyMs: Int) async throws -> String {
    let fake = try startFake(latencyMs: latencyMs, existing: 0)
    defer { fake.stop() }
    let woo = FakeWooShop(consumerKey: "ck_bench", consumerSecret: "cs_bench")
    let (shop, shopTask) = try await startShop(woo: woo, latencyMs: shopLatencyMs)
    defer { shopTask.cancel() }

    let forward = ["processing": 32_392_159, "on-hold": 32_392_161, "completed": 142, "cancelled": 143]
    let source: JSONValue = [
        "type": "woocommerce", "secret": "bench-woo-secret",
        "api": [
            "url": "https://shop.example", "base_url": .string("http://127.0.0.1:\(shop)"), "consumer_key": "ck_bench",
            "consumer_secret": "cs_bench",
        ],
        "status_back": .object(Dictionary(uniqueKeysWithValues: forward.map { ("\($1)", JSONValue.string($0)) })),
    ]
    let loop = try await LoopDaemon.start(fake: fake, statusMap: forward, sources: ["woo": source])
    defer { loop.removeDirectory() }
    let daemon = loop.daemon
    await woo.subscribe(URL(string: "http://127.0.0.1:\(daemon.port)/v1/hooks/woo")!, secret: "bench-woo-secret")

    var ids: [Int] = []
    for index in 0..<orders {
        ids.append(await woo.checkout(name: "Customer \(index)", phone: phone(index), email: "c\(index)@example.org"))
    }
    var leads: [Int: Int] = [:]
    while leads.count < ids.count {
        for id in ids where leads[id] == nil { leads[id] = try await daemon.store.leadID(source: "woo", externalID: "\(id)") }
        try await Task.sleep(for: .milliseconds(50))
    }
    let requestsBefore = try await fakeRequests(fake)

    /// Moves the lead of an order picked by `pick` to a stage whose status differs from the
    /// order's; returns (order, status, when).
    var generator = SystemRandomNumberGenerator()
    func move(among candidates: [Int]) async throws -> (order: Int, status: String, at: Double) {
        let order = candidates.randomElement(using: &generator)!
        let current = await woo.status(of: order) ?? "processing"
        let status = forward.keys.filter { $0 != current }.sorted().randomElement(using: &generator)!
        let at = Date().timeIntervalSince1970
        try await fakeControl(fake, "/__fake/leads/\(leads[order]!)/move", ["status_id": .number(JSONNumber(forward[status]!))])
        return (order, status, at)
    }
    /// Seconds from each move to the shop holding its status (polled every 10 ms, at most `limit`).
    func latencies(_ made: [(order: Int, status: String, at: Double)], limit: Double) async throws -> [Double] {
        var result: [Double] = []
        for entry in made {
            let deadline = Date().addingTimeInterval(limit)
            while Date() < deadline {
                let history = await woo.history[entry.order] ?? []
                if let hit = history.compactMap({ line -> Double? in
                    let parts = line.split(separator: "@")
                    guard parts.count == 2, parts[0] == entry.status, let at = Double(parts[1]), at >= entry.at else { return nil }
                    return at
                }).first {
                    result.append(hit - entry.at)
                    break
                }
                try await Task.sleep(for: .milliseconds(10))
            }
        }
        return result.sorted()
    }

    var made: [(order: Int, status: String, at: Double)] = []
    var idle = ids
    for _ in 0..<moves {
        // Each order moved once before any is moved again, so that each move is measured alone.
        if idle.isEmpty { idle = ids }
        let entry = try await move(among: idle)
        idle.removeAll { $0 == entry.order }
        made.append(entry)
        try await Task.sleep(for: .milliseconds(intervalMs))
    }
    let delivered = try await latencies(made, limit: 60)
    let requests = try await fakeRequests(fake) - requestsBefore
    let writes = await woo.counts.apiStatusWrites
    var lines = [
        "statusback: \(orders) orders, \(moves) manager moves \(intervalMs) ms apart, "
            + "fake amoCRM \(latencyMs) ms, shop \(shopLatencyMs) ms",
        "| moves | reached the shop | p50 | p90 | max | shop writes | amoCRM requests per move |",
        "|---|---|---|---|---|---|---|",
        String(
            format: "| %d | %d | %.2f s | %.2f s | %.2f s | %d | %.2f |", moves, delivered.count, percentile(delivered, 0.5),
            percentile(delivered, 0.9), delivered.last ?? 0, writes, Double(requests) / Double(max(1, moves))),
    ]
    if missed > 0 {
        try await fakeControl(fake, "/__fake/webhooks/drop", ["count": .number(JSONNumber(missed))])
        let before = try await fakeRequests(fake)
        var lost: [(order: Int, status: String, at: Double)] = []
        var fresh = ids
        for _ in 0..<missed {
            let entry = try await move(among: fresh)
            fresh.removeAll { $0 == entry.order }
            lost.append(entry)
        }
        let repaired = try await latencies(lost, limit: 150)
        lines.append(
            String(
                format: "missed webhooks: %d moves, %d repaired by the event poll (every 1 min), after p50 %.1f s, max %.1f s; "
                    + "amoCRM requests meanwhile %d", missed, repaired.count, percentile(repaired, 0.5), repaired.last ?? 0,
                try await fakeRequests(fake) - before))
    }
    // Stopped before the process ends: a daemon still sending at exit meets torn-down libraries.
    await daemon.stop()
    return lines.joined(separator: "\n")
}

func fakeRequests(_ fake: FakeAmoProcess) async throws -> Int {
    let (body, _) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(fake.port)/__fake/summary")!)
    return try JSONValue.parse(body)["requests"]?["total"]?.intValue ?? 0
}

func fakeControl(_ fake: FakeAmoProcess, _ path: String, _ body: JSONValue) async throws {
    var request = URLRequest(url: URL(string: "http://127.0.0.1:\(fake.port)\(path)")!)
    request.httpMethod = "POST"
    request.httpBody = body.canonicalData
    let (answer, response) = try await URLSession.shared.data(for: request)
    guard (response as? HTTPURLResponse)?.statusCode == 200 else {
        throw BenchError(description: "\(path): \(String(decoding: answer, as: UTF8.self))")
    }
}

/// A daemon with amoCRM's webhook registered (as `amosync amocrm webhook install` does, with the
/// daemon's real port), `status_map` and the given shop sources, in a directory of its own.
struct LoopDaemon {
    let daemon: BenchDaemon
    let dir: String
    let config: Config

    /// Another daemon on the same database and config (the first one stopped): a restart.
    func restarted() async throws -> LoopDaemon {
        LoopDaemon(daemon: try await BenchDaemon.start(config), dir: dir, config: config)
    }

    static func start(fake: FakeAmoProcess, statusMap: [String: Int], sources: JSONValue) async throws -> LoopDaemon {
        let dir = NSTemporaryDirectory() + "amosync-bench-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var json = benchConfig(fakePort: fake.port, token: fake.token, dir: dir, batchSize: 50, concurrency: 4)
        guard case .object(var root) = json, case .object(var amocrm)? = root["amocrm"], case .object(var orders)? = root["orders"]
        else { throw BenchError(description: "bench config") }
        amocrm["subdomain"] = "example"  // the fake's account
        amocrm["webhook"] = ["public_url": "http://127.0.0.1:1", "key": "bench-hook-key-0123456789abcdefghijkl"]
        amocrm["events_poll_minutes"] = 1
        orders["status_map"] = .object(statusMap.mapValues { .number(JSONNumber($0)) })
        root["amocrm"] = .object(amocrm)
        root["orders"] = .object(orders)
        root["sources"] = sources
        json = .object(root)
        let config = try Config.parse(json.canonicalData)
        let daemon = try await BenchDaemon.start(config)
        var hookConfig = config
        hookConfig.amocrm.webhook?.publicURL = "http://127.0.0.1:\(daemon.port)"
        try await AmoHook(config: hookConfig, client: daemon.daemon.client).install()
        return LoopDaemon(daemon: daemon, dir: dir, config: config)
    }

    func removeDirectory() { try? FileManager.default.removeItem(atPath: dir) }
}

/// The fake shops' server on a loopback port, in this process: its port and its task.
func startShop(woo: FakeWooShop? = nil, shopify: FakeShopifyShop? = nil, latencyMs: Int) async throws -> (Int, Task<Void, any Error>) {
    let (ports, port) = AsyncStream.makeStream(of: Int.self)
    let app = FakeShopServer.application(woo: woo, shopify: shopify, latencyMs: latencyMs, logger: quiet()) { port.yield($0) }
    let task = Task { try await app.runService(gracefulShutdownSignals: []) }
    var iterator = ports.makeAsyncIterator()
    guard let bound = await iterator.next() else { throw BenchError(description: "the fake shop did not listen") }
    return (bound, task)
}
