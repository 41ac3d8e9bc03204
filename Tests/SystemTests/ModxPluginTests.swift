import Foundation
import Testing

@testable import AmoSyncCore
@testable import AmoSyncServer
@testable import AmoCRMFake
@testable import TestSupport
@testable import TestFixtures

/// Where PHP CLI is, if installed (`.ci/run` installs Debian's php-cli).
enum PHPCLI {
    static var path: String? { ["/usr/bin/php", "/usr/local/bin/php"].first { FileManager.default.isExecutableFile(atPath: $0) } }
}

/// The MODX/miniShop2 plugin and FormIt hook in `examples/modx/`, run by PHP CLI with
/// miniShop2-shaped objects (`examples/modx/test/run.php`) against a running daemon and fake amoCRM.
@Suite(.enabled(if: PHPCLI.path != nil, "PHP CLI (Debian's php-cli package) is not installed"))
struct ModxPluginTests {
    static let runner = Repository.file("examples/modx/test/run.php").path

    /// Runs `php run.php ARGUMENTS`; its output (MODX log lines and the element's return value).
    static func run(_ arguments: [String]) async throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try #require(PHPCLI.path))
        process.arguments = [runner] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let (output, status) = await ProcessOutput.read(of: process, pipe: pipe)
        #expect(status == 0, "\(output)")
        return output
    }

    /// A checkout (msOnCreateOrder), then a manager marks the order paid (msOnChangeOrderStatus):
    /// one lead with the order's price, goods and route by category, its contact, UTM from the
    /// customer's cookies; the status change moves the lead.
    @Test func anOrderAndItsStatusChangeReachAmoCRM() async throws {
        let fake = try await RunningFake.start(overHTTP: true)
        defer { fake.stop() }
        let daemon = try await RunningDaemon.start(fake: fake) { json in
            json.set("orders.status_map", ["2": 567891])
            json.set(
                "orders.lead_fields", ["goods": "Товары", "delivery.name": "Доставка", "payment.name": "Оплата", "address.city": "Город"])
        }
        let url = "http://127.0.0.1:\(daemon.port)"
        let created = try await Self.run(["create", url, RunningDaemon.intakeToken])
        #expect(created == "RETURN NULL\n", "no MODX log line: \(created)")
        try await daemon.waitIdle()

        let job = try #require(try await daemon.store.list(JobFilter()).first)
        #expect(job.input["id"] == "2411/7")
        #expect(job.input["status"] == "1")
        #expect(job.input["cookies"] == "utm_source=yandex; utm_medium=cpc; _ga=GA1.2.111.222", "no session cookie")
        #expect(job.input.value(at: "items.0.categories") == [40, 12, 3])
        #expect(job.input.value(at: "items.1.sku") == "F-91")

        var state = await fake.state.snapshot()
        let lead = try #require(state["leads"]?.arrayValue?.first)
        #expect(lead["name"] == "Заказ #2411/7")
        #expect(lead["price"] == 6280)
        #expect(lead["pipeline_id"] == 23456, "routed by the kettle's category 40")
        #expect(lead["status_id"] == 567890)
        let fields = customFields(lead)
        #expect(fields["Товары"] == ["Чайник Bosch TWK (K-77) 5100 × 1 = 5100\nФильтр для воды (F-91) 395 × 2 = 790"])
        #expect(fields["Доставка"] == ["Курьер"])
        #expect(fields["Оплата"] == ["Картой онлайн"])
        #expect(fields["Город"] == ["Пермь"])
        #expect(fields["UTM_SOURCE"] == ["yandex"])
        let contact = try #require(state["contacts"]?.arrayValue?.first)
        #expect(contact["name"] == "Иван Петров")
        #expect(customFields(contact)["PHONE"] == ["+79125550102"])
        #expect(customFields(contact)["EMAIL"] == ["ivan@example.org"])
        let note = state["notes"]?.arrayValue?.first?.value(at: "params.text")?.stringValue ?? ""
        #expect(note.contains("Позвонить после 18:00"), "\(note)")

        let paid = try await Self.run(["status", url, RunningDaemon.intakeToken, "2"])
        #expect(paid == "RETURN NULL\n", "\(paid)")
        try await daemon.waitIdle()
        let jobs = try await daemon.store.list(JobFilter())
        #expect(jobs.map(\.kind).sorted { $0.rawValue < $1.rawValue } == [.order, .orderUpdate])
        state = await fake.state.snapshot()
        #expect(state["leads"]?.arrayValue?.count == 1)
        #expect(state["leads"]?.arrayValue?.first?["status_id"] == 567891)

        // Status 1 ("new") follows every checkout: the plugin has already sent it.
        #expect(try await Self.run(["status", url, RunningDaemon.intakeToken, "1"]) == "RETURN NULL\n")
        #expect(try await daemon.store.list(JobFilter()).count == 2)
        await daemon.stop()
    }

    @Test func aFormItSubmissionBecomesAFormJob() async throws {
        let daemon = try await RunningDaemon.start(fake: StaticFake())
        let output = try await Self.run(["form", "http://127.0.0.1:\(daemon.port)", RunningDaemon.intakeToken])
        #expect(output == "RETURN true\n", "\(output)")
        let job = try #require(try await daemon.store.list(JobFilter()).first)
        #expect(job.kind == .form)
        #expect(job.plan.contact?.phones == ["+79125550304"])
        #expect(job.input["utm_source"] == "vk")
        #expect(job.input["nospam"] == nil)
        await daemon.stop()
    }

    /// amosync down, or hanging: the checkout goes on; MODX's log says what happened.
    @Test func aDeadOrHangingDaemonIsLoggedNotWaitedFor() async throws {
        let hanging = try RawListener()  // accepts connections, never answers
        defer { hanging.close() }
        let output = try await Self.run(["create", "http://127.0.0.1:\(hanging.port)", "token", "1"])
        #expect(
            output.hasPrefix(
                "LOG 1 [amosync] order 2411/7 (msOnCreateOrder) was not accepted by http://127.0.0.1:\(hanging.port)/v1/orders"))
        #expect(output.hasSuffix("RETURN NULL\n"))

        let closed = try #require(FreePort.ephemeral())  // nothing listens there
        let refused = try await Self.run(["form", "http://127.0.0.1:\(closed)", "token"])
        #expect(refused.hasSuffix("RETURN true\n"), "a form is never refused: \(refused)")
        #expect(refused.contains("[amosync] form callback was not accepted"), "\(refused)")
    }

    /// amosync → MODX: a manager moves the lead; amosync posts the signed status to
    /// amosync.status.php (behind PHP's own server), which changes the miniShop2 order through
    /// changeOrderStatus; its msOnChangeOrderStatus runs amosync.plugin.php, whose report of the
    /// new status comes back to amosync as the echo of its own write and does not move the lead.
    @Test func aStageWrittenBackChangesTheMiniShop2OrderAndItsEchoDoesNotMoveTheLead() async throws {
        let fake = try await RunningFake.start(overHTTP: true)
        defer { fake.stop() }
        let phpPort = try #require(FreePort.ephemeral())
        let secret = "modx-status-secret-0123456789"
        let key = "amocrm-hook-key-0123456789abcdefghij"
        let daemon = try await RunningDaemon.start(fake: fake) { json in
            json.set("amocrm.webhook", ["public_url": "https://amosync.shop.example", "key": .string(key)])
            // Not each other's inverse: "3" (sent) leads to 32392161; stage 32392162 asks for "3".
            json.set("orders.status_map", ["3": 32_392_161])
            json.set(
                "orders.status_back",
                ["url": .string("http://127.0.0.1:\(phpPort)/status.php"), "secret": .string(secret), "map": ["32392162": "3"]])
        }
        let dir = TempDir()
        let state = dir.file("order.json")
        let server = Process()
        server.executableURL = URL(fileURLWithPath: try #require(PHPCLI.path))
        server.arguments = ["-S", "127.0.0.1:\(phpPort)", Repository.file("examples/modx/test/status-router.php").path]
        server.environment = [
            "AMOSYNC_URL": "http://127.0.0.1:\(daemon.port)", "AMOSYNC_TOKEN": RunningDaemon.intakeToken,
            "AMOSYNC_STATUS_SECRET": secret, "AMOSYNC_TEST_STATE": state,
        ]
        server.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        server.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try server.run()
        // SIGKILL: PHP's server outlived a SIGTERM here (one orphan per run piled up).
        defer { kill(server.processIdentifier, SIGKILL) }
        let endpoint = URL(string: "http://127.0.0.1:\(phpPort)/status.php")!
        func post(_ body: Data, signature: String) async throws -> Int {
            try await URLSessionTransport().send(
                OutgoingRequest(method: "POST", url: endpoint, headers: ["X-Amosync-Signature": signature], body: body)
            ).status
        }
        try await eventually { (try? await post(Data("{}".utf8), signature: "bad")) == 401 }

        #expect(try await Self.run(["create", "http://127.0.0.1:\(daemon.port)", RunningDaemon.intakeToken]) == "RETURN NULL\n")
        try await daemon.waitIdle()
        let lead = try #require(try await daemon.store.leadID(source: "orders", externalID: "2411/7"))
        #expect(await fake.state.move(lead: lead, to: 32_392_162, pipeline: 3_177_727))
        let hook = Data(
            ("leads[status][0][id]=\(lead)&leads[status][0][status_id]=32392162&leads[status][0][pipeline_id]=3177727"
                + "&account[subdomain]=example").utf8)
        let answer = try await daemon.send(
            "/v1/amocrm/events/\(key)", body: hook, contentType: "application/x-www-form-urlencoded", token: nil)
        #expect(answer.status == 200)
        try await daemon.waitIdle()

        let saved = try JSONValue.parse(Data(contentsOf: URL(fileURLWithPath: state)))
        #expect(saved["status"] == 3, "the miniShop2 order is sent")
        #expect(saved.value(at: "changes.0.context") == "mgr")
        #expect(await fake.state.leads[lead]?.statusID == 32_392_162, "the plugin's report of it did not move the lead")
        let echo = try #require(try await daemon.store.list(JobFilter()).first { $0.kind == .orderUpdate })
        #expect(echo.input["status"] == "3")
        #expect(echo.warnings.contains { $0.contains("amosync wrote") })
        let written = try #require(try await daemon.store.list(JobFilter()).first { $0.kind == .statusBack })
        #expect(written.state == .done)

        // What the endpoint refuses: another secret, and an order it does not have.
        let stray = JSONValue.object(["order_id": "9999", "status": 2]).canonicalData
        #expect(try await post(stray, signature: Hashing.hmacBase64(stray, secret: "another-secret-0123456789")) == 401)
        #expect(try await post(stray, signature: Hashing.hmacBase64(stray, secret: secret)) == 404)
        await daemon.stop()
    }
}
