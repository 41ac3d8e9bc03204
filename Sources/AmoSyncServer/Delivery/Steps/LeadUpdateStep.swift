import AmoAPI
import AmoSyncCore
import Foundation

/// Step 3: changed orders applied to their leads, one PATCH for the batch.
struct LeadUpdateStep: Sendable {
    let leads: any QueueStore & LedgerStore
    let sender: BatchSender
    let progress: any BatchProgress

    /// Applies changed orders to the lead their first job created: a changed status through
    /// `status_map` (won/lost with the lead's pipeline), price and fields.
    func run(_ items: [DeliveryItem], _ fields: ResolvedFields) async throws {
        let updates = items.filter { $0.active && $0.job.kind == .orderUpdate && $0.job.progress.leadID == nil }
        guard !updates.isEmpty else { return }
        var entries: [BatchEntry<Lead>] = []
        let context = try await leads.updateContext(updates.map(\.job))
        for item in updates {
            let known = context[item.job.id]
            guard let leadID = known?.leadID, let plan = item.plan.lead else {
                item.fail(
                    Attempt(
                        at: sender.clock.date, durationMs: 0, outcome: .failed,
                        error: "this order has no lead yet: its first job was not delivered (retry or cancel that job first)"))
                continue
            }
            var warnings: [String] = []
            // Empty values (only present with skip_empty off) clear the lead's field.
            let values = FieldValueEncoder.capped(
                FieldValueEncoder.encode(plan.fields, resolved: fields.lead, missing: fields.leadMissing, warnings: &warnings).map(\.value),
                names: fields.names, warnings: &warnings)
            warnings.forEach(item.warn)
            var lead = Lead(id: leadID, price: plan.price)
            var moves = false
            if let status = plan.mappedStatusID, try await movesLead(item, known) {
                moves = true
                lead.statusID = status
                if Status.isClosed(status) { lead.pipelineID = plan.pipelineID }
            }
            // Nothing for amoCRM: the status does not move the lead (the shop's echo of our own
            // write, most often) and price and fields are what the delivered version before set.
            if !moves, let before = known?.previousLead, before.price == plan.price, before.fields == plan.fields {
                item.update { $0.leadID = leadID }
                continue
            }
            if !values.isEmpty { lead.customFieldsValues = values }
            entries.append(BatchEntry(items: [item], body: lead))
        }
        let answer = try await sender.sendBatch(
            &entries, names: fields.names, request: Endpoints.updateLeads,
            sort: { page, sent throws(AnswerMismatch) in try BatchAnswer.sort(page, sent: sent, id: \.id, requestID: \.requestID) })
        for (index, entry) in entries.enumerated() {
            guard let result = answer[index] else { continue }
            guard result.id == entry.body.id else {
                throw AmoError(
                    kind: .transient, request: Endpoints.Label.updateLeads, status: 200, title: nil,
                    detail: "amoCRM's answer does not fit the request: lead \(entry.body.id ?? 0) answered as \(result.id ?? 0)")
            }
            entry.items.forEach { $0.update { $0.leadID = result.id } }
        }
        sender.unanswered(entries, request: Endpoints.Label.updateLeads) { $0.leadID == nil }
        try await progress.checkpoint(items)
    }

    /// Whether the update's status moves the lead: only when the shop's status changed (an edit
    /// of the address leaves the lead where the manager put it), and not when the shop reports
    /// the status amosync wrote to it (its `order.updated` for our own write), or a stage the
    /// manager chose would be played back to amoCRM. A changed status amosync did not write is
    /// the shop's own, and ends the ledger's entry (a later return to the written status is the
    /// shop's own change too).
    private func movesLead(_ item: DeliveryItem, _ context: UpdateContext?) async throws -> Bool {
        let job = item.job
        let reported = job.input["status"]?.textValue
        if let previous = context?.previousStatus, previous == reported { return false }
        guard let written = context?.written else { return true }
        if reported == written.status {
            item.warn("the shop reports the status \(written.status) amosync wrote for stage \(written.stageID): the lead is not moved")
            return false
        }
        try await leads.forgetStatusWrite(source: job.source, externalID: job.externalID)
        return true
    }
}
