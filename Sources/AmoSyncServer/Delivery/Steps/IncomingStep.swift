import AmoAPI
import AmoSyncCore
import Foundation

/// Step 4b: incoming leads (`unsorted`), one `leads/unsorted/forms` request for the batch. The
/// lead is made as `LeadStep` makes it, without a stage; its contact is the known one by id (the
/// contact index decides), else a new one that amoCRM keeps hidden until a manager accepts the
/// lead. The lead exists at once in the pipeline's incoming stage with the job key stamped on
/// it, so a create whose answer was lost is found by `LeadFinder` like any other lead.
struct IncomingStep: Sendable {
    let leads: LeadStep
    let progress: any BatchProgress
    /// `source_name` of every incoming lead amosync makes.
    static let sourceName = "amosync"

    func run(_ items: [DeliveryItem], _ fields: ResolvedFields) async throws {
        let needing = items.filter {
            $0.active && $0.job.kind != .orderUpdate && $0.plan.lead != nil && $0.job.progress.leadID == nil
                && $0.plan.sales?.incoming != nil
        }
        guard !needing.isEmpty else { return }
        try await leads.lookUp(needing, fields)
        let creating = needing.filter { $0.job.progress.leadID == nil }
        guard !creating.isEmpty else { return try await progress.checkpoint(items) }
        var entries = creating.map { item -> BatchEntry<UnsortedForm> in
            var warnings: [String] = []
            var lead = leads.leadBody(item, fields: fields, warnings: &warnings)
            warnings.forEach(item.warn)
            let pipeline = lead.pipelineID
            (lead.statusID, lead.pipelineID) = (nil, nil)
            let contacts: [Contact]
            if let contact = item.job.progress.contactID {
                contacts = [Contact(id: contact)]
            } else if let contact = item.newContact {
                contacts = [contact]
            } else {
                contacts = []
            }
            let form = item.plan.sales!.incoming!
            // Sent when amosync took it: the job's own time.
            let sentAt = Int(item.job.createdAt.timeIntervalSince1970)
            let metadata = FormMetadata(
                formID: form.formID, formName: form.formName, formPage: form.page, formSentAt: sentAt, ip: form.ip, referer: form.referer)
            let body = UnsortedForm(
                sourceUID: item.plan.key, sourceName: Self.sourceName, pipelineID: pipeline, createdAt: sentAt, metadata: metadata,
                embedded: .init(leads: [lead], contacts: contacts.isEmpty ? nil : contacts), requestID: "")
            return BatchEntry(items: [item], body: body)
        }
        try await leads.markSent(creating, in: items)
        let answer = try await leads.sender.sendBatch(
            &entries, names: fields.names, request: Endpoints.createUnsortedForms,
            sort: { page, sent throws(AnswerMismatch) in
                try BatchAnswer.sort(page, sent: sent, id: { $0.embedded?.leads?.first?.id }, requestID: \.requestID)
            })
        // A lead id that is already another order's lead is not believed (as for `leads/complex`).
        try await leads.checkOwnership(
            answer.compactMapValues { $0.embedded?.leads?.first?.id }, entries, request: Endpoints.Label.createUnsorted)
        for (index, entry) in entries.enumerated() {
            guard let form = answer[index], let lead = form.embedded?.leads?.first?.id else { continue }
            let contact = form.embedded?.contacts?.first?.id
            for item in entry.items {
                item.update { progress in
                    progress.leadID = lead
                    progress.incomingUID = form.uid
                    if progress.contactID == nil, let contact { progress.contactID = contact }
                }
            }
        }
        leads.sender.unanswered(entries, request: Endpoints.Label.createUnsorted) { $0.leadID == nil }
        try await progress.checkpoint(items)
    }
}

extension UnsortedForm: BatchBody {
    /// The lead's values: what amoCRM may refuse (dropped, the lead sent without them).
    var customFieldsValues: [CustomFieldValues]? {
        get { embedded?.leads?.first?.customFieldsValues }
        set {
            guard embedded?.leads?.isEmpty == false else { return }
            embedded?.leads?[0].customFieldsValues = newValue
        }
    }

    mutating func dropResponsibleUser() -> Int? {
        guard embedded?.leads?.isEmpty == false else { return nil }
        defer { embedded?.leads?[0].responsibleUserID = nil }
        return embedded?.leads?[0].responsibleUserID
    }

    var embeddedContact: Contact? {
        get { embedded?.contacts?.first { $0.id == nil } }
        set {
            guard let newValue, let index = embedded?.contacts?.firstIndex(where: { $0.id == nil }) else { return }
            embedded?.contacts?[index] = newValue
        }
    }
}
