import AmoSyncCore
import Foundation

/// Field references of a batch resolved against the account.
struct ResolvedFields {
    var lead: [FieldRef: AmoField] = [:]
    var leadMissing: [FieldRef: String] = [:]
    var contact: [FieldRef: AmoField] = [:]
    var contactMissing: [FieldRef: String] = [:]
    var key: AmoField?
    var names: [Int: String] = [:]
}

/// Step 1: the batch's field references resolved to the account's field ids, creating
/// missing fields (and `amosync_key`) in one request when the config allows.
struct FieldStep: Sendable {
    static let keyField = FieldRef.name("amosync_key", type: "text")

    let catalog: FieldCatalog
    let autoCreateLeads: Bool
    let autoCreateContacts: Bool

    func resolve(_ items: [DeliveryItem]) async throws -> ResolvedFields {
        var result = ResolvedFields()
        let active = items.filter(\.active)
        let leadRefs = Set(active.flatMap { $0.plan.lead?.fields.map(\.field) ?? [] })
        let contactRefs = Set(
            active.filter { $0.job.progress.contactID == nil || !$0.job.progress.contactUpdated }
                .flatMap { $0.plan.contact?.fields.map(\.field) ?? [] })
        let needsKey = active.contains { $0.plan.lead != nil && $0.job.progress.leadID == nil }
        if autoCreateLeads, needsKey || !leadRefs.isEmpty {
            // One request creates the missing mapped fields and amosync_key together.
            (result.lead, result.leadMissing) = try await catalog.resolve(
                Array(leadRefs) + (needsKey ? [Self.keyField] : []),
                entity: "leads", autoCreate: true, apiOnly: ["amosync_key"])
            result.key = result.lead[Self.keyField]
        } else {
            if !leadRefs.isEmpty {
                (result.lead, result.leadMissing) = try await catalog.resolve(Array(leadRefs), entity: "leads", autoCreate: false)
            }
            if needsKey {
                result.key = try await catalog.resolve([Self.keyField], entity: "leads", autoCreate: true, apiOnly: ["amosync_key"])
                    .resolved[Self.keyField]
            }
        }
        if !contactRefs.isEmpty {
            (result.contact, result.contactMissing) = try await catalog.resolve(
                Array(contactRefs), entity: "contacts",
                autoCreate: autoCreateContacts)
        }
        for field in Array(result.lead.values) + Array(result.contact.values) + [result.key].compactMap({ $0 }) {
            result.names[field.id] = field.name
        }
        return result
    }
}
