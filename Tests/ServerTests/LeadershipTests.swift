import Foundation
import Testing
@testable import AmoSyncCore
@testable import AmoSyncServer
@testable import TestSupport

/// Whether this node delivers, on a hand-moved clock.
@Suite struct LeadershipTests {
    @Test func aHeldLeaseEndsAtItsDeadlineAndAloneIsForever() async throws {
        let clock = ManualTime()
        let alone = Leadership(alone: true, clock: clock)
        let node = Leadership(alone: false, clock: clock)
        #expect(alone.isLeader && !node.isLeader)
        node.hold(until: clock.now + .seconds(8))
        #expect(node.isLeader)
        clock.advance(.seconds(8))
        #expect(!node.isLeader, "not renewed: it stops before the lease can lapse in the database")
        #expect(alone.isLeader)
    }

    /// A batch on a node that loses the lease sends nothing more for any of its jobs, and does
    /// not pick them up again when the lease comes back (a step skipped is never followed by
    /// the next one).
    @Test func aBatchLosesEveryJobWithTheLeaseForGood() async throws {
        let clock = ManualTime()
        let leadership = Leadership(alone: false, clock: clock)
        leadership.hold(until: clock.now + .seconds(8))
        let jobs = [1, 2].map { id in
            Job(
                id: Int64(id), kind: .order, source: "orders", externalID: "\(id)", state: .running, input: .null,
                plan: DeliveryPlan(key: "orders:\(id)"))
        }
        let keeper = LeaseKeeper(
            store: try SQLiteStore(path: TempDir().file("q.sqlite3")), jobs: jobs, lease: 60, logger: quietLogger(), clock: clock,
            leadership: leadership)
        #expect(!keeper.isLost(1) && !keeper.isLost(2))
        leadership.lose()
        #expect(keeper.isLost(1))
        leadership.hold(until: clock.now + .seconds(8))
        #expect(keeper.isLost(1) && keeper.isLost(2), "lost for good")
    }
}
