import AmoAPI
import Foundation
import Testing
@testable import AmoSyncCore
@testable import AmoSyncServer
@testable import AmoCRMFake
@testable import AmoSyncCLI
@testable import TestSupport
@testable import TestFixtures

/// The contact index in the daemon's default mode: the full sync in the background at its own
/// pace, search while it runs, a refresh on a timer instead of in front of every batch.
@Suite struct BackgroundIndexTests {
    /// GET requests to `/api/v4/contacts` in the fake's log, with their query parameters.
    static func contactReads(_ fake: RunningFake) async -> [[String: String]] {
        let log = await fake.state.snapshot()["requests"]?["log"]?.arrayValue ?? []
        return log.filter { $0["path"] == "/api/v4/contacts" && $0["method"] == "GET" }.map {
            ($0["query"]?.objectValue ?? [:]).compactMapValues(\.stringValue)
        }
    }

    /// A contact in the shape `GET /api/v4/contacts` answers: the index keeps only what
    /// matching and merging read, and reads the same contact back from it.
    @Test func theIndexKeepsAContactReducedToWhatMatchingReads() throws {
        let amo = try JSONValue.parse(
            Data(
                """
                {"id":3,"name":"Иван Иванов","first_name":"Иван","last_name":"Иванов","responsible_user_id":504141,"group_id":0,
                 "created_by":504141,"updated_by":504141,"created_at":1582117331,"updated_at":1590943929,"closest_task_at":null,
                 "is_deleted":false,"is_unsorted":false,"account_id":28805383,
                 "custom_fields_values":[
                   {"field_id":3,"field_name":"Телефон","field_code":"PHONE","field_type":"multitext",
                    "values":[{"value":"+7 912 555-01-02","enum_id":1,"enum_code":"WORK"},
                              {"value":"8 (495) 123-45-67","enum_id":3,"enum_code":"MOB"}]},
                   {"field_id":5,"field_name":"Email","field_code":"EMAIL","field_type":"multitext",
                    "values":[{"value":"ivan@example.org","enum_id":7,"enum_code":"WORK"}]},
                   {"field_id":881,"field_name":"Должность","field_code":null,"field_type":"text","values":[{"value":"Закупщик"}]}],
                 "_links":{"self":{"href":"https://example.amocrm.ru/api/v4/contacts/3"}},
                 "_embedded":{"tags":[{"id":5,"name":"b2b","color":null}],"companies":[{"id":1,"_links":{"self":{"href":"x"}}}]}}
                """.utf8))
        let contact = try AmoJSON.decode(Contact.self, from: amo)
        let compact = ExistingContact.compact(contact)
        let full = try #require(ExistingContact(contact))
        let read = try #require(ExistingContact(try AmoJSON.decode(Contact.self, from: try AmoJSON.encode(compact))))
        #expect(read.id == 3)
        #expect(read.name == full.name)
        #expect(read.updatedAt == 1_590_943_929)
        #expect(read.phones.map(\.value) == ["+7 912 555-01-02", "8 (495) 123-45-67"])
        #expect(read.phones.map(\.enumCode) == ["WORK", "MOB"])
        #expect(read.emails.map(\.value) == ["ivan@example.org"])
        #expect(read.filledFields == [881])
        #expect(read.keys(countryCode: "7") == ["+79125550102", "+74951234567", "ivan@example.org"])
        #expect(try AmoJSON.encode(compact).count * 2 < amo.canonicalString.utf8.count, "less than half the size")
    }

    @Test func aLoneOrderOnAFreshIndexSendsOnlyTheLeadAndTheNote() async throws {
        let fake = try await RunningFake.start()
        defer { fake.stop() }
        let existing = await fake.state.seedContact(name: "Anna", phones: ["+79120000001"])
        let daemon = try await RunningDaemon.start(fake: fake) { $0.set("contacts.index_refresh_seconds", 3600) }
        try await eventually { try await daemon.store.indexPosition().complete }
        _ = try await daemon.send("/v1/orders", json: sampleOrder(id: "1", phone: "89120000001", email: nil))
        try await daemon.waitIdle()
        let before = await fake.state.requestStats().byEndpoint
        _ = try await daemon.send("/v1/orders", json: sampleOrder(id: "2", phone: "89120000002", email: nil))
        try await daemon.waitIdle()
        let after = await fake.state.requestStats().byEndpoint
        let sent = after.filter { $0.value != before[$0.key] }.reduce(into: [String: Int]()) {
            $0[$1.key] = $1.value - (before[$1.key] ?? 0)
        }
        #expect(sent == ["POST /api/v4/leads/complex": 1, "POST /api/v4/leads/notes": 1], "no index refresh in front of it")
        let jobs = try await daemon.store.list(JobFilter())
        #expect(jobs.first { $0.externalID == "1" }?.progress.contactID == existing, "matched from the index")
        #expect(jobs.allSatisfy { $0.state == .done })
        await daemon.stop()
    }

    /// Within the head start, batches wait for the full sync instead of searching (a long head
    /// start here, so that nothing depends on how fast the pages come).
    @Test func withinTheHeadStartBatchesWaitForTheSyncInsteadOfSearching() async throws {
        let fake = try await RunningFake.start()
        defer { fake.stop() }
        var ids: [Int] = []
        for index in 0..<300 {
            ids.append(
                await fake.state.seedContact(
                    name: "Customer \(index)", phones: ["+7912\(String(1_000_000 + index))"], updatedAgo: Double(400 - index)))
        }
        let daemon = try await RunningDaemon.start(
            fake: fake, configure: { $0.set("contacts.index_refresh_seconds", 3600) }, options: { $0.indexHeadStart = .seconds(60) })
        _ = try await daemon.send("/v1/orders", json: sampleOrder(id: "old", phone: "8 912 100 02 99", email: nil))
        _ = try await daemon.send("/v1/orders", json: sampleOrder(id: "new", phone: "8 912 999 00 02", email: nil))
        try await daemon.waitIdle()
        let jobs = try await daemon.store.list(JobFilter())
        #expect(jobs.first { $0.externalID == "old" }?.progress.contactID == ids[299])
        #expect(await Self.contactReads(fake).allSatisfy { $0["query"] == nil }, "no search: the batch waited for the sync")
        #expect(try await daemon.store.indexPosition().complete)
        #expect((await fake.state.snapshot())["contacts"]?.arrayValue?.count == 301)
        await daemon.stop()
    }

    @Test func whileTheFullSyncRunsCustomersAreSearchedAndItResumesAfterARestart() async throws {
        let fake = try await RunningFake.start()
        defer { fake.stop() }
        // Three pages, oldest first; the last customer is on the last page.
        var ids: [Int] = []
        for index in 0..<600 {
            ids.append(
                await fake.state.seedContact(
                    name: "Customer \(index)", phones: ["+7912\(String(1_000_000 + index))"], updatedAgo: Double(700 - index)))
        }
        let dir = TempDir()
        // One page every ten seconds: the sync is still at its first page while the orders go.
        let slow = try await RunningDaemon.start(
            fake: fake, dir: dir,
            configure: {
                $0.set("contacts.index_refresh_seconds", 3600)
                $0.set("contacts.index_sync_requests_per_second", 0.1)
            }, options: { $0.indexHeadStart = .zero })
        try await eventually { try await slow.store.indexPosition().origin != nil }
        let partial = try await slow.store.indexPosition()
        #expect(!partial.complete)
        #expect(partial.cursor > 0)
        let stats = try await StatsReport.collect(config: slow.daemon.config, store: slow.store)
        #expect(stats.indexLine.hasPrefix("contact index: syncing, 250 contacts"))
        #expect(stats.json["contact_index"]?["state"] == "syncing")
        _ = try await slow.send("/v1/orders", json: sampleOrder(id: "last-page", phone: "8 912 100 05 99", email: nil))
        _ = try await slow.send("/v1/orders", json: sampleOrder(id: "new", phone: "8 912 999 00 01", email: nil))
        try await slow.waitIdle()
        let jobs = try await slow.store.list(JobFilter())
        #expect(jobs.first { $0.externalID == "last-page" }?.progress.contactID == ids[599], "found by search, not created again")
        #expect((await fake.state.snapshot())["contacts"]?.arrayValue?.count == 601, "only the new customer was created")
        #expect(await Self.contactReads(fake).contains { $0["query"] == "9121000599" })
        #expect(try await !slow.store.indexPosition().complete)
        await slow.stop()

        let fast = try await RunningDaemon.start(fake: fake, dir: dir) { $0.set("contacts.index_refresh_seconds", 3600) }
        try await eventually { try await fast.store.indexPosition().complete }
        let pages = await Self.contactReads(fake).filter { $0["filter[updated_at][from]"] != nil }
        #expect(pages.filter { $0["filter[updated_at][from]"] == "0" }.count == 1, "the restart went on from its cursor")
        #expect(pages.dropFirst().first?["filter[updated_at][from]"] == "\(partial.cursor)")
        await #expect(try fast.store.indexedContactCount() == 601)
        let done = try await StatsReport.collect(config: fast.daemon.config, store: fast.store)
        #expect(done.indexLine.hasPrefix("contact index: complete, 601 contacts"))
        await fast.stop()
    }
}
