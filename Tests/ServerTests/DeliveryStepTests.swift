import AmoAPI
import Foundation
import Testing

@testable import AmoCRMFake
@testable import AmoSyncCore
@testable import AmoSyncServer
@testable import TestSupport

/// Each delivery step on its own, against the fake amoCRM over loopback and a real queue file.
@Suite struct DeliveryStepTests {
    /// The orders queued and claimed as one batch, as a lane would hold them.
    struct Batch {
        let dir: TempDir
        let config: Config
        let store: SQLiteStore
        let items: [DeliveryItem]
        let client: AmoClient
        var progress: StoredProgress { StoredProgress(store: store, policy: RetryPolicy(config.worker), now: Date.init) }
        var sender: BatchSender { BatchSender(client: client, index: nil, progress: progress, clock: SystemTime()) }
    }

    static func claimed(_ orders: [JSONValue], fake: RunningFake, dir: TempDir) async throws -> Batch {
        let config = try Config.parse(testConfig(fake: fake, dir: dir).canonicalData, environment: [:])
        let store = try SQLiteStore(path: config.databasePath)
        let mapper = Mapper(config: config)
        _ = try await store.enqueue(try orders.map { .versioned(try mapper.mapOrder($0), input: $0) })
        let jobs = try await store.claimBatch(limit: 50, leaseFor: 60)
        return Batch(
            dir: dir, config: config, store: store, items: jobs.map { DeliveryItem(job: $0) }, client: try testAccount(fake).client)
    }

    @Test func fieldStepCreatesMissingFieldsAndTheKeyInOneRequest() async throws {
        let fake = try await RunningFake.start()
        defer { fake.stop() }
        let batch = try await Self.claimed(
            [sampleOrder(id: "1", extra: ["weight": 2]), sampleOrder(id: "2", extra: ["weight": 3])], fake: fake, dir: TempDir())
        let step = FieldStep(catalog: FieldCatalog(client: batch.client), autoCreateLeads: true, autoCreateContacts: true)
        let fields = try await step.resolve(batch.items)
        #expect(fields.key?.name == "amosync_key")
        #expect(Set(fields.lead.keys.map(\.label)) == ["Товары", "Доставка", "Вес", "amosync_key"])
        #expect(fields.leadMissing.isEmpty)
        let stats = await fake.state.requestStats()
        #expect(stats.byEndpoint["POST /api/v4/leads/custom_fields"] == 1, "\(stats.byEndpoint)")
        let again = try await step.resolve(batch.items)
        #expect(again.key?.id == fields.key?.id)
        #expect(await fake.state.requestStats().byEndpoint["POST /api/v4/leads/custom_fields"] == 1, "created once, then known")
    }

    @Test func fieldStepWithoutAutoCreateNamesWhatIsMissing() async throws {
        let fake = try await RunningFake.start()
        defer { fake.stop() }
        let batch = try await Self.claimed([sampleOrder(id: "1", extra: ["weight": 2])], fake: fake, dir: TempDir())
        let step = FieldStep(catalog: FieldCatalog(client: batch.client), autoCreateLeads: false, autoCreateContacts: false)
        let fields = try await step.resolve(batch.items)
        #expect(fields.leadMissing[.name("Вес", type: nil)] != nil, "\(fields.leadMissing)")
        #expect(fields.key != nil, "the key field is created whatever the config says")
    }

    @Test func contactBodiesAppendWithoutErasing() throws {
        var contacts = Config.Contacts()
        contacts.readonlyFields = ["name"]
        let bodies = ContactBodies(contacts: contacts)
        let existing = try #require(
            ExistingContact(
                ExistingContact.contact(
                    id: 5, name: "Anna", updatedAt: 1, phones: [("8 912 555-01-02", "MOB")], emails: [("anna@example.org", "PRIV")])))
        var warnings: [String] = []
        let same = ContactPlan(name: "Someone Else", phones: ["+79125550102"], emails: ["anna@example.org"])
        #expect(bodies.mergeBody(existing, plan: same, fields: ResolvedFields(), warnings: &warnings) == nil, "nothing new: no request")

        let more = ContactPlan(name: "Someone Else", phones: ["+79125550102", "+79990000001"], emails: ["anna@example.org"])
        let body = try #require(bodies.mergeBody(existing, plan: more, fields: ResolvedFields(), warnings: &warnings))
        #expect(body.name == nil, "a readonly name is never touched")
        let phones = try #require(body.customFieldsValues?.first { $0.fieldCode == "PHONE" })
        #expect(
            phones.values
                == [.init(value: "8 912 555-01-02", enumCode: "MOB"), .init(value: "+79990000001", enumCode: contacts.phoneEnum)])
        #expect(body.customFieldsValues?.contains { $0.fieldCode == "EMAIL" } == false, "emails untouched")
    }

    @Test func senderDropsARefusedValueAndSendsTheRestAgain() async throws {
        let fake = try await RunningFake.start()
        defer { fake.stop() }
        let batch = try await Self.claimed([sampleOrder(id: "1")], fake: fake, dir: TempDir())
        var entries = [
            BatchEntry(
                items: batch.items,
                body: Contact(
                    name: "Anna",
                    customFieldsValues: [CustomFieldValues(fieldCode: "PHONE", values: [.init(value: "+79125550102", enumCode: "NOPE")])]))
        ]
        let answer = try await batch.sender.sendBatch(
            &entries, names: [:], request: Endpoints.createContacts,
            sort: { page, sent throws(AnswerMismatch) in try BatchAnswer.sort(page, sent: sent, id: \.id, requestID: \.requestID) })
        let id = try #require(answer[0]?.id)
        #expect(batch.items[0].job.warnings.contains { $0.hasPrefix("field PHONE: value refused by amoCRM (NotSupportedChoice") })
        #expect(batch.items[0].active, "a dropped value does not fail the job")
        let contact = try #require(await fake.state.snapshot()["contacts"]?.arrayValue?.first)
        #expect(contact["id"]?.intValue == id)
        #expect(
            (contact["custom_fields_values"]?.arrayValue ?? []).isEmpty, "created without the refused phone: \(contact)")
        #expect(await fake.state.requestStats().byEndpoint["POST /api/v4/contacts"] == 2, "refused once, then sent without the value")
    }

    @Test func leadUpdateStepFailsAnOrderWhoseLeadWasNeverMade() async throws {
        let fake = try await RunningFake.start()
        defer { fake.stop() }
        let dir = TempDir()
        let first = try await Self.claimed([sampleOrder(id: "9")], fake: fake, dir: dir)
        // The first job failed and an operator cancelled it: the order never got a lead.
        _ = try await first.store.finish([(first.items[0].job, .failed, Attempt(at: Date(), durationMs: 0, outcome: .failed))])
        #expect(try await first.store.cancel(ids: [first.items[0].job.id]).first?.to == .cancelled)
        let update = try await Self.claimed([sampleOrder(id: "9", extra: ["status": "paid"])], fake: fake, dir: dir)
        try #require(update.items.map(\.job.kind) == [.orderUpdate])
        let step = LeadUpdateStep(leads: update.store, sender: update.sender, progress: update.progress)
        try await step.run(update.items, ResolvedFields())
        #expect(update.items[0].resolution == .failed)
        #expect(update.items[0].attempt?.error?.contains("this order has no lead yet") == true)
        #expect(await fake.state.requestStats().byEndpoint["PATCH /api/v4/leads"] == nil, "nothing sent")
    }

    @Test func noteStepLooksBeforeSendingANoteAgain() async throws {
        let fake = try await RunningFake.start()
        defer { fake.stop() }
        let batch = try await Self.claimed([sampleOrder(id: "1")], fake: fake, dir: TempDir())
        let item = batch.items[0]
        let lead = try await batch.client.send(try Endpoints.createComplex([Lead(name: "Order 1")]))
        let leadID = try #require(lead.first?.id)
        let note = try #require(item.plan.note)
        let sent = try await batch.client.send(try Endpoints.createNotes([Note(entityID: leadID, text: note)]))
        let noteID = try #require(sent.items.first?.id)
        // A crash after the note was sent, before its answer was stored.
        item.update {
            $0.leadID = leadID
            $0.noteSent = true
        }
        try await NoteStep(client: batch.client, sender: batch.sender, progress: batch.progress).run(batch.items)
        #expect(item.job.progress.noteID == noteID)
        #expect(await fake.state.requestStats().byEndpoint["POST /api/v4/leads/notes"] == 1, "found, not sent twice")
        let stored = try #require(try await batch.store.job(item.job.id))
        #expect(stored.progress.noteID == noteID, "checkpointed in the row")
    }

    @Test func aJobThatRunsOutOfAttemptsFailsAndSaysSo() async throws {
        let fake = try await RunningFake.start()
        defer { fake.stop() }
        let batch = try await Self.claimed([sampleOrder(id: "1"), sampleOrder(id: "2")], fake: fake, dir: TempDir())
        let progress = StoredProgress(store: batch.store, policy: RetryPolicy(base: 1, max: 10, maxAttempts: 1), now: Date.init)
        let attempt = Attempt(at: Date(), durationMs: 0, outcome: .retry, error: "amoCRM's answer did not include this entity")
        progress.retryOrFail(batch.items[0], attempt)
        #expect(batch.items[0].resolution == .failed)
        #expect(batch.items[0].attempt?.error == "amoCRM's answer did not include this entity (attempt 1 of 1, giving up)")
        let patient = StoredProgress(store: batch.store, policy: RetryPolicy(base: 1, max: 10, maxAttempts: 2), now: Date.init)
        patient.retryOrFail(batch.items[1], attempt)
        guard case .retry(_, let refund) = batch.items[1].resolution else {
            Issue.record("expected a retry, got \(String(describing: batch.items[1].resolution))")
            return
        }
        #expect(!refund, "the attempt counts")
    }
}

/// Where amoCRM is stricter than a kind fake: duplicate control, fresh merges, field pages, 40 values.
@Suite struct StrictAccountTests {
    /// With duplicate control on, amoCRM merges a repeat customer's new lead into their open one
    /// (`merged: true`, the existing id) and answers two leads of one customer in one request
    /// with one result carrying both request ids.
    @Test func duplicateControlMergesAndEveryRequestIDIsMatched() async throws {
        let fake = try await RunningFake.start()
        defer { fake.stop() }
        await fake.state.setDuplicateControl(true)
        let dir = TempDir()
        try await BatchDeliveryTests.prequeue(
            [sampleOrder(id: "1", phone: "89125550111", email: nil), sampleOrder(id: "2", phone: "89125550111", email: nil)],
            fake: fake, dir: dir)
        let daemon = try await RunningDaemon.start(fake: fake, dir: dir)
        try await daemon.waitIdle()
        _ = try await daemon.send("/v1/orders", json: sampleOrder(id: "3", phone: "+7 912 555-01-11", email: nil))
        try await daemon.waitIdle()
        await daemon.stop()
        let jobs = try await daemon.store.list(JobFilter()).sorted { $0.id < $1.id }
        #expect(jobs.map(\.state) == [.done, .done, .done])
        #expect(jobs.allSatisfy { $0.attempts == 1 }, "no entry was taken for unanswered")
        let state = await fake.state.snapshot()
        let leads = try #require(state["leads"]?.arrayValue)
        #expect(leads.count == 1, "one open lead for the customer")
        let lead = try #require(leads.first?["id"]?.intValue)
        #expect(jobs.map(\.progress.leadID) == [lead, lead, lead])
        #expect(jobs[2].warnings.contains("merged by amoCRM duplicate control into lead \(lead)"))
        #expect(state["notes"]?.arrayValue?.filter { $0["entity_id"]?.intValue == lead }.count == 3, "every order's note")
        #expect(state["contacts"]?.arrayValue?.count == 1)
    }

    /// A manager adds a phone after the index was refreshed; the merge reads the contact first
    /// and keeps it.
    @Test func aMergeKeepsAPhoneAManagerAddedAfterTheIndexRefresh() async throws {
        let fake = try await RunningFake.start()
        defer { fake.stop() }
        let contact = await fake.state.seedContact(name: "Anna", phones: ["+79125550102"])
        let batch = try await DeliveryStepTests.claimed(
            [sampleOrder(id: "1", phone: "+79125550102", email: "anna@example.org")], fake: fake, dir: TempDir())
        let time = ManualTime()
        let index = ContactIndex(
            store: batch.store, client: batch.client, countryCode: "7", logger: quietLogger(), reuseWindow: .seconds(60), clock: time)
        #expect(try await index.refresh())
        await fake.state.addPhone("+7 999 000-00-01", to: contact)  // seconds before the batch; the index does not know
        let matcher = ContactMatcher(client: batch.client, countryCode: "7", matchBy: batch.config.contacts.matchBy, index: index)
        let step = ContactStep(
            matcher: matcher, bodies: ContactBodies(contacts: batch.config.contacts), sender: batch.sender, index: index,
            reader: ContactReader(client: batch.client, index: index), progress: batch.progress)
        try await step.run(batch.items, ResolvedFields())
        #expect(batch.items[0].job.progress.contactID == contact)
        let stored = try #require(await fake.state.snapshot()["contacts"]?.arrayValue?.first)
        #expect(customFields(stored)["PHONE"] == ["+79125550102", "+7 999 000-00-01"], "the manager's phone is kept")
        #expect(customFields(stored)["EMAIL"] == ["anna@example.org"])
        let stats = await fake.state.requestStats()
        #expect(stats.byEndpoint["GET /api/v4/contacts"] == 2, "the index refresh, then one read by id: \(stats.byEndpoint)")
        #expect(stats.byEndpoint["PATCH /api/v4/contacts"] == 1)
    }

    /// amoCRM sends custom field lists 50 a page: a field on page 2 is found, not created again.
    @Test func aFieldOnTheSecondPageIsFound() async throws {
        let fake = try await RunningFake.start()
        defer { fake.stop() }
        for index in 0..<60 { await fake.state.seedField("leads", name: "Поле \(index)") }
        let batch = try await DeliveryStepTests.claimed(
            [sampleOrder(id: "1", extra: ["amocrm": ["lead": ["Поле 59": "x"]]])], fake: fake, dir: TempDir())
        let step = FieldStep(catalog: FieldCatalog(client: batch.client), autoCreateLeads: false, autoCreateContacts: false)
        let fields = try await step.resolve(batch.items)
        #expect(fields.lead[.name("Поле 59", type: nil)] != nil, "\(fields.leadMissing)")
        let stats = await fake.state.requestStats()
        #expect(stats.byEndpoint["GET /api/v4/leads/custom_fields"] == 2)
    }

    /// amoCRM refuses more than 40 custom field values per lead: the first 40 go, with a warning
    /// naming the rest, and the order is delivered.
    @Test func moreThanFortyFieldValuesAreCappedWithAWarning() async throws {
        let fake = try await RunningFake.start()
        defer { fake.stop() }
        var overrides: [String: JSONValue] = [:]
        for index in 0..<45 { overrides["Поле \(String(format: "%02d", index))"] = .string("v\(index)") }
        let daemon = try await RunningDaemon.start(fake: fake)
        _ = try await daemon.send("/v1/orders", json: sampleOrder(id: "1", extra: ["amocrm": ["lead": .object(overrides)]]))
        try await daemon.waitIdle()
        await daemon.stop()
        let job = try #require(try await daemon.store.list(JobFilter()).first)
        #expect(job.state == .done, "\(job.lastError ?? "")")
        let warning = try #require(job.warnings.first { $0.contains("amoCRM takes 40 per entity") }, "\(job.warnings)")
        let lead = try #require(await fake.state.snapshot()["leads"]?.arrayValue?.first)
        let values = lead["custom_fields_values"]?.arrayValue ?? []
        #expect(values.count == 40)
        #expect(values.contains { $0["field_name"] == "amosync_key" }, "the job key is never dropped")
        #expect(warning.hasSuffix("Поле 40, Поле 41, Поле 42, Поле 43, Поле 44"), "\(warning)")
    }
}
