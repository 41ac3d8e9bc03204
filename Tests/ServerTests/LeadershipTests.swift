import Foundation
import Testing
@testable import AmoSyncCore
@testable import AmoSyncServer
@testable import AmoCRMFake
@testable import TestSupport
import Synchronization

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

    /// An API request leaves only while the node delivers, asked as it leaves: one queued before
    /// the lease moved is never sent, and counts as not sent (a write's outcome is not unknown).
    @Test func aRequestIsSentOnlyWhileTheNodeDelivers() async throws {
        let fake = try await RunningFake.start()
        let delivering = Atomic<Bool>(true)
        let transport = GatedTransport(inner: fake.transport(clock: SystemTime()), allows: { delivering.load(ordering: .relaxed) })
        let request = OutgoingRequest(
            method: "GET", url: URL(string: fake.baseURL + "/api/v4/account")!, headers: ["Authorization": "Bearer \(fake.token)"])
        #expect(try await transport.send(request).status == 200)
        delivering.store(false, ordering: .relaxed)
        let refused = await #expect(throws: TransportError.self) { try await transport.send(request) }
        #expect(refused?.sent == false)
        #expect(await fake.state.requestStats().total == 1, "the second request never reached amoCRM")
    }
}
