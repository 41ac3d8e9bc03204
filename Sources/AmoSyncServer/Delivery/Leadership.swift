import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Whether this node delivers: always on one server (SQLite); on PostgreSQL, while it holds the
/// account's delivery lease. Lanes ask before every claim. A holder that cannot renew stops
/// believing it holds the lease `margin` before the lease can expire in the database, so that
/// two nodes never deliver at once.
package final class Leadership: Sendable {
    private let state: Mutex<(leader: Bool, until: ContinuousClock.Instant?)>
    let clock: any TimeSource

    /// `alone`: the only node there is (SQLite), the leader for good.
    init(alone: Bool, clock: any TimeSource) {
        state = Mutex((alone, nil))
        self.clock = clock
    }

    var isLeader: Bool {
        let now = clock.now
        return state.withLock { $0.leader && ($0.until.map { now < $0 } ?? true) }
    }

    func hold(until deadline: ContinuousClock.Instant) { state.withLock { $0 = (true, deadline) } }
    func lose() { state.withLock { $0 = (false, nil) } }

    /// Waits (asking every second) until this node delivers; false when cancelled first.
    func waitUntilLeader() async -> Bool {
        while !isLeader {
            guard (try? await clock.sleep(for: .seconds(1))) != nil else { return false }
        }
        return true
    }
}

/// The lease that says which node delivers to an account.
package enum DeliveryLease {
    package static func name(account: String) -> String { "delivery:\(account)" }
}

/// The election on PostgreSQL: every `every` this node records that it is alive and takes or
/// renews the lease `delivery:ACCOUNT` for `seconds`. A dead leader's lease expires and the
/// next node to ask takes it: within `seconds + every` of the last renewal. A node that stops
/// gives its lease up, so another takes over at the next ask.
struct LeaderElection: Service, CustomStringConvertible {
    var description: String { "LeaderElection(\(lease))" }
    let store: any NodeStore
    let leadership: Leadership
    let lease: String
    let node: String
    let logger: Logger
    var seconds = 10.0
    var every: Duration = .seconds(2)
    /// A holder stops delivering this long before its lease would expire unrenewed.
    var margin: Duration = .seconds(2)
    /// When this node takes the lease from another, the jobs the other was delivering become
    /// claimable after this (its requests in flight answered or timed out), not after their
    /// own `worker.lease_seconds`.
    var handover: Double = 30

    static var nodeName: String { "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier)" }

    func run() async throws {
        let clock = leadership.clock
        await cancelWhenGracefulShutdown {
            var lastHolder: String?
            while !Task.isCancelled {
                let asked = clock.now
                do {
                    let state = try await store.holdLease(lease, node: node, seconds: seconds)
                    if state.held {
                        if lastHolder != node {
                            // Taken over (or first taken): another node's claims stop holding jobs for long.
                            let jobs = try await store.shortenLeasesOfOtherNodes(to: handover)
                            if jobs > 0 {
                                logger.notice(
                                    "jobs another node was delivering are taken over once its requests in flight are over",
                                    metadata: ["jobs": "\(jobs)", "seconds": "\(Int(handover))"])
                            }
                        }
                        leadership.hold(until: asked + .milliseconds(Int64(seconds * 1000)) - margin)
                    } else {
                        if leadership.isLeader {
                            logger.warning("this node no longer holds the delivery lease: batches in progress stop sending")
                        }
                        leadership.lose()
                    }
                    let holder = state.held ? node : state.holder
                    if holder != lastHolder {
                        logger.notice(
                            state.held ? "this node delivers (it holds the delivery lease)" : "another node delivers",
                            metadata: ["lease": "\(lease)", "holder": "\(holder)"])
                        lastHolder = holder
                    }
                } catch {
                    // The database is away: a held lease runs out on its own (`isLeader`).
                    if lastHolder != nil {
                        logger.error("cannot renew the delivery lease", metadata: ["lease": "\(lease)", "error": "\(error)"])
                        lastHolder = nil
                    }
                }
                try? await clock.sleep(until: asked + every)
            }
        }
        if leadership.isLeader {
            leadership.lose()
            try? await store.releaseLease(lease)
            logger.info("delivery lease given up", metadata: ["lease": "\(lease)"])
        }
    }
}

/// A background service that only the delivering node runs (the event poll, reconciliation, the
/// contact index's sync): it starts once this node holds the lease.
struct LeaderOnly: Service, CustomStringConvertible {
    let service: any Service
    let leadership: Leadership
    var description: String { "LeaderOnly(\(service))" }

    func run() async throws {
        if await cancelWhenGracefulShutdown({ await leadership.waitUntilLeader() }) { try await service.run() }
    }
}
