import Foundation
import Testing
@testable import AmoSyncCore
@testable import AmoSyncServer
@testable import AmoCRMFake
@testable import TestSupport
@testable import TestFixtures

/// Batching, the contact index and validation inside a batch.
@Suite struct BatchDeliveryTests {
    /// Queues orders before the daemon starts, so the first claim takes them all as one batch.
    static func prequeue(
        _ orders: [JSONValue], fake: RunningFake, dir: TempDir, configure: (inout JSONValue) -> Void = { _ in }
    ) async throws {
        var json = testConfig(fake: fake, dir: dir)
        configure(&json)
        let mapper = Mapper(config: try Config.parse(json.canonicalData, environment: [:]))
        let store = try SQLiteStore(path: dir.file("queue.sqlite3"))
        _ = try await store.enqueue(try orders.map { .versioned(try mapper.mapOrder($0), input: $0) })
    }

    @Test func aBatchCostsOneRequestPerStep() async throws {
        let fake = try await RunningFake.start()
        defer { fake.stop() }
        for index in 0..<15 { await fake.state.seedContact(name: "Existing \(index)", phones: ["+7 912 100 00 \(10 + index)"]) }
        let dir = TempDir()
        let orders = (0..<30).map { index in
            sampleOrder(id: "\(index)", phone: "+7 912 100 00 \(10 + index)", email: nil, extra: ["weight": .number(JSONNumber(index))])
        }
        try await Self.prequeue(orders, fake: fake, dir: dir)
        let daemon = try await RunningDaemon.start(fake: fake, dir: dir)
        try await daemon.waitIdle()
        let stats = await fake.state.requestStats()
        #expect(stats.byEndpoint["POST /api/v4/leads/complex"] == 1)
        #expect(stats.byEndpoint["POST /api/v4/leads/notes"] == 1)
        #expect(stats.byEndpoint["POST /api/v4/leads/custom_fields"] == 1, "missing fields and amosync_key created in one request")
        #expect(stats.byEndpoint["GET /api/v4/contacts"] == 1, "one index sync, no search per order")
        #expect(stats.byEndpoint["POST /api/v4/contacts"] == nil, "new customers are created inside leads/complex")
        let state = await fake.state.snapshot()
        #expect(state["leads"]?.arrayValue?.count == 30)
        #expect(state["contacts"]?.arrayValue?.count == 30, "15 existing + 15 new")
        for lead in state["leads"]?.arrayValue ?? [] {
            #expect(lead.value(at: "_embedded.contacts.0.id") != nil)
        }
        await #expect(try daemon.store.stats().counts[.done] == 30)
        await daemon.stop()
    }

    @Test func aJobFailingValidationFailsAloneInItsBatch() async throws {
        let fake = try await RunningFake.start()
        defer { fake.stop() }
        let dir = TempDir()
        let configure: (inout JSONValue) -> Void = { $0.set("orders.categories", ["99": ["pipeline_id": 99999, "status_id": 1]]) }
        try await Self.prequeue(
            [
                sampleOrder(id: "a", phone: "89120000001"), sampleOrder(id: "bad", phone: "89120000002", categories: [99]),
                sampleOrder(id: "c", phone: "89120000003"),
            ], fake: fake, dir: dir, configure: configure)
        let daemon = try await RunningDaemon.start(fake: fake, dir: dir, configure: configure)
        try await daemon.waitIdle()
        let jobs = try await daemon.store.list(JobFilter())
        #expect(Dictionary(uniqueKeysWithValues: jobs.map { ($0.externalID, $0.state) }) == ["a": .done, "bad": .failed, "c": .done])
        #expect(jobs.allSatisfy { $0.attempts == 1 })
        #expect((await fake.state.snapshot())["leads"]?.arrayValue?.count == 2)
        #expect(
            await fake.state.requestStats().byEndpoint["POST /api/v4/leads/complex"] == 2, "sent once, then once more without the bad lead")
        await daemon.stop()
    }

    @Test func aContactAManagerJustCreatedIsMatchedFromTheIndex() async throws {
        let fake = try await RunningFake.start()
        defer { fake.stop() }
        // Every batch refreshes the index (the reuse window is tested on its own).
        let daemon = try await RunningDaemon.start(fake: fake, options: { $0.indexReuseWindow = .zero })
        _ = try await daemon.send("/v1/orders", json: sampleOrder(id: "1", phone: "89120000001", email: nil))
        try await daemon.waitIdle()
        let manager = await fake.state.seedContact(name: "Created by a manager", phones: ["8-912-000-00-02"])
        _ = try await daemon.send("/v1/orders", json: sampleOrder(id: "2", phone: "+79120000002", email: nil))
        try await daemon.waitIdle()
        let job = try await #require(try daemon.store.list(JobFilter()).first { $0.externalID == "2" })
        #expect(job.progress.contactID == manager)
        let searches = await fake.state.snapshot()["requests"]?["log"]?.arrayValue?.filter {
            $0["path"] == "/api/v4/contacts" && $0["method"] == "GET"
        }
        #expect(searches?.count == 2, "one index refresh per batch, no query search")
        #expect((await fake.state.snapshot())["contacts"]?.arrayValue?.count == 2)
        await daemon.stop()
    }

    /// More contacts changed in one second than a page holds: the cursor cannot move past
    /// that second, so the sync pages through it instead of skipping or looping.
    @Test func aFullSyncPagesThroughContactsWithEqualUpdatedAt() async throws {
        let fake = try await RunningFake.start()
        defer { fake.stop() }
        let second = 1_700_000_000.0
        let now = Date().timeIntervalSince1970
        var ids: Set<Int> = []
        for index in 0..<(ContactIndex.pageSize + 10) {
            ids.insert(
                await fake.state.seedContact(name: "C\(index)", phones: ["+7912\(String(1_000_000 + index))"], updatedAgo: now - second))
        }
        let newer = await fake.state.seedContact(name: "Newer", phones: ["+79990000000"], updatedAgo: now - second - 5)
        let dir = TempDir()
        let index = ContactIndex(
            store: try SQLiteStore(path: dir.file("queue.sqlite3")), client: try testAccount(fake).client, countryCode: "7",
            logger: quietLogger())
        #expect(try await index.refresh())
        await #expect(try index.count() == ids.count + 1)
        await #expect(try index.contacts(withAnyOf: ["+79121000259"]).count == 1, "the last of the equal second")
        await #expect(try index.contacts(withAnyOf: ["+79990000000"]).map(\.id) == [newer])
        let log = await fake.state.snapshot()["requests"]?["log"]?.arrayValue ?? []
        let pages = log.filter { $0["path"] == "/api/v4/contacts" && $0["method"] == "GET" }
        #expect(pages.count == 3, "250 of the second, the other 10 (page 2), then the newer one")
    }

    @Test func theIndexSurvivesRestartsAndHoldsNormalizedKeys() async throws {
        let fake = try await RunningFake.start()
        defer { fake.stop() }
        let id = await fake.state.seedContact(name: "A", phones: ["8 (912) 555-01-02", "+7 495 123 45 67"], emails: [" Mixed@Case.org "])
        let dir = TempDir()
        let store = try SQLiteStore(path: dir.file("queue.sqlite3"))
        let client = try testAccount(fake).client
        let index = ContactIndex(store: store, client: client, countryCode: "7", logger: quietLogger())
        #expect(try await index.refresh())
        await #expect(try index.contacts(withAnyOf: ["+79125550102"]).map(\.id) == [id])
        await #expect(try index.contacts(withAnyOf: ["+74951234567"]).map(\.id) == [id])
        await #expect(try index.contacts(withAnyOf: ["mixed@case.org"]).map(\.id) == [id])
        await #expect(try index.contacts(withAnyOf: ["+79125550103"]).isEmpty)
        let reopened = ContactIndex(
            store: try SQLiteStore(path: dir.file("queue.sqlite3")), client: client, countryCode: "7", logger: quietLogger())
        await #expect(try reopened.count() == 1)
    }
}

@Suite struct DeletedContactTests {
    /// A contact a manager deleted while the index still holds it is forgotten and the customer
    /// created anew: found by `leads/complex` refusing its id (nothing to merge), or, when the
    /// order brings a new email, by the read before the merge (no PATCH of a deleted contact).
    @Test(arguments: [nil, "anna@example.org"] as [String?])
    func aContactDeletedInAmoCRMIsForgottenAndTheCustomerCreatedAnew(newEmail: String?) async throws {
        let fake = try await RunningFake.start()
        defer { fake.stop() }
        let gone = await fake.state.seedContact(name: "Anna", phones: ["+79125550102"])
        let daemon = try await RunningDaemon.start(fake: fake)
        _ = try await daemon.send("/v1/orders", json: sampleOrder(id: "1", email: nil))
        try await daemon.waitIdle()
        await fake.state.deleteContact(gone)  // the index still holds it
        _ = try await daemon.send("/v1/orders", json: sampleOrder(id: "2", email: newEmail))
        try await daemon.waitIdle()
        await daemon.stop()
        let job = try #require(try await daemon.store.list(JobFilter()).first { $0.externalID == "2" })
        #expect(job.state == .done, "\(job.lastError ?? "")")
        #expect(job.warnings.contains("contact #\(gone) no longer exists in amoCRM: a new contact was created"))
        let contacts = try #require(await fake.state.snapshot()["contacts"]?.arrayValue)
        #expect(contacts.count == 1)
        #expect(job.progress.contactID == contacts[0]["id"]?.intValue)
        if let newEmail { #expect(customFields(contacts[0])["EMAIL"] == [newEmail]) }
        #expect(await fake.state.requestStats().byEndpoint["PATCH /api/v4/contacts"] == nil, "no PATCH of a deleted contact")
    }

}

@Suite struct JunkPhoneTests {
    /// A phone that is no number (`555-555-SHIP`) is kept on the contact as written but never
    /// matches: two customers who typed it stay two contacts.
    @Test func aJunkPhoneIsKeptButNeverMatches() async throws {
        let fake = try await RunningFake.start()
        defer { fake.stop() }
        let daemon = try await RunningDaemon.start(fake: fake)
        _ = try await daemon.send("/v1/orders", json: sampleOrder(id: "1", phone: "555-555-SHIP", email: "a@example.org"))
        try await daemon.waitIdle()
        _ = try await daemon.send("/v1/orders", json: sampleOrder(id: "2", phone: "555-555-SHIP", email: "b@example.org"))
        try await daemon.waitIdle()
        await daemon.stop()
        let contacts = try #require(await fake.state.snapshot()["contacts"]?.arrayValue)
        #expect(contacts.count == 2, "no shared match key")
        #expect(contacts.allSatisfy { customFields($0)["PHONE"] == ["555-555-SHIP"] }, "kept as written")
        let jobs = try await daemon.store.list(JobFilter())
        #expect(jobs.allSatisfy { job in job.warnings.contains { $0.contains("\"555-555-SHIP\" is not a valid phone number") } })
    }
}
