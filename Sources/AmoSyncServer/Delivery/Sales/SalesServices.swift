import AmoSyncCore
import Logging

/// What the sales-team steps share across batches: the account's users (distribution), the
/// products list and its index, and the inactive users already warned about.
struct SalesServices: Sendable {
    let users: UserDirectory
    let products: ProductCatalog
    let store: any SalesStore
    let warned: WarnedUsers

    init(client: AmoClient, store: any SalesStore, clock: any TimeSource) {
        users = UserDirectory(client: client, clock: clock)
        products = ProductCatalog(client: client, store: store, clock: clock)
        self.store = store
        warned = WarnedUsers()
    }
}

/// Inactive rotation users logged once each.
actor WarnedUsers {
    private var seen: Set<Int> = []
    func first(_ user: Int) -> Bool { seen.insert(user).inserted }
}
