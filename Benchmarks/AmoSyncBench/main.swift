// amosync-bench: reproducible performance runs (see README, "Benchmarks").
//   swift run -c release amosync-bench drain [--orders 5000] [--existing 2500] [--latency-ms 150] [--naive-orders 100] [--allowance-ms 50]
//     [--customers N]: every order from one of N new customers (1: one customer behind every order)
//     [--fail-percent P]: the fake answers P % of API requests with 503
//     [--refresh-seconds N]: contacts.index_refresh_seconds (0: the refresh in front of every batch, as before 0.7)
//     [--transient-retries N]: tries of a lone 5xx in place (0: the batch fails at once, as before 0.7)
//     [--max-seconds N]: stop a drain that has not finished after N s (default 1800) and say so
//     [--features task,unsorted,products,rotation|all]: amoCRM's own ways of working on (orders.task, …)
//     [--rotation-mode round_robin|least_open]
//   swift run -c release amosync-bench quiet [--orders 20] [--interval-ms 2000] [--latency-ms 150] [--idle-seconds 60]
//   swift run -c release amosync-bench bigaccount [--contacts 1000000] [--orders 100] [--sync-rate 3] [--full] [--before]
//   swift run -c release amosync-bench prefill --config PATH --jobs 100000
//   swift run -c release amosync-bench statusback [--orders 30] [--moves 40] [--missed 5] [--interval-ms 1500] [--latency-ms 150]
//     [--shop-latency-ms 250]: a manager's move to the WooCommerce order's status, and a missed webhook's cost
//   swift run -c release amosync-bench shopify [--moves 150] [--bucket 1000] [--restore 100] [--latency-ms 150] [--shop-latency-ms 100]
//     [--during-first-pass]: the orders taken while the reconcile pass at start runs
//     a burst of won deals closed in Shopify within its cost bucket
//   swift run -c release amosync-bench reconcile [--orders 10000] [--shop-latency-ms 100]
//     two reconcile passes over a WooCommerce shop: all new, then all unchanged
//   swift run -c release amosync-bench restart [--orders 50] [--latency-ms 150] [--shop-latency-ms 100]
//     orders a shop took while amosync was stopped: from the restart to the last in amoCRM
//   swift run -c release amosync-bench parse [--bytes 262144]: the worst body shapes of every intake parser
//   amosync-bench fake …: the fake amoCRM; the drain starts it as a child process
import AmoSyncCore
import AmoSyncServer
import AmoCRMFake
import Foundation
import Logging

func option(_ name: String, _ fallback: Int) -> Int {
    guard let index = CommandLine.arguments.firstIndex(of: "--\(name)"), index + 1 < CommandLine.arguments.count,
        let value = Int(CommandLine.arguments[index + 1])
    else { return fallback }
    return value
}

func stringOption(_ name: String) -> String? {
    guard let index = CommandLine.arguments.firstIndex(of: "--\(name)"), index + 1 < CommandLine.arguments.count else { return nil }
    return CommandLine.arguments[index + 1]
}

func quiet() -> Logger {
    var logger = Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() })
    logger.logLevel = .critical
    return logger
}

/// `amosync-bench fake`: the fake amoCRM with `existing` customers, in this process until killed.
/// The drain runs it as a child process (`FakeAmoProcess`): amoCRM's clock is then not slowed
/// by the daemon's own work, as the real one would not be.
func serveFake(latencyMs: Int, existing: Int, contacts: Int, token: String) async throws {
    var options = FakeAmoState.Options()
    options.longLivedTokens = [token]
    options.faults.latencyMs = latencyMs
    options.faults.failRate = Double(option("fail-percent", 0)) / 100
    let state = FakeAmoState(options: options)
    for index in 0..<existing {
        await state.seedContact(
            name: "Customer \(index)", phones: [phone(index)], emails: ["customer\(index)@example.org"], updatedAgo: 3600)
    }
    if contacts > 0 {
        await state.seedContacts(
            count: contacts, span: 3 * 365 * 86_400, phone: phone, email: { "customer\($0)@example.org" })
    }
    let app = FakeAmoServer.application(state: state, port: 0, logger: quiet()) { port in
        FileHandle.standardOutput.write(Data("\(FakeAmoProcess.banner)127.0.0.1:\(port)\n".utf8))
    }
    try await app.runService(gracefulShutdownSignals: [])
}

func startFake(latencyMs: Int, existing: Int) throws -> FakeAmoProcess {
    let token = JWT.make(["exp": .number(JSONNumber(Date().addingTimeInterval(86_400).timeIntervalSince1970.rounded()))])
    return try FakeAmoProcess(
        executable: URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath(),
        arguments: [
            "fake", "--latency-ms", "\(latencyMs)", "--existing", "\(existing)", "--token", token, "--fail-percent",
            "\(option("fail-percent", 0))",
        ], token: token)
}

func phone(_ index: Int) -> String { "+7 9\(String(format: "%09d", index))" }

func benchConfig(
    fakePort: Int, token: String, dir: String, batchSize: Int, concurrency: Int, contacts: JSONValue = [:]
) -> JSONValue {
    [
        "server": ["host": "127.0.0.1", "port": 0, "metrics": "off"],
        "database": ["path": .string(dir + "/queue.sqlite3")],
        "amocrm": [
            "subdomain": "bench", "base_url": .string("http://127.0.0.1:\(fakePort)"), "long_lived_token": .string(token),
            "arrival_allowance_ms": .number(JSONNumber(option("allowance-ms", 50))),
        ],
        "intake": ["tokens": ["bench-intake-token-0123456789"]],
        "worker": ["batch_size": .number(JSONNumber(batchSize)), "concurrency": .number(JSONNumber(concurrency))],
        "contacts": contacts,
        "orders": .object(
            [
                "pipeline_id": 3177727, "status_id": 32392159,
                "lead_fields": ["goods": "Товары", "delivery.name": "Доставка", "payment.name": "Оплата", "address.city": "Город"],
                "tags": ["shop"], "note": true,
            ].merging(salesRules()) { $1 }),
    ]
}

/// `--features`: which of amoCRM's own ways of working the orders rules turn on.
func salesFeatures() -> Set<String> {
    let list = Set((stringOption("features") ?? "").split(separator: ",").map(String.init))
    return list.contains("all") ? ["task", "unsorted", "products", "rotation"] : list
}

func salesRules() -> [String: JSONValue] {
    let features = salesFeatures()
    var rules: [String: JSONValue] = [:]
    if features.contains("task") { rules["task"] = ["text": "Позвонить: {customer.name}", "due_minutes": 15] }
    if features.contains("unsorted") { rules["unsorted"] = true }
    if features.contains("products") { rules["products"] = ["catalog_id": "auto"] }
    if features.contains("rotation") {
        rules["rotation"] = ["users": [504141, 123453, 581651], "mode": .string(stringOption("rotation-mode") ?? "round_robin")]
    }
    return rules
}

/// A new temporary directory (the caller removes it) and the bench config with its queue there.
func benchSetup(fakePort: Int, token: String, batchSize: Int, concurrency: Int, contacts: JSONValue) throws -> (dir: String, config: Config)
{
    let dir = NSTemporaryDirectory() + "amosync-bench-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    let json = benchConfig(fakePort: fakePort, token: token, dir: dir, batchSize: batchSize, concurrency: concurrency, contacts: contacts)
    return (dir, try Config.parse(json.canonicalData))
}

/// Order `index`: even ones from existing customers, odd ones from new customers; with
/// `--customers N`, from one of N new customers in turn.
func order(_ index: Int, existing: Int) -> JSONValue {
    let customers = option("customers", 0)
    let customer =
        customers > 0 ? 2_000_000 + index % customers : index % 2 == 0 && existing > 0 ? (index / 2) % existing : 1_000_000 + index
    return [
        "id": .string("B-\(index)"),
        "customer": [
            "name": .string("Customer \(customer)"), "phone": .string(phone(customer)), "email": .string("customer\(customer)@example.org"),
        ],
        "address": ["city": "Perm"],
        "items": [
            ["id": "77", "name": "Kettle", "sku": "K-77", "price": 5100, "quantity": 1],
            ["id": "78", "name": "Cup", "price": 19.99, "quantity": 2],
        ],
        "delivery": ["name": "Courier", "cost": 390], "payment": ["name": "Card"], "total": 5529.98,
    ]
}

struct DrainResult {
    var orders: Int
    var seconds: Double
    /// Requests of the drain (the fake's total less the ones before the daemon started).
    var requests: Int
    var fake: FakeAmoState.RequestStats
    var done: Int
    var failed: Int
    /// Contacts, leads and notes the fake holds afterwards.
    var contacts: Int, leads: Int, notes: Int
    /// Tasks, incoming leads, products and links (and tasks on a lead that already had one).
    var sales = ""
}

func drain(orders: Int, existing: Int, latencyMs: Int, batchSize: Int, concurrency: Int, index: Bool) async throws -> DrainResult {
    let fake = try startFake(latencyMs: latencyMs, existing: existing)
    defer { fake.stop() }
    var (dir, config) = try benchSetup(
        fakePort: fake.port, token: fake.token, batchSize: batchSize, concurrency: concurrency,
        contacts: ["index_refresh_seconds": .number(JSONNumber(option("refresh-seconds", 5)))])
    defer { try? FileManager.default.removeItem(atPath: dir) }
    // `--database-url postgres://…` (an empty database): the queue on PostgreSQL instead of a SQLite file.
    config.databaseURL = stringOption("database-url")
    let store = try await StoreOpener.open(config)
    let mapper = Mapper(config: config)
    for chunk in stride(from: 0, to: orders, by: 1000) {
        _ = try await store.enqueue(
            try (chunk..<min(orders, chunk + 1000)).map { i in
                let input = order(i, existing: existing)
                return .versioned(try mapper.mapOrder(input), input: input)
            })
    }
    let before = try await fake.requestStats().total
    var options = Daemon.Options()
    options.contactIndex = index
    options.transientRetries = option("transient-retries", 2)
    let daemon = try await Daemon.build(config: config, logger: quiet(), signals: [], options: options)
    let started = ContinuousClock.now
    let task = Task { try await daemon.run() }
    var done = 0
    var failed = 0
    while true {
        let stats = try await store.stats()
        done = stats.counts[.done] ?? 0
        failed = stats.counts[.failed] ?? 0
        if (stats.counts[.queued] ?? 0) + (stats.counts[.running] ?? 0) == 0 { break }
        if ContinuousClock.now - started > .seconds(option("max-seconds", 1800)) { break }  // reported as unfinished
        try await Task.sleep(for: .milliseconds(100))
    }
    let elapsed = ContinuousClock.now - started
    await daemon.shutdown()
    _ = try? await task.value
    let stats = try await fake.requestStats()
    let state = try await fake.state()
    let summary = try await fake.summary()
    let sales = ["tasks", "tasks_on_same_lead", "incoming", "elements", "links"].map { "\($0) \(summary[$0]?.intValue ?? 0)" }
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    return DrainResult(
        orders: orders, seconds: seconds, requests: stats.total - before, fake: stats, done: done, failed: failed,
        contacts: state["contacts"]?.arrayValue?.count ?? 0, leads: state["leads"]?.arrayValue?.count ?? 0,
        notes: state["notes"]?.arrayValue?.count ?? 0, sales: sales.joined(separator: ", "))
}

func report(_ label: String, _ result: DrainResult) {
    let rate = Double(result.orders) / result.seconds
    print(
        String(
            format: "| %@ | %d | %.1f s | %.1f | %d | %.3f | %d | %d | %.1f |", label, result.orders, result.seconds, rate,
            result.requests, Double(result.requests) / Double(result.orders), result.fake.throttled, result.fake.maxPerSecond,
            result.fake.busiest10sPerSecond))
}

let mode = CommandLine.arguments.dropFirst().first ?? "help"
switch mode {
case "drain":
    let orders = option("orders", 5000)
    let customers = option("customers", 0)
    let existing = customers > 0 ? 0 : option("existing", 2500)
    let latency = option("latency-ms", 150)
    let naiveOrders = stringOption("database-url") == nil ? option("naive-orders", 100) : 0  // one empty database: one drain
    print(
        "drain: \(orders) orders ("
            + (customers > 0 ? "from \(customers) new customer(s)" : "half from \(existing) existing customers")
            + "), fake amoCRM at 7 req/s with \(latency) ms latency"
            + (option("fail-percent", 0) > 0 ? ", \(option("fail-percent", 0)) % of requests answered 503" : "")
            + ", arrival allowance \(option("allowance-ms", 50)) ms, index_refresh_seconds \(option("refresh-seconds", 5)), "
            + "transient retries \(option("transient-retries", 2))"
            + (salesFeatures().isEmpty ? "" : ", features: \(salesFeatures().sorted().joined(separator: ", "))")
            + (stringOption("database-url") == nil ? ", queue in SQLite" : ", queue on PostgreSQL"))
    print("| mode | orders | time | orders/s | requests | requests/order | 429s | max requests in 1 s | req/s, busiest 10 s |")
    print("|---|---|---|---|---|---|---|---|---|")
    let batched = try await drain(orders: orders, existing: existing, latencyMs: latency, batchSize: 50, concurrency: 4, index: true)
    report("batched (50 per batch, contact index, leads/complex)", batched)
    if naiveOrders > 0 {
        let naive = try await drain(orders: naiveOrders, existing: existing, latencyMs: latency, batchSize: 1, concurrency: 1, index: false)
        report("one order at a time (search, then create)", naive)
    }
    print(
        "requests by endpoint (batched): "
            + batched.fake.byEndpoint.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", "))
    print("in the fake afterwards (batched): \(batched.contacts) contacts, \(batched.leads) leads, \(batched.notes) notes")
    if !salesFeatures().isEmpty { print("and: \(batched.sales)") }
    if batched.done != orders {
        print(
            "WARNING: only \(batched.done) of \(orders) orders were delivered in \(Int(batched.seconds)) s "
                + "(\(batched.failed) failed, the rest still queued)")
    }
case "quiet":
    let orders = option("orders", 20), interval = option("interval-ms", 2000), latency = option("latency-ms", 150)
    let idle = option("idle-seconds", 60)
    print(
        "quiet night: \(orders) orders from new customers, one every \(interval) ms through HTTP intake, fake amoCRM at "
            + "\(latency) ms latency; then \(idle) s idle")
    print(
        "| mode | orders | POST → delivered p50 | p90 | max | requests/order | leads/complex + notes per order "
            + "| idle requests/min | idle CPU (one core) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for refresh in [0, Double(option("refresh-seconds", 5))] {
        print(try await quietNight(refreshSeconds: refresh, orders: orders, intervalMs: interval, latencyMs: latency, idleSeconds: idle))
    }
case "bigaccount":
    let contacts = option("contacts", 1_000_000), orders = option("orders", 100), rate = option("sync-rate", 3)
    let watch = option("watch-seconds", 30)
    print(
        "big account: \(contacts) contacts in the fake (updated over 3 years), \(orders) queued orders (half from the "
            + "\(orders / 2) most recently updated customers, half new), latency \(option("latency-ms", 150)) ms; watched "
            + "\(watch) s after the last order"
            + (CommandLine.arguments.contains("--full") ? " or until the full sync is complete" : ""))
    print(
        "| mode | orders | first order delivered | last order | contacts indexed | sync ETA | contacts created "
            + "| phones on several contacts | index on disk | peak RSS | 429s | req/s, busiest 10 s |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    let modes: [Double] = CommandLine.arguments.contains("--before") ? [0, 5] : [5]
    for refresh in modes {
        print(
            try await bigAccount(
                contacts: contacts, orders: orders, refreshSeconds: refresh, syncRate: Double(rate),
                latencyMs: option("latency-ms", 150), watchSeconds: CommandLine.arguments.contains("--full") ? 86_400 : watch))
    }
case "statusback":
    print(
        try await statusBackBench(
            orders: option("orders", 30), moves: option("moves", 40), missed: option("missed", 5), intervalMs: option("interval-ms", 1500),
            latencyMs: option("latency-ms", 150), shopLatencyMs: option("shop-latency-ms", 250)))
case "shopify":
    print(
        try await shopifyBench(
            moves: option("moves", 150), bucket: option("bucket", 1000), restore: option("restore", 100),
            latencyMs: option("latency-ms", 150),
            shopLatencyMs: option("shop-latency-ms", 100), duringFirstPass: CommandLine.arguments.contains("--during-first-pass")))
case "reconcile":
    print(try await reconcileBench(orders: option("orders", 10_000), shopLatencyMs: option("shop-latency-ms", 100)))
case "restart":
    print(
        try await restartBench(
            orders: option("orders", 50), latencyMs: option("latency-ms", 150), shopLatencyMs: option("shop-latency-ms", 100)))
case "parse":
    try ParseWorst.run(size: option("bytes", 262_144))
case "fake":
    try await serveFake(
        latencyMs: option("latency-ms", 0), existing: option("existing", 0), contacts: option("contacts", 0),
        token: stringOption("token") ?? "bench-token")
case "prefill":
    guard let path = stringOption("config") else { print("prefill needs --config PATH"); exit(2) }
    let jobs = option("jobs", 100_000)
    let config = try ConfigFile.load(path: path)
    let store = try SQLiteStore(path: config.databasePath)
    let mapper = Mapper(config: config)
    for chunk in stride(from: 0, to: jobs, by: 2000) {
        _ = try await store.enqueue(
            try (chunk..<min(jobs, chunk + 2000)).map { i in
                let input = order(i, existing: 0)
                return .versioned(try mapper.mapOrder(input), input: input)
            })
    }
    print("queued \(jobs) jobs in \(config.databasePath)")
default:
    print(
        "usage: amosync-bench drain [--orders N] [--existing N] [--latency-ms N] [--naive-orders N] [--allowance-ms N] "
            + "[--features task,unsorted,products,rotation|all] "
            + "[--customers N] [--fail-percent P] [--refresh-seconds N] [--transient-retries N] [--max-seconds N]"
    )
    print("       amosync-bench quiet [--orders N] [--interval-ms N] [--latency-ms N] [--idle-seconds N] [--refresh-seconds N]")
    print(
        "       amosync-bench bigaccount [--contacts N] [--orders N] [--sync-rate N] [--latency-ms N] [--watch-seconds N] [--full] "
            + "[--before]")
    print("       amosync-bench prefill --config PATH [--jobs N]")
    print("       amosync-bench parse [--bytes N]   (the worst body shape of every intake parser, CPU time)")
    print(
        "       amosync-bench fake [--latency-ms N] [--existing N] [--contacts N] [--token T]   (the benchmarks' fake amoCRM, "
            + "run as a child)")
}
