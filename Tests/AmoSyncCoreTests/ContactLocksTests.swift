import Foundation
import Testing

@testable import AmoSyncServer

/// A lane whose whole batch waited for a customer held by another lane waits for that lane to
/// finish, instead of claiming and releasing the same customer's jobs in a loop.
@Suite struct ContactLocksTests {
    @Test func aWaitingLaneWakesWhenTheHolderUnlocks() async throws {
        let locks = ContactLocks()
        #expect(await locks.tryLock(["+79125550102"]))
        #expect(await !locks.tryLock(["+79125550102", "anna@example.org"]), "one key held: none taken")
        let waiter = Task { await locks.released(limit: .seconds(3600)) }
        try await eventually { await locks.waiting == 1 }
        await locks.unlock(["+79125550102"])
        await waiter.value
        #expect(await locks.waiting == 0)
        #expect(await locks.tryLock(["+79125550102", "anna@example.org"]))
    }

    @Test func nothingHeldOrCancelledReturnsAtOnce() async throws {
        let locks = ContactLocks()
        await locks.released(limit: .seconds(3600))  // nothing held: no wait
        #expect(await locks.tryLock(["k"]))
        let waiter = Task { await locks.released(limit: .seconds(3600)) }
        try await eventually { await locks.waiting == 1 }
        waiter.cancel()
        await waiter.value
        #expect(await locks.waiting == 0)
    }
}
