import Foundation
import AmoSyncCore

/// The durable queue and what lives beside it, split by concern. Each concern is a protocol,
/// so that a second engine (PostgreSQL) can sit behind the same interface; `SQLiteStore` is
/// the one today. Every method is one transaction; every write of a worker is conditional on
/// the lease it holds.
package typealias Store = QueueStore & AdminStore & IndexStore & BudgetStore & MetaStore & LedgerStore & SalesStore & ReconcileStore

/// Intake and delivery: jobs in, claimed, checkpointed, finished.
package protocol QueueStore: Sendable {
    /// Stores new jobs in one transaction; a known dedupe key is a duplicate.
    func enqueue(_ jobs: [NewJob]) async throws -> [EnqueueResult]
    /// Leases up to `limit` due jobs of one lane under a new owner and counts an attempt for each.
    func claimBatch(limit: Int, leaseFor lease: TimeInterval, lane: JobLane) async throws -> [Job]
    /// Extends leases; returns the ids this claim no longer holds.
    func renew(_ jobs: [Job], leaseFor lease: TimeInterval) async throws -> Set<Int64>
    /// Checkpoints progress; returns the ids this claim no longer holds.
    func saveProgress(_ jobs: [Job]) async throws -> Set<Int64>
    /// Records the end of an attempt; returns the ids this claim no longer holds.
    @discardableResult func finish(_ outcomes: [JobOutcome]) async throws -> Set<Int64>
    /// Gives jobs back without spending their attempt.
    func release(_ jobs: [Job], runAt: Date?) async throws
    /// When the next job of a lane becomes due (nil: nothing waits).
    func nextRunAt(lane: JobLane) async throws -> Date?
    /// The lead the first delivered job of an order created.
    func leadID(source: String, externalID: String) async throws -> Int?
    /// The orders (or forms) whose jobs produced or updated these leads, by lead id.
    func orders(holding leadIDs: [Int]) async throws -> [Int: OrderOwner]
    /// Deletes delivered, cancelled and skipped jobs older than `days`; how many.
    @discardableResult func purge(olderThanDays days: Double) async throws -> Int
}

/// What operators ask and change (`jobs …`, `stats`).
package protocol AdminStore: Sendable {
    func list(_ filter: JobFilter) async throws -> [Job]
    func job(_ id: Int64) async throws -> Job?
    func attempts(of id: Int64) async throws -> [Attempt]
    func retry(ids: [Int64], remap: (@Sendable (Job) throws -> DeliveryPlan)?) async throws -> [JobChange]
    func failedIDs(since: Date?) async throws -> [Int64]
    func cancel(ids: [Int64]) async throws -> [JobChange]
    func stats() async throws -> QueueStats
}

/// The contact index's tables and its sync position.
package protocol IndexStore: Sendable {
    func indexPosition() async throws -> IndexPosition
    /// A page of contacts and the position that moves past it, in one transaction.
    func storeIndexPage(_ contacts: [IndexedContact], position: IndexPosition) async throws
    /// Stores contacts; an older copy never replaces a newer one.
    func index(_ contacts: [IndexedContact]) async throws
    func forgetIndexedContact(_ id: Int) async throws
    /// The stored contacts holding any of `keys`.
    func indexedContacts(withAnyOf keys: [String]) async throws -> [String]
    func indexedContactCount() async throws -> Int
    /// Bytes the index takes on disk (nil when the engine cannot tell).
    func indexBytes() async throws -> Int?
}

/// The request budget shared by every process using the account.
package protocol BudgetStore: Sendable {
    /// This process in the budget's rows: its pid on one machine (SQLite), a node id of its
    /// own on PostgreSQL (pids of different machines collide).
    var processID: Int { get }
    /// Which of these processes still run (a live one holds its in-flight requests until answered).
    func liveProcesses(among ids: Set<Int>) async -> Set<Int>
    func requests(notOf pid: Int, since: Double) async throws -> [(pid: Int, at: Double)]
    func recordRequest(pid: Int, at: Double) async throws -> Int64
    func setRequestTime(_ id: Int64, to at: Double) async throws
}

/// Small shared state between the daemon and admin commands.
package protocol MetaStore: Sendable {
    func setMeta(_ key: String, _ value: String?) async throws
    func meta(_ key: String) async throws -> String?
    func issueOAuthState(_ state: String, expiresAt: Date) async throws
    /// True once for the state issued last, before it expires.
    func consumeOAuthState(_ presented: String) async throws -> Bool
    /// Throws unless a write transaction can be taken (`/readyz`).
    func checkWritable() async throws
}

/// The OAuth pair kept in the queue's database, so that every node uses one (PostgreSQL; beside
/// SQLite it stays in `tokens_file`).
package protocol SharedTokenStore: Sendable {
    /// The database, for messages (never its credentials).
    var name: String { get }
    /// The stored pair, as its vault encodes it.
    func storedTokens() async throws -> String?
    /// Its version, bumped by every write (asked before each API request: one small read).
    func tokensVersion() async throws -> Int64?
    func saveTokens(_ data: String) async throws
    /// Waits until this process holds the tokens' lock; the closure gives it back.
    func lockTokens() async throws -> @Sendable () async -> Void
}

/// Several nodes on one database: each records that it is alive, and one holds the delivery
/// lease of an account (PostgreSQL). Times are the database's, so nodes' clocks do not matter.
package protocol NodeStore: Sendable {
    /// Records this node as alive and takes (when free or expired) or renews the lease `name`
    /// for `seconds`; who holds it now.
    func holdLease(_ name: String, node: String, seconds: Double) async throws -> LeaseState
    /// Gives the lease up (a node that stops), so that another node takes it at once.
    func releaseLease(_ name: String) async throws
    /// Who holds the lease, if anyone (`stats`, `check`).
    func leaseState(_ name: String) async throws -> LeaseState?
    /// Jobs that claims of other nodes hold (a node that delivered before this one took the
    /// lease) become claimable `seconds` from now, unless their own lease ends sooner; how many.
    func shortenLeasesOfOtherNodes(to seconds: Double) async throws -> Int
}

/// A lease as the database sees it.
package struct LeaseState: Sendable, Equatable {
    /// This node holds it.
    package var held: Bool
    /// The holder's name (host and pid).
    package var holder: String
    /// Seconds until it expires unless renewed.
    package var remaining: Double
}

/// Which worker takes a job: the amoCRM delivery worker, or the shop writer (`status_back`),
/// so that a slow shop never holds up amoCRM delivery.
package enum JobLane: Sendable { case amocrm, shop }

/// The way back to the shop: what amosync wrote to shops' orders, what the shop last said.
package protocol LedgerStore: Sendable {
    /// The latest status amosync wrote (or is writing) to an order.
    func statusWrite(source: String, externalID: String) async throws -> StatusWrite?
    /// Records a write before it is sent (an echo can arrive before the answer).
    func recordStatusWrite(_ write: StatusWrite) async throws
    /// Forgets the write once the shop reports another status: that one is the shop's own.
    func forgetStatusWrite(source: String, externalID: String) async throws
    /// The order's status as far as amosync knows: the newer of its own latest write and the
    /// status of the order's newest version (what the shop last sent).
    func knownStatus(source: String, externalID: String) async throws -> String?
    /// For each update job: the order's lead, its version before it (status; price and fields when
    /// delivered), and amosync's latest write to the order (one read for a batch).
    func updateContext(_ jobs: [Job]) async throws -> [Int64: UpdateContext]
    /// Whether a `status_back` job for this lead and stage was queued, given a newer hint or
    /// run at or after `since`: the lead was (or will be) read after that move.
    func hasStatusBack(lead: Int, status: Int, since: Date) async throws -> Bool
}

/// Reconciliation: what amosync already has of the orders a shop lists.
/// What amoCRM's ways of working keep between batches and restarts: rotation turns, and the
/// products index (SKU → element of the products list).
package protocol SalesStore: Sendable {
    /// Takes `count` consecutive turns of the rotation `key` in one transaction: the first
    /// one's number (lanes in parallel get different turns).
    func takeTurns(_ key: String, count: Int) async throws -> Int
    /// The elements known for these SKUs.
    func products(catalog: Int, skus: [String]) async throws -> [String: Int]
    func recordProducts(catalog: Int, _ elements: [String: Int]) async throws
    /// Elements that amoCRM no longer has.
    func forgetProducts(catalog: Int, elements: [Int]) async throws
}

package protocol ReconcileStore: Sendable {
    /// Of these orders of `source`, the ones amosync received (any version not skipped), each
    /// with the status of its newest version (nil when that version has none).
    func knownOrders(source: String, externalIDs: [String]) async throws -> [String: String?]
    /// Whether a job of `kind` for `source` is queued or running.
    func hasPendingJob(kind: JobKind, source: String) async throws -> Bool
}

/// What an update of an order is judged by: did the shop's status change, is it our echo.
package struct UpdateContext: Sendable, Equatable {
    /// The lead the order's first delivered job created.
    package var leadID: Int?
    /// The status of the order's version before this one.
    package var previousStatus: String?
    /// The lead as the version before this one set it (price, fields), when that one was delivered.
    package var previousLead: LeadPlan?
    package var written: StatusWrite?
    /// The items with a SKU of the version before this one, when that one was delivered.
    package var previousProducts: [ProductLine]?
}

/// A status amosync wrote to a shop's order, and the stage that asked for it.
package struct StatusWrite: Sendable, Equatable {
    package var source: String
    package var externalID: String
    package var status: String
    package var stageID: Int
    package var leadID: Int
    package var at: Date
}

extension QueueStore {
    func enqueue(_ job: NewJob) async throws -> EnqueueResult { try await enqueue([job])[0] }
    func claimBatch(limit: Int, leaseFor lease: TimeInterval) async throws -> [Job] {
        try await claimBatch(limit: limit, leaseFor: lease, lane: .amocrm)
    }
    func nextRunAt() async throws -> Date? { try await nextRunAt(lane: .amocrm) }
    func release(_ jobs: [Job]) async throws { try await release(jobs, runAt: nil) }
}
