import Foundation
import Hummingbird
import Logging
@testable import AmoSyncCore
@testable import AmoSyncServer
@testable import AmoCRMFake
@testable import TestFixtures

/// A temporary directory removed when the test ends.
final class TempDir: Sendable {
    let path: String

    init() {
        path = (NSTemporaryDirectory() as NSString).appendingPathComponent("amosync-test-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// Logs go nowhere unless a test asks for them.
func quietLogger() -> Logger {
    var logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
    logger.logLevel = .critical
    return logger
}

/// Where a test's fake amoCRM is, the token it accepts, and how the daemon reaches it.
protocol FakeAccount: Sendable {
    var baseURL: String { get }
    var token: String { get }
    /// The transport a daemon on `clock` sends to this account with.
    func transport(clock: any TimeSource) -> any HTTPTransport
}

extension FakeAccount {
    func transport(clock: any TimeSource) -> any HTTPTransport { URLSessionTransport(clock: clock) }
}

/// An account address where nothing listens, for tests that only look at intake.
struct StaticFake: FakeAccount {
    var baseURL: String { "http://127.0.0.1:9" }
    var token: String { "static-token" }
}

/// A fake amoCRM for one test: in this process behind `FakeTransport` (no socket), or, with
/// `overHTTP`, a real HTTP server on a loopback port (for a daemon in another process, and for
/// what only a socket shows: libcurl's limits, dropped connections, redirects not followed).
final class RunningFake: FakeAccount {
    let state: FakeAmoState
    /// The loopback address and port it listens on; nil in process.
    let host: String
    let port: Int?
    let token: String
    let task: Task<Void, any Error>?

    static func start(
        overHTTP: Bool = false, requestsPerSecond: Int = 7, faults: FakeFaults = FakeFaults(), latencyMs: Int? = nil
    ) async throws -> RunningFake {
        var faults = faults
        if let latencyMs { faults.latencyMs = latencyMs }
        let token = JWT.make(["exp": .number(JSONNumber(Date().addingTimeInterval(86_400).timeIntervalSince1970.rounded()))])
        var options = FakeAmoState.Options()
        options.longLivedTokens = [token]
        options.requestsPerSecond = requestsPerSecond
        options.faults = faults
        let state = FakeAmoState(options: options)
        guard overHTTP else { return RunningFake(state: state, port: nil, token: token, task: nil) }
        let box = PortBox()
        let app = FakeAmoServer.application(state: state, port: 0, logger: quietLogger()) { await box.set($0) }
        // Runs until `stop()` cancels it (the test's lifetime).
        let task = Task { try await app.runService(gracefulShutdownSignals: []) }
        return RunningFake(state: state, port: await box.wait(), token: token, task: task)
    }

    init(state: FakeAmoState, host: String = "127.0.0.1", port: Int?, token: String, task: Task<Void, any Error>?) {
        self.state = state
        self.host = host
        self.port = port
        self.token = token
        self.task = task
    }

    /// In process, the account's address is one where nothing listens: a request that does not
    /// go through the daemon's transport fails at once instead of reaching the fake.
    var baseURL: String { port.map { "http://\(host):\($0)" } ?? "http://127.0.0.1:9" }

    func transport(clock: any TimeSource) -> any HTTPTransport {
        port == nil ? FakeTransport(state: state, clock: clock) : URLSessionTransport(clock: clock)
    }

    func stop() { task?.cancel() }
}

/// The whole daemon (intake + worker) against a running fake, on loopback ports.
final class RunningDaemon: Sendable {
    let daemon: Daemon
    let port: Int
    let metricsPort: Int
    let task: Task<Void, any Error>
    let dir: TempDir
    static let intakeToken = "test-intake-token-0123456789"

    static func start(
        fake: some FakeAccount, dir: TempDir = TempDir(), logger: Logger = quietLogger(),
        configure: (inout JSONValue) -> Void = { _ in },
        options adjust: (inout Daemon.Options) -> Void = { _ in }
    ) async throws -> RunningDaemon {
        var json = testConfig(fake: fake, dir: dir)
        configure(&json)
        let config = try Config.parse(json.canonicalData, environment: [:])
        let box = PortBox()
        let metricsBox = PortBox()
        var options = Daemon.Options()
        options.onMetricsListening = { await metricsBox.set($0) }
        options.shutdownGrace = .seconds(3)
        options.checkAccountAtStart = false  // tests count requests
        adjust(&options)
        let daemon = try await Daemon.build(
            config: config, logger: logger, transport: fake.transport(clock: options.clock), signals: [], options: options
        ) { await box.set($0) }
        let task = Task { try await daemon.run() }
        let port = await box.wait()
        let metricsPort = config.server.metrics == nil ? 0 : await metricsBox.wait()
        return RunningDaemon(daemon: daemon, port: port, metricsPort: metricsPort, task: task, dir: dir)
    }

    init(daemon: Daemon, port: Int, metricsPort: Int, task: Task<Void, any Error>, dir: TempDir) {
        self.daemon = daemon
        self.port = port
        self.metricsPort = metricsPort
        self.task = task
        self.dir = dir
    }

    var store: any Store { daemon.store }
    /// The SQLite store, for tests that reach into the file (fault injection).
    var sqlite: SQLiteStore { daemon.store as! SQLiteStore }

    func stop() async {
        await daemon.shutdown()
        _ = try? await task.value
    }

    /// A test that throws before `await stop()` (defer cannot await) still stops its daemon:
    /// cancelling the group's task cancels every service.
    deinit { task.cancel() }

    /// Sends a request to the daemon.
    func send(
        _ path: String, method: String = "POST", json: JSONValue? = nil, body: Data? = nil, contentType: String? = nil,
        token: String? = RunningDaemon.intakeToken, headers: [String: String] = [:]
    ) async throws -> HTTPResult {
        var allHeaders = headers
        if let token { allHeaders["Authorization"] = "Bearer \(token)" }
        var payload = body
        if let json {
            payload = json.canonicalData
            allHeaders["Content-Type"] = contentType ?? "application/json"
        } else if let contentType {
            allHeaders["Content-Type"] = contentType
        }
        let response = try await URLSessionTransport().send(
            OutgoingRequest(
                method: method, url: URL(string: "http://127.0.0.1:\(port)\(path)")!, headers: allHeaders, body: payload, timeout: 10))
        return HTTPResult(status: response.status, headers: response.headers, json: try? JSONValue.parse(response.body))
    }

    /// Waits until every job is done, failed or cancelled.
    func waitIdle(timeout: Duration = .seconds(30)) async throws {
        try await waitUntilIdle(store, timeout: timeout)
    }
}

/// Waits until no job of `store` is queued or running (every one done, failed or cancelled).
func waitUntilIdle(_ store: any AdminStore, timeout: Duration = .seconds(30)) async throws {
    try await eventually(timeout: timeout) {
        let stats = try await store.stats()
        return stats.counts[.queued] == 0 && stats.counts[.running] == 0
    }
}

struct HTTPResult {
    var status: Int
    var headers: [String: String]
    var json: JSONValue?

    func header(_ name: String) -> String? { headers.first { $0.key.caseInsensitiveCompare(name) == .orderedSame }?.value }
}

struct Timeout: Error, CustomStringConvertible {
    var description: String
}

/// Polls `condition` until true; throws after `timeout`.
func eventually(timeout: Duration = .seconds(20), _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(50))
    }
    throw Timeout(description: "condition not met within \(timeout)")
}

/// The config every end-to-end test starts from.
func testConfig(fake: some FakeAccount, dir: TempDir) -> JSONValue {
    [
        "server": ["host": "127.0.0.1", "port": 0, "metrics": "127.0.0.1:0"],
        "database": ["path": .string(dir.file("queue.sqlite3"))],
        "amocrm": [
            "subdomain": "example", "base_url": .string(fake.baseURL), "long_lived_token": .string(fake.token),
            "requests_per_second": 7, "timeout_seconds": 5,
        ],
        "intake": ["tokens": [.string(RunningDaemon.intakeToken)]],
        "worker": ["backoff_base_seconds": 0.2, "backoff_max_seconds": 1, "max_attempts": 5, "concurrency": 2],
        // Every batch refreshes the index in front of itself, so that tests count each request
        // and injected faults meet the request they are meant for; `BackgroundIndexTests`
        // covers the default (background sync and refresh).
        "contacts": ["index_refresh_seconds": 0],
        "orders": [
            "pipeline_id": 3177727, "status_id": 32392159,
            "categories": ["40": ["pipeline_id": 23456, "status_id": 567890, "responsible_user_id": 123453]],
            "status_map": ["paid": 32392161, "completed": 142],
            "lead_fields": ["goods": "Товары", "delivery.name": "Доставка", "weight": "Вес"],
            "tags": ["shop"],
        ],
        "utm_fields": ["utm_source": "UTM_SOURCE"],
        "forms": [
            "callback": [
                "pipeline_id": 3177727, "status_id": 32392160, "lead_fields": ["message": "Сообщение"],
                "required_fields": ["phone"], "tags": ["site-form"],
            ],
            "open": ["public": true, "redirect_url": "https://shop.example/thanks"],
            "profile": ["create_lead": false],
        ],
    ]
}

/// An order body as shops send it.
func sampleOrder(
    id: String = "1042", phone: String? = "8 (912) 555-01-02", email: String? = "anna@example.org",
    categories: [Int] = [7], extra: [String: JSONValue] = [:]
) -> JSONValue {
    var customer: [String: JSONValue] = ["name": "Anna Ivanova"]
    if let phone { customer["phone"] = .string(phone) }
    if let email { customer["email"] = .string(email) }
    var order: [String: JSONValue] = [
        "id": .string(id), "customer": .object(customer),
        "items": [
            [
                "id": "77", "name": "Kettle", "sku": "K-77", "price": 5100, "quantity": 1,
                "categories": .array(categories.map { .number(JSONNumber($0)) }),
            ]
        ],
        "delivery": ["name": "Courier", "cost": 390], "payment": ["name": "Card"], "total": 5490, "status": "new",
    ]
    order.merge(extra) { $1 }
    return .object(order)
}

/// The account connection `serve` would build for `testConfig`, without a database.
func testAccount(_ fake: some FakeAccount) throws -> AmoAccount {
    let config = try Config.parse(testConfig(fake: fake, dir: TempDir()).canonicalData, environment: [:])
    return AmoAccount(config: config, store: nil, transport: fake.transport(clock: SystemTime()), logger: quietLogger())
}

extension QueueStore {
    /// Outcomes as tests write them: `(job, .done, attempt)`.
    @discardableResult
    func finish(_ outcomes: [(Job, JobResolution, Attempt)]) async throws -> Set<Int64> {
        try await finish(outcomes.map { JobOutcome(job: $0.0, resolution: $0.1, attempt: $0.2) })
    }
}
