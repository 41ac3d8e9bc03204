import Foundation
import GRDB
import Logging
import Synchronization
import AmoSyncCore

/// A local mirror of the account's contacts — normalized phones and emails → contact — kept
/// in the queue's SQLite file, so that matching a customer costs no search request. It is
/// filled by a full sync once, then kept fresh with one `filter[updated_at][from]` request
/// per batch, and by every contact amosync creates, updates or reads.
final class ContactIndex: Sendable {
    let store: JobStore
    var database: DatabasePool { store.database }
    let client: AmoClient
    let countryCode: String
    let logger: Logger
    /// A refresh started this recently is shared instead of repeated: it still sees every
    /// contact changed a second before the batch that asks.
    let reuseWindow: Duration
    private struct State {
        var refresh: Task<Bool, any Error>?
        var startedAt: ContinuousClock.Instant?
        var filtersUnavailable = false
    }
    private let state = Mutex(State())
    static let pageSize = 250

    init(store: JobStore, client: AmoClient, countryCode: String, logger: Logger, reuseWindow: Duration = .milliseconds(800)) {
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
            if let running = state.refresh, let started = state.startedAt, ContinuousClock.now - started < reuseWindow { return running }
            let task = Task { try await self.sync() }
            state.refresh = task
            state.startedAt = .now
            return task
        }
        guard let task else { return false }
        // Shared by every lane waiting for it; a cancelled waiter (shutdown) cancels it too.
        return try await withTaskCancellationHandler { try await task.value } onCancel: { task.cancel() }
    }

    /// A full sync while the index is incomplete, then one page of changes.
    private func sync() async throws -> Bool {
        let saved = try await database.read { db in
            try Dictionary(Row.fetchAll(db, sql: "SELECT key, value FROM meta WHERE key LIKE 'contact_index_%'").map { ($0["key"] as String, $0["value"] as String) },
                           uniquingKeysWith: { $1 })
        }
        var cursor = Int(saved["contact_index_cursor"] ?? "") ?? 0
        var page = Int(saved["contact_index_page"] ?? "") ?? 1
        var complete = saved["contact_index_complete"] == "1"
        let incremental = complete
        while true {
            let response: AmoResponse
            do {
                response = try await client.send("GET", "/api/v4/contacts", query: [
                    ("filter[updated_at][from]", "\(cursor)"), ("order[updated_at]", "asc"), ("limit", "\(Self.pageSize)"), ("page", "\(page)"),
                ])
            } catch let error as AmoError where error.kind == .rejected {
                logger.warning("contact filters unavailable: matching falls back to search", metadata: ["error": "\(error)"])
                state.withLock { $0.filtersUnavailable = true }
                return false
            }
            let contacts = response.json?.value(at: "_embedded.contacts")?.arrayValue ?? []
            let last = contacts.compactMap { $0["updated_at"]?.intValue }.max() ?? cursor
            if contacts.count == Self.pageSize {
                if last == cursor { page += 1 } else { (cursor, page) = (last, 1) }
            } else {
                (cursor, page) = (max(cursor, last), 1)
                complete = true
            }
            // The page and the cursor that moves past it in one transaction.
            let position = [("contact_index_cursor", "\(cursor)"), ("contact_index_page", "\(page)"), ("contact_index_complete", complete ? "1" : "0")]
            try await store.settle { [countryCode] db in
                try Self.store(contacts, in: db, countryCode: countryCode)
                for (key, value) in position {
                    try db.execute(sql: "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", arguments: [key, value])
                }
            }
            // The first sync reads everything; afterwards one request per batch is the budget.
            if incremental || complete { return true }
        }
    }

    /// Stores contacts as amoCRM returned them; an older copy never replaces a newer one.
    func record(_ contacts: [JSONValue]) async throws {
        guard !contacts.isEmpty else { return }
        try await store.settle { [countryCode] db in try Self.store(contacts, in: db, countryCode: countryCode) }
    }

    private static func store(_ contacts: [JSONValue], in db: Database, countryCode: String) throws {
        for json in contacts {
            guard let contact = ExistingContact(json) else { continue }
            let stored = try Int.fetchOne(db, sql: "SELECT updated_at FROM contact_index WHERE contact_id = ?", arguments: [contact.id])
            if let stored, stored > contact.updatedAt { continue }
            try db.execute(sql: "INSERT OR REPLACE INTO contact_index (contact_id, updated_at, data) VALUES (?, ?, ?)",
                           arguments: [contact.id, contact.updatedAt, json.canonicalString])
            try db.execute(sql: "DELETE FROM contact_keys WHERE contact_id = ?", arguments: [contact.id])
            for key in contact.keys(countryCode: countryCode) {
                try db.execute(sql: "INSERT OR IGNORE INTO contact_keys (key, contact_id) VALUES (?, ?)", arguments: [key, contact.id])
            }
        }
    }

    /// Records a contact from what amosync sent (create or merge), before amoCRM's copy arrives.
    func record(id: Int, name: String, phones: [(value: String, enumCode: String?)], emails: [(value: String, enumCode: String?)]) async throws {
        try await record([ExistingContact.json(id: id, name: name, updatedAt: Int(Date().timeIntervalSince1970), phones: phones, emails: emails)])
    }

    /// Drops a contact that no longer exists in amoCRM.
    func forget(_ id: Int) async throws {
        try await store.settle { db in try db.execute(sql: "DELETE FROM contact_index WHERE contact_id = ?", arguments: [id]) }
    }

    /// Indexed contacts holding any of `keys`.
    func contacts(withAnyOf keys: [String]) async throws -> [ExistingContact] {
        guard !keys.isEmpty else { return [] }
        return try await database.read { db in
            try String.fetchAll(db, sql: """
                SELECT data FROM contact_index WHERE contact_id IN
                  (SELECT contact_id FROM contact_keys WHERE key IN (\(keys.map { _ in "?" }.joined(separator: ","))))
                """, arguments: StatementArguments(keys))
                .compactMap { try? JSONValue.parse(Data($0.utf8)) }.compactMap(ExistingContact.init)
        }
    }

    /// How many contacts are indexed.
    func count() async throws -> Int {
        try await database.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM contact_index") ?? 0 }
    }
}
