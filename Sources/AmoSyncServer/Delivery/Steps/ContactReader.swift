import AmoAPI
import AmoSyncCore
import Foundation

/// Contacts as amoCRM holds them right now, read by id in one request (`filter[id][]`), and
/// recorded in the index: a merge builds on these, not on an index copy that may be one
/// refresh old, so a phone a manager added a second ago is kept.
struct ContactReader: Sendable {
    let client: AmoClient
    let index: ContactIndex?

    func read(_ ids: [Int]) async throws -> [Int: ExistingContact] {
        let unique = Array(Set(ids)).sorted()
        guard !unique.isEmpty else { return [:] }
        let page = try await client.send(Endpoints.contacts(ids: unique))
        try await index?.record(page.items)
        return Dictionary(page.items.compactMap(ExistingContact.init).map { ($0.id, $0) }) { $1 }
    }
}
