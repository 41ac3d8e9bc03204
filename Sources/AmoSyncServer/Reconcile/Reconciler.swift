import AmoSyncCore
import Foundation

/// One pass over a shop: the orders it changed since the cursor, each one amosync never
/// received — or whose status changed since the newest version amosync has — queued exactly as
/// its webhook would have been (the same translation, mapping and dedupe). An order amosync has
/// at the status the shop lists is left alone: it costs no job and no amoCRM request.
///
/// The shop lists newest change first; the pass stops at the first order changed before its
/// start (a shop that ignores the time filter — WooCommerce before 5.8 — is not read to its
/// first order). The cursor is the shop's own time of the newest change seen
/// (`date_modified_gmt`), stored when the pass is through; a pass starts `overlap` before it, so
/// that a clock apart or a change saved while the last pass listed cannot be skipped (what is
/// read twice is known the second time; an order changed while the pass pages moves to the front
/// and is newer than the cursor). The first pass looks back `reconcile_lookback_hours`.
struct Reconciler: Sendable {
    let source: String
    let config: Config
    let catalog: any ShopCatalog
    let store: any QueueStore & MetaStore & ReconcileStore
    let clock: any TimeSource

    static let overlap: TimeInterval = 600
    static func cursorKey(_ source: String) -> String { "reconcile_cursor:\(source)" }

    struct Outcome: Sendable, Equatable {
        var since: Date
        var pages = 0
        var listed = 0
        /// Orders amosync never received, queued.
        var new = 0
        /// Orders whose status changed without a webhook, queued as a new version.
        var changed = 0
        /// Orders amosync has at the listed status (or queued meanwhile by their webhook).
        var known = 0
        /// Orders that cannot be delivered (the webhook would have been answered `skipped`), or were
        /// deleted between the list and the read.
        var unmappable = 0
        /// The shop's time of the newest change seen.
        var cursor: Date?

        var found: Int { new + changed }
    }

    /// Runs the pass from `since` (else the cursor less the overlap, else the lookback);
    /// `progress` hears after each page.
    func pass(since start: Date? = nil, progress: @Sendable (Outcome) async -> Void = { _ in }) async throws -> Outcome {
        let settings = config.sources[source]
        let stored = try await store.meta(Self.cursorKey(source)).flatMap(Self.parse)
        let since =
            start ?? stored.map { $0.addingTimeInterval(-Self.overlap) }
            ?? clock.date.addingTimeInterval(-Double(settings?.reconcileLookbackHours ?? 24) * 3600)
        var outcome = Outcome(since: since, cursor: stored)
        let mapper = Mapper(config: config)
        let shopify = settings?.type == "shopify"
        var after: String?
        repeat {
            var page = try await catalog.changedOrders(since: since, after: after)
            outcome.pages += 1
            // Newest first: past the first order changed before `since`, the rest is older still.
            if let older = page.orders.firstIndex(where: { $0.modified.map { $0 <= since } ?? false }) {
                page.orders.removeSubrange(older...)
                page.next = nil
            }
            outcome.listed += page.orders.count
            for order in page.orders where order.modified ?? .distantPast > outcome.cursor ?? .distantPast {
                outcome.cursor = order.modified
            }
            // Only the orders amosync lacks (or has at another status) are asked for whole.
            let known = try await store.knownOrders(source: source, externalIDs: page.orders.map(\.externalID))
            var wanted: [String: Bool] = [:]  // id → whether amosync has a version of it
            for order in page.orders {
                if let status = known[order.externalID], status == order.status {
                    outcome.known += 1
                } else {
                    wanted[order.externalID] = known[order.externalID] != nil
                }
            }
            var jobs: [NewJob] = []
            let whole = page.orders.filter { wanted[$0.externalID] != nil }
            for body in whole.isEmpty ? [] : try await catalog.orders(whole) {
                do {
                    let input = shopify ? try ShopifyAdapter.order(body) : try WooCommerceAdapter.order(body)
                    let mapped = try mapper.mapOrder(input, source: source, requireContact: false)
                    guard let had = wanted.removeValue(forKey: mapped.externalID) else { continue }
                    if had { outcome.changed += 1 } else { outcome.new += 1 }
                    jobs.append(.versioned(mapped, input: input))
                } catch {
                    continue  // stays in `wanted`: counted below
                }
            }
            // Orders that cannot be delivered (their webhook would have been answered `skipped`), or
            // that were gone when they were read whole (deleted meanwhile).
            outcome.unmappable += wanted.count
            if !jobs.isEmpty {
                // A webhook that came meanwhile with the same content makes it a duplicate.
                let duplicates = try await store.enqueue(jobs).filter(\.duplicate).count
                outcome.known += duplicates
                outcome.new -= min(outcome.new, duplicates)
            }
            await progress(outcome)
            after = page.next
        } while after != nil
        if let cursor = outcome.cursor, cursor > stored ?? .distantPast {
            try await store.setMeta(Self.cursorKey(source), Self.format(cursor))
        }
        return outcome
    }

    static func format(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        return formatter.string(from: date)
    }

    static func parse(_ text: String) -> Date? { ISO8601DateFormatter().date(from: text) }
}
