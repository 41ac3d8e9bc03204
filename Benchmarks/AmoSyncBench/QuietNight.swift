import AmoCRMFake
import AmoSyncCore
import AmoSyncServer
import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// A daemon of the benchmark, in this process, with its HTTP intake on a loopback port.
struct BenchDaemon {
    let daemon: Daemon
    let store: SQLiteStore
    let port: Int
    let task: Task<Void, any Error>

    static func start(_ config: Config) async throws -> BenchDaemon {
        let store = try SQLiteStore(path: config.databasePath)
        let (ports, portSink) = AsyncStream.makeStream(of: Int.self)
        let daemon = try await Daemon.build(config: config, logger: quiet(), signals: []) { port in portSink.yield(port) }
        let task = Task { try await daemon.run() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw BenchError(description: "the daemon did not listen") }
        return BenchDaemon(daemon: daemon, store: store, port: port, task: task)
    }

    /// Posts an order; returns its job id.
    func post(_ order: JSONValue) async throws -> Int64 {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/v1/orders")!)
        request.httpMethod = "POST"
        request.setValue("Bearer bench-intake-token-0123456789", forHTTPHeaderField: "Authorization")
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = order.canonicalData
        let (body, _) = try await URLSession.shared.data(for: request)
        guard let id = try JSONValue.parse(body)["job_id"]?.intValue else {
            throw BenchError(description: "intake answered \(String(decoding: body, as: UTF8.self))")
        }
        return Int64(id)
    }

    /// Waits (polling the queue every 2 ms) until the job is delivered.
    func delivered(_ id: Int64) async throws {
        while try await store.job(id)?.state != .done { try await Task.sleep(for: .milliseconds(2)) }
    }

    func stop() async {
        await daemon.shutdown()
        _ = try? await task.value
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

/// CPU time this process has used, in seconds.
func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
}

func percentile(_ sorted: [Double], _ p: Double) -> Double {
    sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)]
}

/// `amosync-bench quiet`: one order at a time, `interval` apart, through HTTP intake; the time
/// from POST to the job being delivered (lead, contact and note created, amoCRM's answers
/// in), the requests per order, then what an idle daemon sends and burns.
func quietNight(refreshSeconds: Double, orders: Int, intervalMs: Int, latencyMs: Int, idleSeconds: Int) async throws -> String {
    let fake = try startFake(latencyMs: latencyMs, existing: 100)
    defer { fake.stop() }
    let (dir, config) = try benchSetup(
        fakePort: fake.port, token: fake.token, batchSize: 50, concurrency: 4,
        contacts: ["index_refresh_seconds": .number(JSONNumber(refreshSeconds))])
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let daemon = try await BenchDaemon.start(config)
    // A first order brings the index and the field catalog in; the night starts after it.
    try await daemon.delivered(daemon.post(order(0, existing: 100)))
    try await Task.sleep(for: .seconds(3))
    let before = try await fake.requestStats()
    var latencies: [Double] = []
    for index in 1...orders {
        let posted = ContinuousClock.now
        try await daemon.delivered(daemon.post(order(1 + 2 * index, existing: 100)))  // odd: a new customer
        latencies.append((ContinuousClock.now - posted).seconds * 1000)
        try await Task.sleep(until: posted + .milliseconds(intervalMs))
    }
    let during = try await fake.requestStats()
    let cpuBefore = cpuSeconds()
    try await Task.sleep(for: .seconds(idleSeconds))
    let idleCPU = (cpuSeconds() - cpuBefore) / Double(idleSeconds) * 100
    let after = try await fake.requestStats()
    await daemon.stop()
    let sorted = latencies.sorted()
    let perOrder = Double(during.total - before.total) / Double(orders)
    func count(_ stats: FakeAmoState.RequestStats, _ endpoint: String) -> Int { stats.byEndpoint[endpoint] ?? 0 }
    let delivering =
        Double(
            count(during, "POST /api/v4/leads/complex") + count(during, "POST /api/v4/leads/notes")
                - count(before, "POST /api/v4/leads/complex") - count(before, "POST /api/v4/leads/notes")) / Double(orders)
    let idlePerMinute = Double(after.total - during.total) / Double(idleSeconds) * 60
    return String(
        format: "| %@ | %d | %.0f ms | %.0f ms | %.0f ms | %.2f | %.2f | %.1f | %.2f %% |",
        refreshSeconds == 0
            ? "refresh in front of every batch (index_refresh_seconds 0, before)"
            : "background refresh every \(JSONNumber(refreshSeconds)) s", orders, percentile(sorted, 0.5),
        percentile(sorted, 0.9), sorted.last ?? 0, perOrder, delivering, idlePerMinute, idleCPU)
}
