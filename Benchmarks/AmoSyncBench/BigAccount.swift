import AmoCRMFake
import AmoSyncCore
import AmoSyncServer
import Foundation

/// Peak resident memory of this process (`VmHWM`), in MB.
func peakRSSMegabytes() -> Double {
    let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
    let line = status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") } ?? ""
    return Double(line.split(separator: " ").dropFirst().first ?? "0").map { $0 / 1024 } ?? 0
}

/// Order `index` of the big-account run: even ones from the account's most recently updated
/// customers (the last pages of the full sync), odd ones from new customers.
func bigAccountOrder(_ index: Int, contacts: Int) -> JSONValue {
    let customer = index % 2 == 0 ? contacts - 1 - index / 2 : 900_000_000 + index
    return [
        "id": .string("A-\(index)"),
        "customer": [
            "name": .string("Customer \(customer)"), "phone": .string(phone(customer)), "email": .string("customer\(customer)@example.org"),
        ],
        "items": [["id": "77", "name": "Kettle", "price": 5100, "quantity": 1]], "total": 5100,
    ]
}

/// `amosync-bench bigaccount`: an account of `contacts` contacts and `orders` queued orders,
/// half of them from customers on the full sync's last pages. Measures the time from start to
/// the first and the last delivered order, the index sync's pace and estimate, peak memory and
/// the index's size, and counts duplicate contacts in the fake afterwards.
func bigAccount(
    contacts: Int, orders: Int, refreshSeconds: Double, syncRate: Double, latencyMs: Int, watchSeconds: Int
) async throws
    -> String
{
    let token = JWT.make(["exp": .number(JSONNumber(Date().addingTimeInterval(86_400).timeIntervalSince1970.rounded()))])
    let fake = try FakeAmoProcess(
        executable: URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath(),
        arguments: ["fake", "--latency-ms", "\(latencyMs)", "--contacts", "\(contacts)", "--token", token], token: token)
    defer { fake.stop() }
    let (dir, config) = try benchSetup(
        fakePort: fake.port, token: token, batchSize: 50, concurrency: 4,
        contacts: [
            "index_refresh_seconds": .number(JSONNumber(refreshSeconds)),
            "index_sync_requests_per_second": .number(JSONNumber(syncRate)),
        ])
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let store = try SQLiteStore(path: config.databasePath)
    let mapper = Mapper(config: config)
    _ = try await store.enqueue(
        try (0..<orders).map { i in
            let input = bigAccountOrder(i, contacts: contacts)
            return .versioned(try mapper.mapOrder(input), input: input)
        })
    let started = ContinuousClock.now
    let daemon = try await BenchDaemon.start(config)
    var first: Double?
    var last: Double?
    while last == nil || (ContinuousClock.now - started).seconds < (last ?? 0) + Double(watchSeconds) {
        let done = try await store.stats().counts[.done] ?? 0
        if done > 0, first == nil { first = (ContinuousClock.now - started).seconds }
        if done == orders, last == nil { last = (ContinuousClock.now - started).seconds }
        if last != nil, try await store.indexPosition().complete { break }
        try await Task.sleep(for: .milliseconds(20))
    }
    let elapsed = (ContinuousClock.now - started).seconds
    let position = try await store.indexPosition()
    let indexed = try await store.indexedContactCount()
    let bytes = try await store.indexBytes() ?? 0
    let stats = try await fake.requestStats()
    await daemon.stop()
    let summary = try await fake.summary()
    let created = (summary["contacts"]?.intValue ?? 0) - contacts
    let eta = position.etaAt.map { max(0, Double($0) - Date().timeIntervalSince1970) }
    return String(
        format: "| %@ | %d | %.1f s | %.1f s | %d of %d (%.1f %%) in %.0f s | %@ | %d | %d | %.1f MB | %.0f MB | %d | %.1f |",
        refreshSeconds == 0 ? "full sync first (index_refresh_seconds 0, before)" : "background sync at \(JSONNumber(syncRate)) req/s",
        orders, first ?? -1, last ?? -1, indexed, contacts, position.progress(now: Date()) * 100, elapsed,
        position.complete ? "complete" : eta.map { String(format: "%.0f min", $0 / 60) } ?? "?", created,
        summary["phones_on_several_contacts"]?.intValue ?? -1, Double(bytes) / 1_048_576, peakRSSMegabytes(), stats.throttled,
        stats.busiest10sPerSecond)
}
