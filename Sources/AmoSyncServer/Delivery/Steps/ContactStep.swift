import AmoAPI
import AmoSyncCore
import Foundation

/// Step 2: each customer's contact, found through the index (or a search) or created.
struct ContactStep: Sendable {
    let matcher: ContactMatcher
    let bodies: ContactBodies
    let sender: BatchSender
    let index: ContactIndex?
    let reader: ContactReader
    let progress: any BatchProgress

    /// Finds or creates each customer's contact (one per group of jobs sharing a phone or
    /// email), merges new phones, emails and fields into existing contacts, then records
    /// the contact ids. Updates go in one request, creations in another.
    func run(_ items: [DeliveryItem], _ fields: ResolvedFields) async throws {
        let needing = items.filter(\.needsContact)
        guard !needing.isEmpty else { return }
        // A `POST /contacts` of an earlier try may have created some of these customers: the
        // index reads amoCRM's changes first (a search finds them where it is not usable).
        let recheck = needing.contains { $0.job.progress.contactSent }
        let indexed = try await (recheck ? index?.refreshNow() : index?.ready()) ?? false
        var creates: [BatchEntry<Contact>] = []
        var patches: [(entry: BatchEntry<Contact>, contact: ExistingContact)] = []
        var changing: [(group: [DeliveryItem], plan: ContactPlan, contact: ExistingContact)] = []
        /// A new contact: with its lead in `leads/complex` when the group is one job with a lead,
        /// else in one `POST /contacts` for the batch.
        func create(_ group: [DeliveryItem], _ plan: ContactPlan, warnings: inout [String]) {
            let body = bodies.createBody(plan, fields: fields, warnings: &warnings)
            if group.count == 1, group[0].plan.lead != nil {
                group[0].newContact = body
            } else {
                creates.append(BatchEntry(items: group, body: body))
            }
        }
        for group in DeliveryItem.customers(needing) {
            let plan = ContactBodies.merged(group.compactMap(\.plan.contact))
            let match = try await matcher.match(phones: plan.phones, emails: plan.emails, indexed: indexed)
            for reason in match.skipped { group.forEach { $0.warn(reason) } }
            if match.candidates.count > 1, let chosen = match.contact {
                let ids = match.candidates.map(String.init).joined(separator: ", ")
                group.forEach {
                    $0.warn(
                        "\(match.candidates.count) contacts match this customer (\(ids)): used #\(chosen.id), the most recently updated")
                }
            }
            var warnings: [String] = []
            if let existing = match.contact {
                for item in group { item.update { $0.contactID = existing.id } }
                if bodies.mergeBody(existing, plan: plan, fields: fields, warnings: &warnings) != nil {
                    changing.append((group, plan, existing))  // merged below, on amoCRM's current copy (and warned then)
                    continue
                }
            } else {
                create(group, plan, warnings: &warnings)
            }
            group.forEach { item in warnings.forEach(item.warn) }
        }
        if !changing.isEmpty {
            let current = try await reader.read(changing.map(\.contact.id))
            for (group, plan, indexed) in changing {
                var warnings: [String] = []
                guard let contact = current[indexed.id] else {
                    // Deleted in amoCRM since the index saw it: forget it and create the customer anew.
                    try? await index?.forget(indexed.id)
                    group.forEach { item in
                        item.update { $0.contactID = nil }
                        item.warn("contact #\(indexed.id) no longer exists in amoCRM: a new contact was created")
                    }
                    create(group, plan, warnings: &warnings)
                    group.forEach { item in warnings.forEach(item.warn) }
                    continue
                }
                if let body = bodies.mergeBody(contact, plan: plan, fields: fields, warnings: &warnings) {
                    patches.append((BatchEntry(items: group, body: body), contact))
                }
                group.forEach { item in warnings.forEach(item.warn) }
            }
        }
        if !patches.isEmpty {
            var entries = patches.map(\.entry)
            let answer = try await sender.sendBatch(
                &entries, names: fields.names, request: Endpoints.updateContacts,
                sort: { page, sent throws(AnswerMismatch) in try BatchAnswer.sort(page, sent: sent, id: \.id, requestID: \.requestID) })
            var merged: [Contact] = []
            for (index, entry) in entries.enumerated() where answer[index] != nil {
                entry.items.forEach { $0.update { $0.contactUpdated = true } }
                merged.append(ContactBodies.merged(patches[index].contact, body: entry.body, at: sender.clock.date))
            }
            try await index?.record(merged)
        }
        if !creates.isEmpty {
            creates.flatMap(\.items).forEach { item in item.update { $0.contactSent = true } }
            try await progress.checkpoint(items)
            let answer = try await sender.sendBatch(
                &creates, names: fields.names, request: Endpoints.createContacts,
                sort: { page, sent throws(AnswerMismatch) in try BatchAnswer.sort(page, sent: sent, id: \.id, requestID: \.requestID) })
            var created: [Contact] = []
            for (index, entry) in creates.enumerated() {
                guard let id = answer[index]?.id else { continue }
                entry.items.forEach {
                    $0.update {
                        $0.contactID = id
                        $0.contactUpdated = true
                    }
                }
                created.append(ContactBodies.createdContact(id: id, body: entry.body, at: sender.clock.date))
            }
            try await index?.record(created)
            sender.unanswered(creates, request: Endpoints.Label.createContacts) { $0.contactID == nil }
        }
        try await progress.checkpoint(items)
    }
}
