import AmoAPI
import AmoSyncCore
import Foundation

/// Step 4: new leads, one `leads/complex` request for the batch, each with its contact.
struct LeadStep: Sendable {
    let client: AmoClient
    let bodies: ContactBodies
    let sender: BatchSender
    let index: ContactIndex?
    let reader: ContactReader
    let leads: any QueueStore
    let progress: any BatchProgress

    /// Creates the leads of the batch in one `leads/complex` request, each linked to its
    /// contact (an existing one by id, a new one created in the same request) and stamped
    /// with the job key. A job whose earlier create may have taken effect (sent, no clear answer
    /// stored) first looks its key up, so a crash or a lost answer never makes a second lead.
    func run(_ items: [DeliveryItem], _ fields: ResolvedFields) async throws {
        let needing = items.filter {
            $0.active && $0.job.kind != .orderUpdate && $0.plan.lead != nil && $0.job.progress.leadID == nil
                && $0.plan.sales?.incoming == nil
        }
        guard !needing.isEmpty else { return }
        try await lookUp(needing, fields)
        let creating = needing.filter { $0.job.progress.leadID == nil }
        guard !creating.isEmpty else { return try await progress.checkpoint(items) }
        if fields.key == nil {
            creating.forEach { $0.warn("the amosync_key lead field could not be created: a crash while sending may duplicate this lead") }
        }
        var entries = creating.map { item -> BatchEntry<Lead> in
            var warnings: [String] = []
            var body = leadBody(item, fields: fields, warnings: &warnings)
            warnings.forEach(item.warn)
            var embedded = body.embedded ?? Lead.Embedded()
            if let contact = item.job.progress.contactID {
                embedded.contacts = [Contact(id: contact)]
                // Kept in case amoCRM says the contact no longer exists (deleted by a manager).
                if let plan = item.plan.contact {
                    var ignored: [String] = []
                    item.newContact = bodies.createBody(plan, fields: fields, warnings: &ignored)
                }
            } else if let contact = item.newContact {
                embedded.contacts = [contact]
            }
            if embedded != Lead.Embedded() { body.embedded = embedded }
            return BatchEntry(items: [item], body: body)
        }
        try await markSent(creating, in: items)
        let answer = try await sender.sendBatch(
            &entries, names: fields.names, request: Endpoints.createComplex,
            sort: { results, sent throws(AnswerMismatch) in try BatchAnswer.sort(results, sent: sent) })
        try await checkOwnership(answer.filter { !$0.value.merged }.mapValues(\.id), entries, request: Endpoints.Label.complex)
        var created: [Contact] = []
        var mergedContacts: [Int] = []
        for (index, entry) in entries.enumerated() {
            guard let result = answer[index] else { continue }
            for item in entry.items {
                if result.merged {
                    // amoCRM's duplicate control attached this order to an open lead of the same
                    // customer (and kept its contact): the note still goes to that lead.
                    item.warn("merged by amoCRM duplicate control into lead \(result.id)")
                    if let contact = result.contactID { mergedContacts.append(contact) }
                } else if item.job.progress.contactID == nil, let contact = result.contactID, let body = item.newContact {
                    created.append(ContactBodies.createdContact(id: contact, body: body, at: sender.clock.date))
                }
                item.update { progress in
                    progress.leadID = result.id
                    if progress.contactID == nil, let contact = result.contactID {
                        progress.contactID = contact
                        progress.contactUpdated = true
                    }
                }
            }
        }
        try? await index?.record(created)  // one transaction for the batch's new contacts
        if !mergedContacts.isEmpty { _ = try? await reader.read(mergedContacts) }  // the index learns amoCRM's copy
        sender.unanswered(entries, request: Endpoints.Label.complex) { $0.leadID == nil }
        try await progress.checkpoint(items)
    }

    /// Leads whose create may have taken effect are looked up by their job key first.
    func lookUp(_ needing: [DeliveryItem], _ fields: ResolvedFields) async throws {
        let sent = needing.filter { $0.job.progress.leadSent }
        guard !sent.isEmpty, let keyField = fields.key else { return }
        let found = try await LeadFinder(client: client, keyField: keyField).find(sent.map { ($0.plan.key, $0.job.progress.leadSentAt) })
        for item in sent {
            guard let lead = found[item.plan.key] else { continue }
            item.update { progress in
                progress.leadID = lead.id
                progress.contactID = progress.contactID ?? lead.contact
            }
        }
    }

    /// Records that these leads' create is about to be sent (and when), before it is sent: a
    /// retry then looks them up instead of creating them again.
    func markSent(_ creating: [DeliveryItem], in items: [DeliveryItem]) async throws {
        let now = Int(sender.clock.date.timeIntervalSince1970)
        creating.forEach { item in
            item.update {
                $0.leadSent = true
                $0.leadSentAt = now
            }
        }
        try await progress.checkpoint(items)
    }

    /// A new lead's id (by entry index) that is already the lead of another order is not
    /// believed: amoCRM (or whatever answered) gave a wrong answer, and the batch is taken as
    /// maybe applied.
    func checkOwnership<Body>(_ created: [Int: Int], _ entries: [BatchEntry<Body>], request: String) async throws {
        let owners = try await leads.orders(holding: Array(created.values))  // one read for the batch
        for (index, lead) in created {
            guard let item = entries[safe: index]?.items.first, let owner = owners[lead],
                owner.source != item.job.source || owner.externalID != item.job.externalID
            else { continue }
            throw AmoError(
                kind: .unknownOutcome, request: request, status: 200, title: nil,
                detail: "amoCRM's answer does not fit the request: lead \(lead) is already the lead of \(owner.source) "
                    + "\(owner.externalID)")
        }
    }

    func leadBody(_ item: DeliveryItem, fields: ResolvedFields, warnings: inout [String]) -> Lead {
        let plan = item.plan.lead!
        var values = FieldValueEncoder.encode(plan.fields, resolved: fields.lead, missing: fields.leadMissing, warnings: &warnings)
            .map(\.value).setting
        if let key = fields.key { values.append(CustomFieldValues(fieldID: key.id, values: [.init(value: .string(item.plan.key))])) }
        var lead = Lead(
            name: AmoLimits.fit(plan.name, to: AmoLimits.name, what: "lead name", warnings: &warnings), price: plan.price,
            pipelineID: plan.pipelineID, statusID: plan.statusID,
            responsibleUserID: plan.responsibleUserID ?? item.job.progress.assignedUserID)
        if !values.isEmpty {
            lead.customFieldsValues = FieldValueEncoder.capped(
                values, keeping: fields.key.map { [$0.id] } ?? [], names: fields.names, warnings: &warnings)
        }
        if !plan.tags.isEmpty { lead.embedded = Lead.Embedded(tags: plan.tags.map(EntityLinks.Tag.init(name:))) }
        return lead
    }
}
