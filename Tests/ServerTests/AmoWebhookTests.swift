import Foundation
import Hummingbird
import Testing
@testable import AmoSyncCore
@testable import AmoSyncServer
@testable import AmoCRMFake
@testable import TestSupport
@testable import TestFixtures

/// amoCRM's webhook into amosync, and the signed POST to the shop's own backend.
@Suite struct AmoWebhookTests {
    static let key = "amocrm-hook-key-0123456789abcdefghij"
    static let secret = "own-backend-secret-0123456789"

    /// What the shop's own backend received.
    actor Received {
        var posts: [(body: Data, signature: String?)] = []
        func add(_ body: Data, _ signature: String?) { posts.append((body, signature)) }
    }

    /// amoCRM's form-encoded body for one lead's move, with its account.
    static func hookBody(lead: Int, status: Int, modified: Int, subdomain: String = "example") -> Data {
        Data(
            [
                "leads[status][0][id]=\(lead)", "leads[status][0][status_id]=\(status)", "leads[status][0][old_status_id]=32392159",
                "leads[status][0][pipeline_id]=3177727", "leads[status][0][last_modified]=\(modified)",
                "account[subdomain]=\(subdomain)", "account[id]=1231414",
            ].joined(separator: "&").utf8)
    }

    func post(_ daemon: RunningDaemon, key: String = AmoWebhookTests.key, _ body: Data) async throws -> HTTPResult {
        try await daemon.send(
            "/v1/amocrm/events/\(key)", body: body, contentType: "application/x-www-form-urlencoded", token: nil)
    }

    @Test func aWrongKeyIsNotFoundAnotherAccountIsForbiddenAndAMoveIsStoredOnce() async throws {
        let fake = try await RunningFake.start()
        let daemon = try await RunningDaemon.start(fake: fake) { json in
            json.set("amocrm.webhook", ["public_url": "https://amosync.shop.example", "key": .string(Self.key)])
        }
        let body = Self.hookBody(lead: 25_399_013, status: 142, modified: 1_764_748_800)
        #expect(try await post(daemon, key: String(Self.key.dropLast()) + "x", body).status == 404)
        #expect(try await post(daemon, Self.hookBody(lead: 1, status: 142, modified: 1, subdomain: "other")).status == 403)
        let first = try await post(daemon, body)
        #expect(first.status == 200)
        #expect(first.json?["stored"] == 1)
        let jobs = try await daemon.store.list(JobFilter())
        #expect(jobs.map(\.kind) == [.statusBack])
        #expect(jobs.first?.input["lead_id"] == 25_399_013)
        #expect(jobs.first?.input["status_id"] == 142)
        // One POST may carry several leads: each its own job, all stored before the answer.
        let two = Data(
            ("leads[status][0][id]=11&leads[status][0][status_id]=142&leads[status][1][id]=12&leads[status][1][status_id]=143"
                + "&account[subdomain]=example").utf8)
        let both = try await post(daemon, two)
        #expect(both.json?["stored"] == 2)
        let stored = try await daemon.store.list(JobFilter()).filter { $0.kind == .statusBack }.map { $0.input["lead_id"]?.intValue }
        #expect(Set(stored) == [25_399_013, 11, 12])
        await daemon.stop()
    }

    @Test func theOwnBackendGetsASignedPostAndItsEchoDoesNotMoveTheLead() async throws {
        let fake = try await RunningFake.start(overHTTP: true)
        defer { fake.stop() }
        let received = Received()
        let router = Router()
        router.post("/amosync/status") { request, _ -> Response in
            let body = Data(buffer: try await request.body.collect(upTo: 1 << 16))
            await received.add(body, request.headers[.init("X-Amosync-Signature")!])
            return Response(status: .ok)
        }
        let box = PortBox()
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { await box.set($0.localAddress?.port ?? 0) })
        let backend = Task { try await app.runService(gracefulShutdownSignals: []) }
        defer { backend.cancel() }
        let port = await box.wait()
        let daemon = try await RunningDaemon.start(fake: fake) { json in
            json.set("amocrm.webhook", ["public_url": "https://amosync.shop.example", "key": .string(Self.key)])
            // Not each other's inverse: "paid" leads to 32392161, stage 32392162 asks for "paid".
            json.set(
                "orders.status_back",
                ["url": .string("http://127.0.0.1:\(port)/amosync/status"), "secret": .string(Self.secret), "map": ["32392162": "paid"]])
        }
        #expect(try await daemon.send("/v1/orders", json: sampleOrder(extra: ["status": "new"])).status == 202)
        try await daemon.waitIdle()
        let lead = try #require(try await daemon.store.leadID(source: "orders", externalID: "1042"))

        // A manager moves the lead; amoCRM tells amosync.
        #expect(await fake.state.move(lead: lead, to: 32_392_162, pipeline: 3_177_727))
        #expect(try await post(daemon, Self.hookBody(lead: lead, status: 32_392_162, modified: 1_764_748_800)).status == 200)
        try await daemon.waitIdle()
        let posts = await received.posts
        try #require(posts.count == 1)
        #expect(Hashing.verifyHMACBase64(posts[0].signature, body: posts[0].body, secret: Self.secret))
        let sent = try JSONValue.parse(posts[0].body)
        #expect(sent["order_id"] == "1042")
        #expect(sent["status"] == "paid")
        #expect(sent["lead_id"]?.intValue == lead)
        #expect(sent["status_id"] == 32_392_162)
        #expect(sent["pipeline_id"] == 3_177_727)

        // The shop's backend reports the status amosync wrote: the lead stays where the manager put
        // it, and with nothing else changed amoCRM is not asked at all.
        let patches = await fake.state.requestStats().byEndpoint["PATCH /api/v4/leads"] ?? 0
        #expect(try await daemon.send("/v1/orders", json: sampleOrder(extra: ["status": "paid"])).status == 202)
        try await daemon.waitIdle()
        #expect(await fake.state.leads[lead]?.statusID == 32_392_162)
        #expect(await fake.state.requestStats().byEndpoint["PATCH /api/v4/leads"] ?? 0 == patches)
        let update = try #require(try await daemon.store.list(JobFilter()).first { $0.kind == .orderUpdate })
        #expect(update.warnings.contains { $0.contains("amosync wrote") })
        // The same move again (a re-read finds the order already paid): nothing more is posted.
        #expect(try await post(daemon, Self.hookBody(lead: lead, status: 32_392_162, modified: 1_764_748_900)).status == 200)
        try await daemon.waitIdle()
        #expect(await received.posts.count == 1)
        // The shop changes the order itself: that moves the lead, and the ledger forgets our write.
        #expect(try await daemon.send("/v1/orders", json: sampleOrder(extra: ["status": "completed"])).status == 202)
        try await daemon.waitIdle()
        #expect(await fake.state.leads[lead]?.statusID == 142)
        #expect(await fake.state.requestStats().byEndpoint["PATCH /api/v4/leads"] == patches + 1, "this one is sent")
        #expect(try await daemon.store.statusWrite(source: "orders", externalID: "1042") == nil)
        // An edit that leaves the status as it was leaves the lead where the manager put it.
        #expect(await fake.state.move(lead: lead, to: 32_392_160, pipeline: 3_177_727))
        let edited = sampleOrder(extra: ["status": "completed", "comment": "Leave at the door"])
        #expect(try await daemon.send("/v1/orders", json: edited).status == 202)
        try await daemon.waitIdle()
        #expect(await fake.state.leads[lead]?.statusID == 32_392_160)
        await daemon.stop()
    }

    @Test func installRegistersExactlyOneHookAndStatusSaysHowItStands() async throws {
        let fake = try await RunningFake.start()
        var json = testConfig(fake: fake, dir: TempDir())
        json.set("amocrm.webhook", ["public_url": "https://amosync.shop.example/", "key": .string(Self.key)])
        let config = try Config.parse(json.canonicalData, environment: [:])
        let hook = AmoHook(config: config, client: try testAccount(fake).client)
        #expect(try await hook.state() == .missing)
        try await hook.install()
        try await hook.install()
        #expect(try await hook.state() == .registered)
        let hooks = await fake.state.webhooks
        #expect(
            hooks.map(\.destination) == ["https://amosync.shop.example/v1/amocrm/events/\(Self.key)"], "one hook, however often installed")
        #expect(hooks.first?.settings == ["status_lead"])
        await fake.state.disableWebhooks()
        #expect(try await hook.state() == .disabled)
        try await hook.install()
        #expect(try await hook.state() == .registered, "install enables a hook amoCRM switched off")
        try await hook.remove()
        #expect(try await hook.state() == .missing)
        #expect(await fake.state.webhooks.isEmpty)
    }
}
