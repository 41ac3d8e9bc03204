import Foundation
import Logging
import Synchronization
import AmoSyncCore

/// A local mirror of the account's contacts — normalized phones and emails → contact — kept
/// in the queue's SQLite file, so that matching a customer costs no search request. It is
/// filled by a full sync once, then kept fresh with one `filter[updated_at][from]` request
/// per batch, and by every contact amosync creates, updates or reads.
final class ContactIndex: Sendable {
    let store: JobStore
    let client: AmoClient
    let countryCode: String
    let logger: Logger
    /// A refresh started this recently is shared instead of repeated: it still sees every
    /// contact changed a second before the batch that asks.
    let reuseWindow: Duration
    let clock: any TimeSource
    private struct State {
        var refresh: Task<Bool, any Error>?
        var startedAt: ContinuousClock.Instant?
        var filtersUnavailable = false
    }
    private let state = Mutex(State())
    static let pageSize = 250

    init(
        store: JobStore, client: AmoClient, countryCode: String, logger: Logger, reuseWindow: Duration = .milliseconds(800),
        clock: any TimeSource = SystemTime()
    ) {
        self.clock = clock
        self.store = store
        self.client = client
        self.countryCode = countryCode
        self.logger = logger
        self.reuseWindow = reuseWindow
    }

    /// Brings the index up to date. False when amoCRM's filters are unavailable: callers
    /// then search with `query` instead.
    func refresh() async throws -> Bool {
        let task = state.withLock { state -> Task<Bool, any Error>? in
            if state.filtersUnavailable { return nil }
            let now = clock.now
            if let running = state.refresh, let started = state.startedAt, now - started < reuseWindow { return running }
            let task = Task { try await self.sync() }
            state.refresh = task
            state.startedAt = now
            return task
        }
        guard let task else { return false }
        // Shared by every lane waiting for it; a cancelled waiter (shutdown) cancels it too.
        return try await withTaskCancellationHandler {
            try await task.value
        } onCancel: {
            task.cancel()
        }
    }

    /// A full sync while the index is incomplete, then one page of changes.
    private func sync() async throws -> Bool {
        var position = try await store.indexPosition()
        let incremental = position.complete
        while true {
            let response: AmoResponse
            do {
                response = try await client.send(
                    "GET", "/api/v4/contacts",
                    query: [
                        ("filter[updated_at][from]", "\(position.cursor)"), ("order[updated_at]", "asc"), ("limit", "\(Self.pageSize)"),
                        ("page", "\(position.page)"),
                    ])
            } catch let error as AmoError where error.kind == .rejected {
                logger.warning("contact filters unavailable: matching falls back to search", metadata: ["error": "\(error)"])
                state.withLock { $0.filtersUnavailable = true }
                return false
            }
            let contacts = response.json?.value(at: "_embedded.contacts")?.arrayValue ?? []
            let last = contacts.compactMap { $0["updated_at"]?.intValue }.max() ?? position.cursor
            if contacts.count == Self.pageSize {
                if last == position.cursor { position.page += 1 } else { (position.cursor, position.page) = (last, 1) }
            } else {
                (position.cursor, position.page) = (max(position.cursor, last), 1)
                position.complete = true
            }
            // The page and the cursor that moves past it in one transaction.
            try await store.storeIndexPage(indexed(contacts), position: position)
            // The first sync reads everything; afterwards one request per batch is the budget.
            if incremental || position.complete { return true }
        }
    }

    /// Contacts as amoCRM returned them, with their match keys.
    private func indexed(_ contacts: [JSONValue]) -> [JobStore.IndexedContact] {
        contacts.compactMap { json in
            ExistingContact(json).map {
                JobStore.IndexedContact(
                    id: $0.id, updatedAt: $0.updatedAt, data: json.canonicalString, keys: $0.keys(countryCode: countryCode))
            }
        }
    }

    /// Stores contacts as amoCRM returned them; an older copy never replaces a newer one.
    func record(_ contacts: [JSONValue]) async throws {
        try await store.index(indexed(contacts))
    }

    /// Records a contact from what amosync sent (create or merge), before amoCRM's copy arrives.
    func record(
        id: Int, name: String, phones: [(value: String, enumCode: String?)], emails: [(value: String, enumCode: String?)]
    ) async throws {
        try await record([
            ExistingContact.json(id: id, name: name, updatedAt: Int(Date().timeIntervalSince1970), phones: phones, emails: emails)
        ])
    }

    /// Drops a contact that no longer exists in amoCRM.
    func forget(_ id: Int) async throws {
        try await store.forgetIndexedContact(id)
    }

    /// Indexed contacts holding any of `keys`.
    func contacts(withAnyOf keys: [String]) async throws -> [ExistingContact] {
        try await store.indexedContacts(withAnyOf: keys).compactMap { try? JSONValue.parse(Data($0.utf8)) }.compactMap(ExistingContact.init)
    }

    /// How many contacts are indexed.
    func count() async throws -> Int {
        try await store.indexedContactCount()
    }
}
