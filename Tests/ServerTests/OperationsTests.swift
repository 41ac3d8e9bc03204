import Foundation
import Testing
@testable import AmoSyncCore
@testable import AmoSyncServer
@testable import AmoSyncCLI
@testable import ShopFakes
@testable import TestSupport
@testable import TestFixtures
#if canImport(Glibc)
    import Glibc
#endif

@Suite struct OperationsTests {
    /// The alert rules and the Grafana dashboard shipped under /usr/share/amosync name only
    /// metric families a running daemon exports (one that took an order and reconciled a shop).
    @Test func theAlertRulesAndTheDashboardNameOnlyMetricsTheDaemonExports() async throws {
        let fake = try await RunningFake.start(overHTTP: true)
        defer { fake.stop() }
        let shop = try await RunningShop.start()
        let daemon = try await RunningDaemon.start(fake: fake) { json in
            json.set("sources", ["woo": shop.source(statusBack: [:], reconcileMinutes: 10)])
        }
        _ = try await daemon.send("/v1/orders", json: sampleOrder(id: "1"))
        try await eventually { try await daemon.store.list(JobFilter()).contains { $0.kind == .reconcile && $0.state == .done } }
        try await daemon.waitIdle()
        let response = try await URLSessionTransport().send(
            OutgoingRequest(method: "GET", url: URL(string: "http://127.0.0.1:\(daemon.metricsPort)/metrics")!))
        let exported = Set(
            String(decoding: response.body, as: UTF8.self).split(separator: "\n").compactMap { line -> String? in
                line.hasPrefix("# TYPE ") ? line.split(separator: " ").dropFirst(2).first.map(String.init) : nil
            })
        #expect(exported.contains("amosync_shop_webhook_up") && exported.contains("amosync_reconcile_found_total"), "\(exported)")

        let rules = try String(contentsOf: Repository.file("monitoring/prometheus/amosync.rules.yml"), encoding: .utf8)
        let ruleExpressions = rules.split(separator: "\n").filter { $0.trimmingCharacters(in: .whitespaces).hasPrefix("expr:") }
        #expect(ruleExpressions.count >= 8)
        let dashboard = try JSONValue.parse(Data(contentsOf: Repository.file("monitoring/grafana/amosync-dashboard.json")))
        let panels = dashboard["panels"]?.arrayValue ?? []
        #expect(panels.count >= 6)
        #expect(dashboard["templating"]?["list"]?.arrayValue?.first?["type"] == "datasource")
        var expressions = ruleExpressions.map(String.init)
        for panel in panels {
            let targets = panel["targets"]?.arrayValue ?? []
            #expect(!targets.isEmpty && panel["gridPos"] != nil, "\(panel["title"]?.stringValue ?? "?")")
            expressions += targets.compactMap { $0["expr"]?.stringValue }
        }
        let named = Set(
            expressions.flatMap { expression in
                expression.matches(of: #/amosync_[a-z0-9_]+/#).map { String($0.output) }
            })
        #expect(named.count >= 10)
        for name in named.sorted() {
            let family = ["_bucket", "_sum", "_count"].reduce(name) { $0.hasSuffix($1) ? String($0.dropLast($1.count)) : $0 }
            #expect(exported.contains(family), "\(name) is named in monitoring/ but the daemon does not export it")
        }
        await daemon.stop()
    }

    @Test func metricsCountIntakeDeliveriesAndAmoCRMRequestsWithoutSecrets() async throws {
        let fake = try await RunningFake.start()
        defer { fake.stop() }
        let daemon = try await RunningDaemon.start(fake: fake)
        _ = try await daemon.send("/v1/orders", json: sampleOrder(id: "1"))
        _ = try await daemon.send("/v1/orders", json: sampleOrder(id: "1"))
        _ = try await daemon.send("/v1/orders", json: ["id": "2"])
        try await daemon.waitIdle()
        #expect(try await daemon.send("/metrics", method: "GET", token: nil).status == 404, "never on the intake port")
        let response = try await URLSessionTransport().send(
            OutgoingRequest(method: "GET", url: URL(string: "http://127.0.0.1:\(daemon.metricsPort)/metrics")!))
        let text = String(decoding: response.body, as: UTF8.self)
        #expect(response.header("Content-Type")?.hasPrefix("text/plain") == true)
        #expect(text.contains(#"amosync_intake_requests_total{route="/v1/orders",status="202"} 1"#))
        #expect(text.contains(#"amosync_intake_requests_total{route="/v1/orders",status="200"} 1"#))
        #expect(text.contains(#"amosync_intake_requests_total{route="/v1/orders",status="422"} 1"#))
        #expect(text.contains(#"amosync_jobs{state="done"} 1"#))
        #expect(text.contains(#"amosync_deliveries_total{outcome="done"} 1"#))
        #expect(text.contains(#"amosync_amocrm_requests_total{endpoint="/api/v4/leads/complex",status="200"} 1"#))
        #expect(text.contains("amosync_amocrm_request_duration_seconds_bucket"))
        #expect(
            text.contains("amosync_ratelimit_arrival_allowance_seconds \(RateLimiter.defaultArrivalAllowance.seconds)"),
            "the configured allowance")
        for family in ["amosync_ratelimit_wait_seconds_total", "amosync_token_refreshes_total", "amosync_oldest_queued_seconds"] {
            #expect(text.contains(family), "\(family)")
        }
        #expect(!text.contains(fake.token))
        #expect(!text.contains(RunningDaemon.intakeToken))
        await daemon.stop()
    }

    @Test func systemdNotifySendsDatagrams() async throws {
        let dir = TempDir()
        let path = dir.file("notify.sock")
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        #expect(fd >= 0)
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in for (i, byte) in path.utf8.enumerated() { buffer[i] = byte } }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        #expect(bound == 0)
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": path, "WATCHDOG_USEC": "2000000"])
        #expect(notifier.watchdogInterval == .seconds(1))
        #expect(notifier.notify("READY=1"))
        notifier.heartbeat()
        notifier.heartbeat()  // too soon: not sent again
        var buffer = [UInt8](repeating: 0, count: 256)
        // Both datagrams were sent before this line: reading never waits.
        let first = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
        #expect(String(decoding: buffer[0..<max(0, first)], as: UTF8.self) == "READY=1")
        let second = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
        #expect(String(decoding: buffer[0..<max(0, second)], as: UTF8.self) == "WATCHDOG=1")
        let third = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
        #expect(third < 0, "one keep-alive per interval")
        #expect(!SystemdNotifier(environment: [:]).notify("READY=1"), "nothing without NOTIFY_SOCKET")
    }

    @Test func jobReportsListFindAndRedact() async throws {
        let dir = TempDir()
        let store = try SQLiteStore(path: dir.file("q.sqlite3"))
        let input: JSONValue = ["id": "55", "customer": ["phone": "8 912 555 01 02", "password": "hunter2"], "total": 10]
        _ = try await store.enqueue(.versioned(try Mapper(config: MappingFixtures.config()).mapOrder(input), input: input))
        let jobs = try await store.list(JobFilter())
        let table = JobReport.listTable(jobs)
        #expect(table.hasPrefix("ID  KIND   SOURCE  EXTERNAL ID  STATE   ATTEMPTS  NEXT RUN  LAST ERROR"))
        #expect(table.contains("55"))
        #expect(JobReport.listJSON(jobs).value(at: "jobs.0.external_id") == "55")
        let shown = JobReport.showJSON(jobs[0], attempts: [], config: MappingFixtures.config())
        #expect(shown.value(at: "input.customer.password") == "[redacted]")
        #expect(Jobs.searchKey("8 (912) 555-01-02", countryCode: "7") == "+79125550102")
        #expect(Jobs.searchKey(" Anna@Example.org", countryCode: "7") == "anna@example.org")
        #expect(Jobs.searchKey("A-1042", countryCode: "7") == "A-1042")
        #expect(throws: (any Error).self) { try Jobs.parseSince("yesterday") }
        #expect(abs(try Jobs.parseSince("2h").timeIntervalSinceNow + 7200) < 5)
    }
}

@Suite struct AccountCheckTests {
    @Test func findingsNameTheirKeyPaths() async throws {
        let fake = try await RunningFake.start()
        defer { fake.stop() }
        let dir = TempDir()
        var json = testConfig(fake: fake, dir: dir)
        json.set("orders.status_id", 567890)  // belongs to pipeline 23456, not 3177727
        json.set(
            "orders.categories",
            [
                "40": ["pipeline_id": 99, "status_id": 1],
                "41": ["pipeline_id": 3177727, "status_id": 32392156, "responsible_user_id": 777],
            ])
        json.set("orders.status_map", ["paid": 424242, "completed": 142])
        json.set("orders.lead_fields", ["weight": 999_001, "goods": "Товары"])
        json.set("orders.contact_fields", ["address.city": "Город"])
        json.set("fields", ["auto_create": ["contacts": false]])
        let config = try Config.parse(json.canonicalData, environment: [:])
        let client = try testAccount(fake).client
        let findings = try await AccountCheck(config: config, client: client).run()
        let lines = findings.filter(\.isProblem).map(\.line)
        #expect(lines.contains { $0.hasPrefix("orders.status_id: status 567890 is not in pipeline 3177727 (Воронка)") })
        #expect(lines.contains { $0.hasPrefix("orders.categories.40.pipeline_id: no pipeline 99 in the account") })
        #expect(
            lines.contains(
                "orders.categories.41.status_id: status 32392156 is the incoming-leads stage of Воронка: leads cannot be created "
                    + "there through the API"
            ))
        #expect(lines.contains("orders.categories.41.responsible_user_id: no user 777 in the account"))
        #expect(lines.contains("orders.status_map.paid: no status 424242 in any pipeline"))
        #expect(lines.contains("orders.lead_fields.weight: no leads field with id 999001 in the account"))
        #expect(
            lines.contains(
                "orders.contact_fields.address.city: no contacts field named Город in the account and fields.auto_create.contacts is off"))
        #expect(
            findings.contains(
                .init(
                    path: "orders.lead_fields.goods", message: "field Товары is missing; it will be created on first use", isProblem: false)
            ))
        #expect(lines.count == 7)
    }

    @Test func aMatchingConfigHasNoProblems() async throws {
        let fake = try await RunningFake.start()
        defer { fake.stop() }
        let config = try Config.parse(testConfig(fake: fake, dir: TempDir()).canonicalData, environment: [:])
        let client = try testAccount(fake).client
        let findings = try await AccountCheck(config: config, client: client).run()
        #expect(findings.filter(\.isProblem).isEmpty)
        // testConfig routes category 40 to pipeline 23456 while status_map.paid is a stage of 3177727.
        #expect(
            findings.contains(
                .init(
                    path: "orders.status_map.paid",
                    message: "status 32392161 is in pipeline 3177727 (Воронка); leads in pipeline "
                        + "23456 (Опт, from orders.categories.40) keep their stage when an order becomes paid", isProblem: false)))
    }
}

@Suite struct DoorbellTests {
    /// A task waiting an hour on `bell`, and the flag it sets when the wait ends.
    static func waiter(on bell: Doorbell) -> (task: Task<Void, Never>, ended: Flag) {
        let ended = Flag()
        let task = Task {
            await bell.wait(timeout: .seconds(3600))
            ended.set()
        }
        return (task, ended)
    }

    @Test func aRingWakesAWaiterBeforeItsTimeout() async throws {
        let bell = Doorbell()
        let waiter = Self.waiter(on: bell)
        try await eventually {
            bell.ring(); return waiter.ended.isSet
        }
        await waiter.task.value
    }

    @Test func cancellationEndsTheWaitAndATimeoutToo() async throws {
        let bell = Doorbell()
        let waiter = Self.waiter(on: bell)
        waiter.task.cancel()
        try await eventually { waiter.ended.isSet }
        await bell.wait(timeout: .milliseconds(10))  // returns by itself
    }
}
