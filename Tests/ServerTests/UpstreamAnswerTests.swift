import AmoAPI
import Foundation
import Testing
@testable import AmoCRMFake
@testable import AmoSyncCLI
@testable import AmoSyncCore
@testable import AmoSyncServer
@testable import TestSupport
@testable import TestFixtures

/// amoCRM — or whatever sits at its address — answers oddly: no answer ends the daemon, a
/// write that may have been applied is looked for before it is repeated, an answer that does
/// not fit is not believed, and one bad entity does not sink its batch.
@Suite struct UpstreamAnswerTests {
    static let contacts = "GET /api/v4/contacts"
    static let complex = "POST /api/v4/leads/complex"

    static func leads(_ fake: RunningFake) async -> [JSONValue] { (await fake.state.snapshot())["leads"]?.arrayValue ?? [] }
    static func notes(_ fake: RunningFake) async -> [JSONValue] { (await fake.state.snapshot())["notes"]?.arrayValue ?? [] }

    static func requests(_ fake: RunningFake, _ endpoint: String) async -> Int {
        await fake.state.requestStats().byEndpoint[endpoint] ?? 0
    }

    /// Orders queued before the daemon starts, so that they are claimed as one batch.
    static func queued(_ orders: [JSONValue], fake: RunningFake, dir: TempDir) async throws {
        let config = try Config.parse(testConfig(fake: fake, dir: dir).canonicalData, environment: [:])
        let store = try SQLiteStore(path: config.databasePath)
        let mapper = Mapper(config: config)
        _ = try await store.enqueue(try orders.map { .versioned(try mapper.mapOrder($0), input: $0) })
    }

    @Test(arguments: [302, 400, 402, 403, 404])
    func noAnswerToTheContactIndexStopsIntake(status: Int) async throws {
        let fake = try await RunningFake.start()
        defer { fake.stop() }
        var faults = FakeFaults()
        faults.failNext = [.init(count: 1_000, status: status, endpoint: Self.contacts)]
        await fake.state.setFaults(faults)
        let daemon = try await RunningDaemon.start(
            fake: fake, configure: { $0.set("contacts.index_refresh_seconds", 5) },
            options: { $0.indexHeadStart = .milliseconds(100) })
        // The index has met the answer (twice: it was retried, not given up).
        try await eventually { await Self.requests(fake, Self.contacts) >= 2 || status == 400 }
        let order = try await daemon.send("/v1/orders", json: sampleOrder(id: "during-\(status)"))
        #expect(order.status == 202, "intake keeps taking orders")
        let ready = try await daemon.send("/readyz", method: "GET", token: nil)
        if status == 402 {
            #expect(ready.status == 503)
            #expect(ready.json?["problems"]?.arrayValue?.contains("amocrm_account") == true)
            let report = try await StatsReport.collect(config: daemon.daemon.config, store: daemon.store)
            #expect(report.accountProblem != nil, "stats shows why delivery is paused")
        }
        if status == 400 {
            // Filters refused: matching searches instead, and the order is delivered.
            try await daemon.waitIdle()
            #expect(try await daemon.store.list(JobFilter()).first?.state == .done)
        }
        #expect(!daemon.task.isCancelled)
        await daemon.stop()
        // The daemon ran until it was told to stop: its group ended without an error.
        await #expect(throws: Never.self) { try await daemon.task.value }
    }

    @Test func anUnpaidAccountPausesDeliveryWithoutSpendingAttemptsUntilItIsPaid() async throws {
        let fake = try await RunningFake.start()
        defer { fake.stop() }
        var faults = FakeFaults()
        faults.failNext = [.init(count: 3, status: 402, endpoint: Self.complex)]
        await fake.state.setFaults(faults)
        let daemon = try await RunningDaemon.start(fake: fake, options: { $0.authProbeInterval = .milliseconds(200) })
        _ = try await daemon.send("/v1/orders", json: sampleOrder(id: "unpaid"))
        try await daemon.waitIdle()
        let job = try #require(try await daemon.store.list(JobFilter()).first)
        #expect(job.state == .done)
        #expect(job.attempts == 1, "paused attempts are refunded")
        #expect(try await daemon.store.attempts(of: job.id).map(\.outcome) == [.paused, .paused, .paused, .done])
        #expect(await daemon.daemon.health.accountProblem == nil, "cleared once a request worked")
        await daemon.stop()
    }

    @Test(arguments: [FakeFaults.AfterApply.status(500), .status(502), .status(504), .garbage])
    func aLeadThatMayHaveBeenSavedIsLookedForBeforeItIsSentAgain(answer: FakeFaults.AfterApply) async throws {
        let fake = try await RunningFake.start()
        defer { fake.stop() }
        var faults = FakeFaults()
        faults.afterApply = [Self.complex: [answer]]
        await fake.state.setFaults(faults)
        let daemon = try await RunningDaemon.start(fake: fake)
        _ = try await daemon.send("/v1/orders", json: sampleOrder(id: "maybe"))
        try await daemon.waitIdle()
        #expect(await Self.leads(fake).count == 1, "one lead, not two")
        #expect(await Self.requests(fake, Self.complex) == 1, "never sent twice")
        let job = try #require(try await daemon.store.list(JobFilter()).first)
        #expect(job.state == .done)
        #expect(job.progress.leadID == (await Self.leads(fake)).first?["id"]?.intValue)
        #expect(await Self.notes(fake).count == 1)
        await daemon.stop()
    }

    @Test func aNoteThatMayHaveBeenSavedIsNotSentTwice() async throws {
        let fake = try await RunningFake.start()
        defer { fake.stop() }
        var faults = FakeFaults()
        faults.afterApply = ["POST /api/v4/leads/notes": [.status(504)]]
        await fake.state.setFaults(faults)
        let daemon = try await RunningDaemon.start(fake: fake)
        _ = try await daemon.send("/v1/orders", json: sampleOrder(id: "note"))
        try await daemon.waitIdle()
        #expect(await Self.notes(fake).count == 1)
        #expect(try await daemon.store.list(JobFilter()).first?.state == .done)
        await daemon.stop()
    }

    @Test func aContactThatMayHaveBeenSavedIsMatchedInsteadOfCreatedAgain() async throws {
        let fake = try await RunningFake.start()
        defer { fake.stop() }
        var faults = FakeFaults()
        faults.afterApply = ["POST /api/v4/contacts": [.status(502)]]
        await fake.state.setFaults(faults)
        let daemon = try await RunningDaemon.start(fake: fake)
        _ = try await daemon.send("/v1/forms/profile", json: ["name": "Oleg", "email": "oleg@example.org"])
        try await daemon.waitIdle()
        #expect((await fake.state.snapshot())["contacts"]?.arrayValue?.count == 1)
        #expect(try await daemon.store.list(JobFilter()).first?.state == .done)
        await daemon.stop()
    }

    @Test(arguments: ["negative", "zero", "duplicate", "firstLead"])
    func anAnswerThatDoesNotFitIsNotBelieved(kind: String) async throws {
        let fake = try await RunningFake.start()
        defer { fake.stop() }
        let dir = TempDir()
        if kind == "firstLead" {
            // An earlier order has its lead already; the hostile answer names it.
            let first = try await RunningDaemon.start(fake: fake, dir: dir)
            _ = try await first.send("/v1/orders", json: sampleOrder(id: "first", phone: "89120000001", email: nil))
            try await first.waitIdle()
            await first.stop()
        }
        var faults = FakeFaults()
        faults.afterApply = [Self.complex: [.hostile(kind)]]
        await fake.state.setFaults(faults)
        // Two orders in one batch (one for `firstLead`: its id must be another order's, not the neighbour's).
        let orders = [sampleOrder(id: "a", phone: "89120000002", email: nil), sampleOrder(id: "b", phone: "89120000003", email: nil)]
        try await Self.queued(kind == "firstLead" ? [orders[0]] : orders, fake: fake, dir: dir)
        let daemon = try await RunningDaemon.start(fake: fake, dir: dir)
        try await daemon.waitIdle()
        let jobs = try await daemon.store.list(JobFilter())
        #expect(jobs.allSatisfy { $0.state == .done })
        let leadIDs = jobs.compactMap(\.progress.leadID)
        #expect(leadIDs.count == jobs.count && Set(leadIDs).count == leadIDs.count, "every order its own lead: \(leadIDs)")
        #expect(leadIDs.allSatisfy { $0 > 0 })
        let leads = await Self.leads(fake)
        #expect(leads.count == jobs.count, "no second lead")
        let held = Set(leads.compactMap { $0["id"]?.intValue })
        #expect(await Self.notes(fake).allSatisfy { held.contains($0["entity_id"]?.intValue ?? -1) }, "no note on a lead that is not there")
        let attempts = try await daemon.store.attempts(of: try #require(jobs.first { $0.externalID == "a" }).id)
        #expect(attempts.contains { $0.error?.contains("does not fit") == true }, "\(attempts.map { $0.error ?? "" })")
        await daemon.stop()
    }

    @Test(arguments: [302, 307])
    func aRedirectIsRetriedNeverFollowed(status: Int) async throws {
        let fake = try await RunningFake.start(overHTTP: true)  // libcurl must not follow it
        defer { fake.stop() }
        var faults = FakeFaults()
        faults.failNext = [.init(count: 1, status: status, endpoint: Self.complex)]
        await fake.state.setFaults(faults)
        let daemon = try await RunningDaemon.start(fake: fake)
        _ = try await daemon.send("/v1/orders", json: sampleOrder(id: "moved"))
        try await daemon.waitIdle()
        let job = try #require(try await daemon.store.list(JobFilter()).first)
        #expect(job.state == .done)
        #expect(await Self.leads(fake).count == 1)
        await daemon.stop()
    }

    @Test func anOversizedAnswerFailsItsRequestCleanly() async throws {
        let fake = try await RunningFake.start(overHTTP: true)  // the transport's cap on what arrives
        defer { fake.stop() }
        await fake.state.seedContact(name: "Someone", phones: ["+79990000000"])  // the list answer is not empty
        var faults = FakeFaults()
        faults.oversize = [Self.contacts: URLSessionTransport.defaultMaxResponseBytes + 1024]
        await fake.state.setFaults(faults)
        let daemon = try await RunningDaemon.start(fake: fake)
        _ = try await daemon.send("/v1/orders", json: sampleOrder(id: "big"))
        try await daemon.waitIdle()
        let job = try #require(try await daemon.store.list(JobFilter()).first)
        #expect(job.state == .done, "the next read was of normal size")
        #expect(await Self.requests(fake, Self.contacts) >= 2, "the oversized read failed and was made again")
        await daemon.stop()
    }

    @Test func valuesLongerThanAmoCRMTakesAreCutWithAMarker() async throws {
        let fake = try await RunningFake.start()
        defer { fake.stop() }
        let daemon = try await RunningDaemon.start(fake: fake) {
            $0.set("orders.lead_fields", ["comment": "Комментарий"])
            $0.set("orders.lead_name", "{comment}")
        }
        let long = String(repeating: "Очень длинный комментарий. ", count: 400)  // 10,800 characters
        let order = sampleOrder(
            id: "long", extra: ["comment": .string(long), "customer": ["name": .string(long), "phone": "89120000009"]])
        #expect(try await daemon.send("/v1/orders", json: order).status == 202)
        try await daemon.waitIdle()
        let job = try #require(try await daemon.store.list(JobFilter()).first)
        #expect(job.state == .done, "\(job.lastError ?? "")")
        let lead = try #require(await Self.leads(fake).first)
        let name = try #require(lead["name"]?.stringValue)
        #expect(name.unicodeScalars.count == AmoLimits.name && name.hasSuffix(AmoLimits.marker))
        let comment = try #require(
            lead["custom_fields_values"]?.arrayValue?.first { $0["field_name"] == "Комментарий" }?.value(at: "values.0.value")?
                .stringValue)
        #expect(comment.unicodeScalars.count == AmoLimits.text && comment.hasSuffix(AmoLimits.marker))
        let note = try #require(await Self.notes(fake).first?.value(at: "params.text")?.stringValue)
        #expect(note.unicodeScalars.count == AmoLimits.note && note.hasSuffix(AmoLimits.marker))
        #expect(job.warnings.contains { $0.hasPrefix("lead name: ") && $0.contains("cut") })
        let contact = try #require((await fake.state.snapshot())["contacts"]?.arrayValue?.first)
        #expect(contact["name"]?.stringValue?.unicodeScalars.count == AmoLimits.name)
        await daemon.stop()
    }

    @Test func aRequestTooLongForAmoCRMsFrontEndIsNotSent() async throws {
        let fake = try await RunningFake.start()
        defer { fake.stop() }
        let account = try testAccount(fake)
        await #expect {
            _ = try await account.client.send(Endpoints.contacts(query: String(repeating: "a", count: 9_000)))
        } throws: { error in
            (error as? AmoError)?.kind == .rejected && (error as? AmoError)?.status == 414
        }
        #expect(await Self.requests(fake, Self.contacts) == 0)
    }

    @Test func oneBadEntityDoesNotSinkItsBatch() async throws {
        let fake = try await RunningFake.start()
        defer { fake.stop() }
        var faults = FakeFaults()
        faults.refuseWhole = [Self.complex: "Poisoned"]
        await fake.state.setFaults(faults)
        let dir = TempDir()
        var orders = (0..<8).map { sampleOrder(id: "o\($0)", phone: "8912000001\($0)", email: nil) }
        orders[5] = sampleOrder(id: "o5", phone: nil, email: nil, extra: ["customer": ["name": "Poisoned", "phone": "89120000015"]])
        try await Self.queued(orders, fake: fake, dir: dir)
        let daemon = try await RunningDaemon.start(fake: fake, dir: dir)
        try await daemon.waitIdle()
        let jobs = try await daemon.store.list(JobFilter())
        #expect(jobs.filter { $0.state == .done }.count == 7)
        #expect(jobs.first { $0.externalID == "o5" }?.state == .failed)
        #expect(await Self.leads(fake).count == 7)
        #expect(await Self.requests(fake, Self.complex) <= 12, "halves, not one request per order")
        await daemon.stop()
    }
}
