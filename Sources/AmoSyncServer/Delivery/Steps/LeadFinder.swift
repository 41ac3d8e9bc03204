import AmoAPI
import AmoSyncCore
import Foundation

/// Looks for leads whose create may have taken effect (a crash, a lost or unreadable answer,
/// a 5xx after amoCRM saved them) by the job key stamped on them (`amosync_key`). One request
/// for a batch: the leads created since the create was sent (a few pages at most), checked
/// for the keys; a key not found there (or when amoCRM refuses the filter) is searched for.
struct LeadFinder: Sendable {
    let client: AmoClient
    let keyField: AmoField
    /// How far before the send the list starts: amoCRM's clock and ours may differ a little.
    static let skew = 300
    /// Pages of recent leads read at most before searching key by key.
    static let pages = 4

    /// Found leads by key, with their main contact.
    func find(_ wanted: [(key: String, sentAt: Int?)]) async throws -> [String: (id: Int, contact: Int?)] {
        var found: [String: (id: Int, contact: Int?)] = [:]
        let keys = Set(wanted.map(\.key))
        if let since = wanted.compactMap(\.sentAt).min() {
            do {
                for page in 1...Self.pages {
                    let list = try await client.send(Endpoints.leads(createdSince: since - Self.skew, page: page))
                    for lead in list.items {
                        if let key = stamp(lead), keys.contains(key), let id = lead.id { found[key] = (id, lead.mainContactID) }
                    }
                    if found.count == keys.count || !list.hasNext { break }
                }
            } catch let error as AmoError where error.kind == .rejected {
                // The filter is not available: every key is searched for below.
            }
        }
        for key in keys where found[key] == nil {
            for lead in try await client.send(Endpoints.leads(query: key)).items where stamp(lead) == key {
                if let id = lead.id { found[key] = (id, lead.mainContactID) }
            }
        }
        return found
    }

    /// The job key a lead carries.
    func stamp(_ lead: Lead) -> String? {
        lead.customFieldsValues?.first { $0.fieldID == keyField.id }?.values?.first?.text
    }
}
