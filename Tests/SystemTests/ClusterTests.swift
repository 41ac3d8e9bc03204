import Foundation
import Testing
@testable import AmoSyncCore
@testable import AmoSyncServer
@testable import AmoCRMFake
@testable import TestSupport
@testable import TestFixtures

/// Three `amosync serve` processes on one PostgreSQL queue (a database of the test's own on the
/// run's server), as two or three servers behind a load balancer would run them.
@Suite(.serialized) struct ClusterTests {
    static let orders = 3000
    static let customers = 2000

    /// The config of every node: the queue on PostgreSQL, the fake amoCRM, the background index.
    static func config(fake: some FakeAccount, url: String, dir: TempDir) throws -> String {
        var json = testConfig(fake: fake, dir: dir)
        json.set("database", ["url": .string(url)])
        json.set(
            "worker",
            [
                // `lease_seconds` as by default (120): the jobs a killed node held are taken over
                // after its requests in flight are over, not after their own leases.
                "batch_size": 50, "concurrency": 2, "backoff_base_seconds": 0.2, "backoff_max_seconds": 1, "max_attempts": 50,
            ])
        json.set("contacts", [:])
        json.set("amocrm.timeout_seconds", 2)
        json.set("amocrm.arrival_allowance_ms", 2000)
        let path = dir.file("config.json")
        try json.canonicalData.write(to: URL(fileURLWithPath: path))
        return path
    }

    static func order(_ index: Int) -> JSONValue {
        let customer = index % customers
        return sampleOrder(
            id: "N-\(index)", phone: "+7 912 400 \(String(format: "%04d", customer))", email: "n\(customer)@example.org")
    }

    /// A node: the process and its log.
    final class Node {
        let process: DaemonProcess
        let log: String
        init(config: String, log: String) throws {
            process = try DaemonProcess(config: config, log: log)
            self.log = log
        }
        var pid: Int32 { process.process.processIdentifier }
    }

    /// The node holding the delivery lease, by its pid.
    static func leader(_ store: PostgresStore, among nodes: [Node], account: String) async throws -> Node {
        var found: Node?
        try await eventually(timeout: .seconds(60)) {
            guard let state = try await store.leaseState(DeliveryLease.name(account: account)), state.remaining > 0,
                let pid = state.holder.split(separator: ":").last.flatMap({ Int32($0) })
            else { return false }
            found = nodes.first { $0.pid == pid }
            return found != nil
        }
        return found!
    }

    /// `kill -9` of the delivering node three times during a 3,000-order drain, each time
    /// started again: another node takes the lease and goes on; nothing is lost or made twice,
    /// and all nodes together stay within amoCRM's 7 requests a second. Then the holder is
    /// stopped with SIGTERM: it gives the lease up on its way out, and another node takes it.
    @Test func theDeliveringNodeKilledThreeTimesLosesAndDuplicatesNothing() async throws {
        let dir = TempDir()
        let fake = try FakeAmoProcess.amosync(latencyMs: 30, log: dir.file("fake.log"))
        defer { fake.stop() }
        let url = try await PostgresServer.database()
        let config = try Self.config(fake: fake, url: url, dir: dir)
        let parsed = try Config.parse(Data(contentsOf: URL(fileURLWithPath: config)), environment: [:])
        let account = parsed.amocrm.apiBase
        let store = try await PostgresStore.open(url: url)
        let mapper = Mapper(config: parsed)
        _ = try await store.enqueue((0..<Self.orders).map { .versioned(try mapper.mapOrder(Self.order($0)), input: Self.order($0)) })
        var nodes = try (0..<3).map { try Node(config: config, log: dir.file("node\($0).log")) }
        var killed: [Int32] = []
        for round in 0..<3 {
            let before = try await store.stats().counts[.done] ?? 0
            let leader = try await Self.leader(store, among: nodes, account: account)
            // Killed once it has delivered something of its own.
            try await eventually(timeout: .seconds(60)) { await (try store.stats().counts[.done] ?? 0) > before }
            killed.append(leader.pid)
            leader.process.kill()
            nodes.removeAll { $0 === leader }
            nodes.append(try Node(config: config, log: dir.file("restarted\(round).log")))
        }
        await #expect((try store.stats().counts[.done] ?? 0) < Self.orders, "the kills happened during the drain")
        try await waitUntilIdle(store, timeout: .seconds(240))
        let last = try await Self.leader(store, among: nodes, account: account)
        #expect(!killed.contains(last.pid), "a surviving node took over")
        let logs = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".log") && $0 != "fake.log" }
            .map { try String(contentsOfFile: dir.file($0), encoding: .utf8) }.joined()
        #expect(logs.contains("jobs another node was delivering are taken over"), "the killed nodes' jobs were handed over")
        #expect(await last.process.terminate(timeout: .seconds(20)) == 0)
        #expect(try String(contentsOfFile: last.log, encoding: .utf8).contains("delivery lease given up"))
        nodes.removeAll { $0 === last }
        let successor = try await Self.leader(store, among: nodes, account: account)
        #expect(successor !== last)
        for node in nodes { #expect(await node.process.terminate(timeout: .seconds(20)) == 0) }

        let summary = try await fake.summary()
        #expect(summary["leads"]?.intValue == Self.orders, "one lead per order")
        #expect(summary["notes"]?.intValue == Self.orders, "one note per order")
        #expect(summary["contacts"]?.intValue == Self.customers, "one contact per customer")
        #expect(summary["phones_on_several_contacts"]?.intValue == 0)
        let stats = try await store.stats()
        #expect(stats.counts[.done] == Self.orders && stats.counts[.failed] == 0)
        let requests = try await fake.requestStats()
        let log = summary.value(at: "requests.log")?.arrayValue ?? []
        if requests.maxPerSecond > 7 || requests.throttled > 0 {
            // What went wrong, for the CI log: the requests of the busiest second.
            let times = log.compactMap { $0["at"]?.doubleValue }
            let busiest = times.max { a, b in times.count { $0 >= a && $0 < a + 1 } < times.count { $0 >= b && $0 < b + 1 } } ?? 0
            for entry in log where (entry["at"]?.doubleValue ?? 0) >= busiest && (entry["at"]?.doubleValue ?? 0) < busiest + 1 {
                print("busiest second: \(entry.canonicalString)")
            }
        }
        #expect(requests.throttled == 0, "no 429 across nodes and kills")
        #expect(requests.maxPerSecond <= 7, "all nodes together within 7 requests a second")
        // What the closing note reports: the longest time without a request to amoCRM, and
        // without a delivery (a write: a restarted node's start-up reads fill some of the gap).
        func longestGap(_ entries: [JSONValue]) -> Double {
            let times = entries.compactMap { $0["at"]?.doubleValue }.sorted()
            return zip(times, times.dropFirst()).map { $1 - $0 }.max() ?? 0
        }
        let writes = log.filter { $0["method"]?.stringValue == "POST" }
        print(
            "cluster drain: \(Self.orders) orders, \(requests.total) requests, longest gap without a request "
                + "\(longestGap(log)) s, without a write \(longestGap(writes)) s")
    }

    /// Orders posted to a node that is killed mid-stream: every order it answered 202 for is in
    /// the queue (stored and committed before the answer), and the other node delivers them.
    @Test func aNodeKilledMidIntakeLosesNoAcknowledgedOrder() async throws {
        let dir = TempDir()
        let fake = try FakeAmoProcess.amosync(latencyMs: 0, log: dir.file("fake.log"))
        defer { fake.stop() }
        let url = try await PostgresServer.database()
        let config = try Self.config(fake: fake, url: url, dir: dir)
        let store = try await PostgresStore.open(url: url)
        let victim = try DaemonProcess(config: config, log: dir.file("victim.log"))
        let other = try DaemonProcess(config: config, log: dir.file("other.log"))
        let port = try await DaemonProcess.port(fromLog: dir.file("victim.log"))
        let acknowledged = OrderIDs()
        let transport = URLSessionTransport()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<8 {
                group.addTask {
                    var index = worker
                    while true {
                        let body = Self.order(10_000 + index).canonicalData
                        let request = OutgoingRequest(
                            method: "POST", url: URL(string: "http://127.0.0.1:\(port)/v1/orders")!,
                            headers: ["Authorization": "Bearer \(RunningDaemon.intakeToken)", "Content-Type": "application/json"],
                            body: body, timeout: 5)
                        guard let answer = try? await transport.send(request) else { return }  // the node is gone
                        if answer.status == 202 { await acknowledged.add("N-\(10_000 + index)") }
                        index += 8
                    }
                }
            }
            // Killed once it has acknowledged a few hundred.
            try await eventually(timeout: .seconds(60)) { await acknowledged.count >= 300 }
            victim.kill()
            try await group.waitForAll()
        }
        let ids = await acknowledged.all
        let known = try await store.knownOrders(source: "orders", externalIDs: ids)
        #expect(Set(known.keys) == Set(ids), "every acknowledged order is stored")
        try await waitUntilIdle(store, timeout: .seconds(120))
        #expect(await other.terminate(timeout: .seconds(20)) == 0)
        let leads = try await fake.summary()["leads"]?.intValue ?? 0
        let stored = try await store.stats().counts[.done] ?? 0
        #expect(stored >= ids.count && leads == stored, "the surviving node delivered each stored order once")
    }
}

extension ClusterTests {
    /// PostgreSQL away for longer than the delivery lease: intake answers 503 (never 202 for an
    /// order not stored), `/readyz` says so, and the node stops delivering once its lease could
    /// have run out; once the server is back, intake works again, the node takes the lease again
    /// and delivers what was stored, each order once.
    @Test func postgreSQLAwayMakesIntakeAnswer503AndBothResumeOnTheirOwn() async throws {
        let server = try await PostgresServer.start(durable: true)
        try await server.createDatabase("queue")
        let fake = try await RunningFake.start()
        let daemon = try await RunningDaemon.start(fake: fake) { json in
            json.set("database", ["url": .string(server.url(database: "queue"))])
        }
        #expect(try await daemon.send("/v1/orders", json: sampleOrder(id: "before")).status == 202)
        try await daemon.waitIdle()
        #expect(daemon.daemon.leadership.isLeader)
        server.stop()
        let during = try await daemon.send("/v1/orders", json: sampleOrder(id: "during"))
        #expect(during.status == 503, "not stored: not acknowledged")
        #expect(during.json?["error"] == "storage_unavailable")
        #expect(try await daemon.send("/readyz", method: "GET", token: nil).status == 503)
        // Away past the lease: this node no longer counts itself the one that delivers.
        try await eventually(timeout: .seconds(30)) { !daemon.daemon.leadership.isLeader }
        try await server.restart()
        var after = 0
        try await eventually(timeout: .seconds(30)) {
            after = try await daemon.send("/v1/orders", json: sampleOrder(id: "after")).status
            return after == 202 || after == 200
        }
        try await eventually(timeout: .seconds(30)) { daemon.daemon.leadership.isLeader }
        try await daemon.waitIdle(timeout: .seconds(60))
        #expect(try await daemon.send("/readyz", method: "GET", token: nil).status == 200)
        let leads = await fake.state.snapshot()["leads"]?.arrayValue ?? []
        #expect(leads.count == 2, "the orders before and after, once each; the refused one not at all")
        await daemon.stop()
        server.stop()
    }
}

/// Order ids the intake acknowledged, from several tasks.
actor OrderIDs {
    private var ids: [String] = []
    var count: Int { ids.count }
    var all: [String] { ids }
    func add(_ id: String) { ids.append(id) }
}
