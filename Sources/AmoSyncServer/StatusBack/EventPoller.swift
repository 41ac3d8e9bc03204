import AmoAPI
import AmoSyncCore
import Foundation
import Logging
import ServiceLifecycle

/// Repairs missed webhooks: every `amocrm.events_poll_minutes` it reads amoCRM's event log
/// (`lead_status_changed` since a stored cursor, with an overlap so that a clock apart by a
/// minute cannot skip one) through the one rate-limited client, and queues a `status_back` job
/// for each move of a lead amosync delivered that no webhook brought.
final class EventPoller: Service {
    let store: any QueueStore & LedgerStore & MetaStore
    let client: AmoClient
    let rules: Live<Config>
    let doorbell: Doorbell
    let logger: Logger
    let clock: any TimeSource

    static let cursorKey = "amocrm_events_cursor"
    /// Seconds read again before the cursor: events are listed by their `created_at`, which
    /// amoCRM may stamp a little before they become visible.
    static let overlap = 120
    /// Most pages one pass reads (100 events each); the rest waits for the next pass.
    static let maxPages = 20

    init(
        store: any QueueStore & LedgerStore & MetaStore, client: AmoClient, rules: Live<Config>, doorbell: Doorbell, logger: Logger,
        clock: any TimeSource
    ) {
        self.store = store
        self.client = client
        self.rules = rules
        self.doorbell = doorbell
        self.logger = logger
        self.clock = clock
    }

    func run() async throws {
        try await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                let config = self.rules.current
                let minutes = config.amocrm.eventsPollMinutes
                if minutes > 0, config.writesStatusBack {
                    do {
                        let queued = try await self.pass()
                        if queued > 0 { self.logger.info("stage changes no webhook brought were queued", metadata: ["count": "\(queued)"]) }
                    } catch {
                        self.logger.warning("amoCRM's event log could not be read; tried again next time", metadata: ["error": "\(error)"])
                    }
                }
                try await self.clock.sleep(for: .seconds(60 * max(1, minutes)))
            }
        }
    }

    /// One pass; returns how many jobs it queued. The first pass only sets the cursor: what
    /// happened before amosync wrote statuses back is not replayed.
    @discardableResult
    func pass() async throws -> Int {
        let now = Int(clock.date.timeIntervalSince1970)
        guard let stored = try await store.meta(Self.cursorKey).flatMap({ Int($0) }) else {
            try await store.setMeta(Self.cursorKey, String(now))
            return 0
        }
        var changes: [(event: Event, change: StageChange)] = []
        var newest = stored
        for page in 1...Self.maxPages {
            let answer = try await client.send(Endpoints.events(type: Event.leadStatusChanged, since: stored - Self.overlap, page: page))
            for event in answer.items {
                guard let lead = event.entityID, let created = event.createdAt,
                    let status = event.valueAfter?.first?.value["lead_status"]
                else { continue }
                guard let statusID = status["id"]?.intValue else { continue }
                newest = max(newest, created)
                changes.append(
                    (event, StageChange(leadID: lead, statusID: statusID, pipelineID: status["pipeline_id"]?.intValue, changedAt: created)))
            }
            if !answer.hasNext { break }
        }
        let owners = try await store.orders(holding: Array(Set(changes.map(\.change.leadID))))
        var jobs: [NewJob] = []
        // The newest move of each lead is enough: the job reads the lead as it is. amoCRM lists
        // events newest first (several in one second keep that order).
        var latest: [Int: (event: Event, change: StageChange)] = [:]
        for entry in changes where owners[entry.change.leadID] != nil && latest[entry.change.leadID] == nil {
            latest[entry.change.leadID] = entry
        }
        for (lead, entry) in latest {
            // A webhook brought it: a job for this lead and stage was queued since the move.
            let since = Date(timeIntervalSince1970: Double(entry.change.changedAt ?? now))
            if try await store.hasStatusBack(lead: lead, status: entry.change.statusID, since: since) { continue }
            jobs.append(.statusBack(entry.change, via: "events", dedupeKey: "amocrm:event:\(entry.event.id)"))
        }
        let results = try await store.enqueue(jobs)
        try await store.setMeta(Self.cursorKey, String(newest))
        let queued = results.filter { !$0.duplicate }.count
        if queued > 0 { doorbell.ring() }
        return queued
    }
}
