import Foundation
import Testing

@testable import AmoCRMFake
@testable import AmoSyncCore
@testable import AmoSyncServer
@testable import TestSupport

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

    /// A batch whose only customer another lane holds keeps its jobs and waits for that lane
    /// (no release, no second claim), and is delivered once the holder lets go; held past
    /// `customerWait`, the jobs are handed back as before.
    @Test func aBatchOfABusyCustomerWaitsForTheHolderWithItsJobsInHand() async throws {
        let fake = try await RunningFake.start()
        defer { fake.stop() }
        let dir = TempDir()
        let config = try Config.parse(testConfig(fake: fake, dir: dir).canonicalData, environment: [:])
        var options = Daemon.Options()
        options.contactIndex = false
        // Not run: no lanes.
        let daemon = try await Daemon.build(
            config: config, logger: quietLogger(), transport: fake.transport(clock: options.clock), signals: [], options: options)
        let mapper = Mapper(config: config)
        let orders = (0..<6).map { sampleOrder(id: "busy-\($0)", phone: "+7 912 555 01 02", email: "anna@example.org") }
        _ = try await daemon.store.enqueue(try orders.map { .versioned(try mapper.mapOrder($0), input: $0) })
        let delivery = daemon.worker.delivery
        let keys = ["+79125550102", "anna@example.org"]

        // Another lane holds the customer; this batch waits for it, then delivers everything.
        #expect(await delivery.locks.tryLock(keys))
        let first = try await daemon.store.claimBatch(limit: 3, leaseFor: 60)
        let waiting = Task { await delivery.deliver(first) }
        try await eventually { await delivery.locks.waiting == 1 }
        await delivery.locks.unlock(keys)
        let summary = await waiting.value
        #expect(summary == BatchDelivery.Summary(done: 3, retried: 0, failed: 0, deferred: 0))

        // Held for longer than the wait: the jobs go back without an attempt.
        #expect(await delivery.locks.tryLock(keys))
        let second = try await daemon.store.claimBatch(limit: 3, leaseFor: 60)
        let deferred = await delivery.deliver(second)
        #expect(deferred == BatchDelivery.Summary(done: 0, retried: 0, failed: 0, deferred: 3))
        for job in second { #expect(try await daemon.store.job(job.id)?.state == .queued) }
        #expect(await fake.state.snapshot()["leads"]?.arrayValue?.count == 3)
    }
}
