import AmoAPI
import Foundation
import Logging
import Synchronization
import AmoSyncCore

/// A local mirror of the account's contacts — normalized phones and emails → contact — kept
/// in the queue's SQLite file, so that matching a customer costs no search request.
///
/// With a `refreshInterval` (the daemon's default) `keepFresh()` runs in the background: the
/// full sync reads at the full rate for a head start (16 pages or 4.5 s; batches wait), then at
/// most `syncRate` pages a second, and resumes where it stopped after a restart; while it
/// runs past the head start, batches match by `query` search (and what the index already
/// holds). Once it is complete it reads amoCRM's changes every `refreshInterval`, and a batch
/// uses the index without a request of its own while the last refresh is younger than twice
/// that. With a zero interval (the behaviour before 0.7) every batch refreshes in front of
/// itself and the first one makes the whole full sync.
final class ContactIndex: Sendable {
    let store: any IndexStore
    let client: AmoClient
    let countryCode: String
    let logger: Logger
    /// A refresh started this recently is shared instead of repeated: it still sees every
    /// contact changed a second before the batch that asks.
    let reuseWindow: Duration
    let clock: any TimeSource
    /// How often the background refresh runs; zero: no background work, refresh per batch.
    let refreshInterval: Duration
    /// Pages a second the background full sync reads at most.
    let syncRate: Double
    /// The head start: until `headStart` after start, or `headStartPages` pages, an incomplete
    /// full sync reads at the full rate and batches wait for it instead of searching. An
    /// account of up to 4,000 contacts is complete before the first batch; a bigger one starts
    /// delivering after this.
    let headStartEnds: ContinuousClock.Instant
    static let headStartPages = 16
    /// Rung after every page of the head start (and when the full sync is complete).
    private let progressed = Doorbell()
    /// How long matching searches instead after amoCRM refused the index's filter (400),
    /// before the filter is tried again.
    static let filtersRetry = Duration.seconds(600)
    /// Told when the account cannot be used (402, 403) or reading fails, and when it works again.
    let health: DeliveryHealth?
    private struct State {
        var refresh: Task<Bool, any Error>?
        var startedAt: ContinuousClock.Instant?
        /// Until when amoCRM's filters count as unavailable (it refused one): matching searches.
        var filtersUnavailableUntil: ContinuousClock.Instant?
        /// When the last successful refresh started (it saw every change before that).
        var lastRefreshed: ContinuousClock.Instant?
        var complete: Bool?
        /// Pages of the full sync this process has read.
        var pagesRead = 0
        /// Where this process's full sync began, for its ETA.
        var syncRun: (at: ContinuousClock.Instant, cursor: Int)?
    }
    private let state = Mutex(State())
    static let pageSize = 250

    init(
        store: any IndexStore, client: AmoClient, countryCode: String, logger: Logger, reuseWindow: Duration = .milliseconds(800),
        clock: any TimeSource = SystemTime(), refreshInterval: Duration = .zero, syncRate: Double = 3, headStart: Duration = .zero,
        health: DeliveryHealth? = nil
    ) {
        self.health = health
        self.headStartEnds = clock.now + headStart
        self.clock = clock
        self.store = store
        self.client = client
        self.countryCode = countryCode
        self.logger = logger
        self.reuseWindow = reuseWindow
        self.refreshInterval = refreshInterval
        self.syncRate = syncRate
    }

    var inBackground: Bool { refreshInterval > .zero }

    /// Whether a batch can match through the index now: true after a refresh when one is due
    /// (or always, without background work); false while the background full sync still
    /// runs or amoCRM's filters are unavailable — the batch then searches.
    func ready() async throws -> Bool {
        guard inBackground else { return try await refresh() }
        let (unavailable, cached) = state.withLock { (filtersUnavailable($0), $0.complete) }
        if unavailable { return false }
        var complete = cached ?? false
        if cached == nil {
            complete = try await store.indexPosition().complete
            state.withLock { $0.complete = complete }
        }
        if !complete { complete = await waitForHeadStart() }
        guard complete else { return false }
        if let last = state.withLock({ $0.lastRefreshed }), clock.now - last < refreshInterval * 2 { return true }
        return try await searchingOnFailure { try await self.refresh() }
    }

    /// Like `ready()`, but a complete index reads amoCRM's changes now, whatever its last
    /// refresh: a create that may have taken effect is then seen.
    func refreshNow() async throws -> Bool {
        if inBackground, state.withLock({ $0.complete != true || filtersUnavailable($0) }) { return try await ready() }
        return try await searchingOnFailure { try await self.refresh(sharingWithin: .zero) }
    }

    /// A batch's refresh that failed is not the batch's failure: the background keeper reports
    /// and retries it, and this batch searches meanwhile (false).
    private func searchingOnFailure(_ refresh: () async throws -> Bool) async throws -> Bool {
        do { return try await refresh() } catch is CancellationError { throw CancellationError() } catch {
            logger.warning("contact index: the refresh failed; this batch searches instead", metadata: ["error": "\(error)"])
            return false
        }
    }

    /// True while the background full sync has not completed (nor given up because filters are
    /// unavailable): the worker then delivers small batches on one lane, so that the first
    /// orders do not wait for fifty customers' searches.
    var isSyncing: Bool {
        inBackground && state.withLock { !filtersUnavailable($0) && $0.complete != true }
    }

    /// True until the head start is over: the time is up, its pages are read, or the sync is complete.
    private var inHeadStart: Bool {
        clock.now < headStartEnds && state.withLock { $0.complete != true && $0.pagesRead < Self.headStartPages }
    }

    /// Waits through the head start for the full sync to complete; true if it did.
    private func waitForHeadStart() async -> Bool {
        while inHeadStart, !Task.isCancelled {
            // Short slices: a ring just before this wait began is seen at the next check.
            await progressed.wait(timeout: min(.milliseconds(250), headStartEnds - clock.now))
        }
        return state.withLock { $0.complete == true }
    }

    /// Brings the index up to date. False when amoCRM's filters are unavailable: callers
    /// then search with `query` instead.
    func refresh(sharingWithin window: Duration? = nil) async throws -> Bool {
        let task = state.withLock { state -> Task<Bool, any Error>? in
            if filtersUnavailable(state) { return nil }
            let now = clock.now
            if let running = state.refresh, let started = state.startedAt, now - started < (window ?? reuseWindow) { return running }
            // Unstructured: one refresh shared by every batch asking within the reuse window.
            let task = Task { try await self.sync(startedAt: now) }
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
    private func sync(startedAt: ContinuousClock.Instant) async throws -> Bool {
        var position = try await store.indexPosition()
        let incremental = position.complete
        while true {
            guard try await readPage(&position) else { return false }
            // The first sync reads everything; afterwards one request per batch is the budget.
            if incremental || position.complete {
                state.withLock {
                    $0.lastRefreshed = startedAt
                    $0.complete = true
                }
                return true
            }
        }
    }

    private func filtersUnavailable(_ state: State) -> Bool { state.filtersUnavailableUntil.map { clock.now < $0 } ?? false }

    /// The background work (a no-op without a `refreshInterval`): the full sync at its pace,
    /// then a refresh every interval, until cancelled. It never ends by itself: a failure
    /// (any answer amoCRM, or whatever sits at its address, gives) is logged and tried again
    /// with a growing wait; a refused filter makes matching search for `filtersRetry`.
    func keepFresh() async {
        guard inBackground else { return }
        var failures = 0
        while !Task.isCancelled {
            do {
                if let until = state.withLock({ filtersUnavailable($0) ? $0.filtersUnavailableUntil : nil }) {
                    try await clock.sleep(until: until)
                    continue
                }
                var position = try await store.indexPosition()
                if position.complete {
                    state.withLock { $0.complete = true }
                    if let last = state.withLock({ $0.lastRefreshed }), clock.now - last < refreshInterval {
                        try await clock.sleep(until: last + refreshInterval)
                        continue
                    }
                    guard try await refresh() else { continue }
                } else {
                    let started = clock.now
                    let fullRate = inHeadStart
                    guard try await readPage(&position) else { continue }
                    state.withLock { $0.pagesRead += 1 }
                    if position.complete {
                        let contacts = try await count()
                        logger.info("contact index: full sync complete", metadata: ["contacts": "\(contacts)"])
                        state.withLock {
                            $0.lastRefreshed = started
                            $0.complete = true
                        }
                        progressed.ring()
                    } else if fullRate {
                        progressed.ring()
                    } else {
                        try await clock.sleep(until: started + .seconds(1 / syncRate))
                    }
                }
                if failures > 0 {
                    await health?.backgroundWorks(Self.serviceName)
                    await health?.accountWorks()
                }
                failures = 0
            } catch {
                if Task.isCancelled { return }
                failures += 1
                let amo = error as? AmoError
                if amo?.kind == .throttled { _ = await client.limiter.throttled() }
                if amo?.kind == .accountUnavailable, let amo { await health?.accountUnavailable(amo.detail) }
                // One failed read is not worth a 503 on /readyz; three in a row are.
                if failures >= 3 { await health?.backgroundFailed(Self.serviceName, "\(error)") }
                if failures == 1 || failures % 10 == 0 {
                    logger.warning(
                        "contact index: reading amoCRM's contacts failed; trying again",
                        metadata: ["error": "\(error)", "failures": "\(failures)"])
                }
                try? await clock.sleep(until: clock.now + .seconds(min(60, 1 << min(failures, 6))))
            }
        }
    }

    /// The name its failures are reported under.
    static let serviceName = "contact index"

    /// Reads the page at `position` and stores it with the position that moves past it, in
    /// one transaction. False when amoCRM's filters are unavailable.
    private func readPage(_ position: inout IndexPosition) async throws -> Bool {
        let page: Page<Contact>
        do {
            page = try await client.send(Endpoints.contacts(updatedSince: position.cursor, page: position.page, limit: Self.pageSize))
        } catch let error as AmoError where error.kind == .rejected && error.status == 400 {
            logger.warning(
                "contact filters unavailable: matching searches instead; the filter is tried again in 10 minutes",
                metadata: ["error": "\(error)"])
            state.withLock { $0.filtersUnavailableUntil = clock.now + Self.filtersRetry }
            return false
        }
        let contacts = page.items
        let updated = contacts.compactMap(\.updatedAt)
        let last = updated.max() ?? position.cursor
        let full = !position.complete
        if full, position.origin == nil { position.origin = updated.min() ?? position.cursor }
        if contacts.count == Self.pageSize {
            if last == position.cursor { position.page += 1 } else { (position.cursor, position.page) = (last, 1) }
        } else {
            (position.cursor, position.page) = (max(position.cursor, last), 1)
            position.complete = true
        }
        position.etaAt = full && !position.complete ? estimatedEnd(position) : nil
        try await store.storeIndexPage(indexed(contacts), position: position)
        return true
    }

    /// When the full sync should be done: the cursor moves through time from the oldest
    /// contact's `updated_at` to now, at the pace this process has kept so far.
    private func estimatedEnd(_ position: IndexPosition) -> Int? {
        let now = clock.now
        let run = state.withLock { state in
            if state.syncRun == nil { state.syncRun = (now, position.cursor) }
            return state.syncRun!
        }
        let elapsed = (now - run.at).seconds
        let covered = Double(position.cursor - run.cursor)
        guard elapsed > 1, covered > 0 else { return nil }
        let wallNow = clock.date.timeIntervalSince1970
        return Int(wallNow + max(0, wallNow - Double(position.cursor)) / (covered / elapsed))
    }

    /// Contacts as amoCRM returned them (reduced to what matching reads), with their match keys.
    private func indexed(_ contacts: [Contact]) -> [IndexedContact] {
        contacts.compactMap { contact in
            guard let existing = ExistingContact(contact), let data = try? AmoJSON.encode(ExistingContact.compact(contact)) else {
                return nil
            }
            return IndexedContact(
                id: existing.id, updatedAt: existing.updatedAt, data: String(decoding: data, as: UTF8.self),
                keys: existing.keys(countryCode: countryCode))
        }
    }

    /// Stores contacts as amoCRM returned them; an older copy never replaces a newer one.
    func record(_ contacts: [Contact]) async throws {
        try await store.index(indexed(contacts))
    }

    /// Drops a contact that no longer exists in amoCRM.
    func forget(_ id: Int) async throws {
        try await store.forgetIndexedContact(id)
    }

    /// Indexed contacts holding any of `keys`.
    func contacts(withAnyOf keys: [String]) async throws -> [ExistingContact] {
        try await store.indexedContacts(withAnyOf: keys).compactMap { try? AmoJSON.decode(Contact.self, from: Data($0.utf8)) }
            .compactMap(ExistingContact.init)
    }

    /// How many contacts are indexed.
    func count() async throws -> Int {
        try await store.indexedContactCount()
    }
}
