import Foundation
import Testing

@testable import AmoCRMFake
@testable import AmoSyncCore
@testable import AmoSyncServer
@testable import TestSupport
@testable import TestFixtures

/// Leases, the index's reuse window and the daemon's worker on a clock the test moves: no real
/// waiting.
@Suite struct ClockedDeliveryTests {
    @Test func theKeeperRenewsLeasesEveryThirdOfTheLeaseAndNoticesALostOne() async throws {
        let dir = TempDir()
        let time = ManualTime()
        let store = try SQLiteStore(path: dir.file("queue.sqlite3"), now: { time.date })
        let mapper = Mapper(config: MappingFixtures.config())
        _ = try await store.enqueue(
            try ["1", "2"].map { id in
                let input: JSONValue = ["id": .string(id), "customer": ["phone": "89125550102"], "total": 1]
                return .versioned(try mapper.mapOrder(input), input: input)
            })
        let jobs = try await store.claimBatch(limit: 10, leaseFor: 3)
        let keeper = LeaseKeeper(store: store, jobs: jobs, lease: 3, logger: quietLogger(), clock: time)
        let keeping = Task { await keeper.keep() }
        defer { keeping.cancel() }
        await time.sleepers(1)
        time.advance(.seconds(1))  // a third of the lease: renewed until 1 + 3
        await time.sleepers(1)  // renewed, asleep again
        time.advance(.seconds(1))
        await time.sleepers(1)
        time.advance(.milliseconds(1500))  // 3.5 s after the claim: the first lease would have run out
        await #expect(try store.claimBatch(limit: 10, leaseFor: 3).isEmpty, "renewed leases are not claimed by another lane")

        // The process stalls past its lease; another lane claims one job.
        try await store.finish([
            (jobs[1], .retry(at: time.date, refundAttempt: true), Attempt(at: time.date, durationMs: 0, outcome: .retry))
        ])
        let other = try await store.claimBatch(limit: 10, leaseFor: 3)
        #expect(other.map(\.id) == [jobs[1].id])
        time.advance(.seconds(1))
        await time.sleepers(1)
        #expect(keeper.isLost(jobs[1].id), "its renewal found another owner")
        #expect(!keeper.isLost(jobs[0].id))
    }

    @Test func batchesWithinTheReuseWindowShareOneRefresh() async throws {
        let fake = try await RunningFake.start()
        defer { fake.stop() }
        let dir = TempDir()
        let time = ManualTime()
        let index = ContactIndex(
            store: try SQLiteStore(path: dir.file("queue.sqlite3")), client: try testAccount(fake).client, countryCode: "7",
            logger: quietLogger(), reuseWindow: .milliseconds(800), clock: time)
        #expect(try await index.refresh())
        #expect(try await index.refresh())
        #expect(await fake.state.requestStats().byEndpoint["GET /api/v4/contacts"] == 1, "the second batch shares the first refresh")
        let manager = await fake.state.seedContact(name: "Created by a manager", phones: ["+79120000002"])
        time.advance(.milliseconds(800))
        #expect(try await index.refresh())
        #expect(await fake.state.requestStats().byEndpoint["GET /api/v4/contacts"] == 2, "past the window: refreshed")
        await #expect(try index.contacts(withAnyOf: ["+79120000002"]).map(\.id) == [manager])
    }

    /// The daemon reads one clock: a retry due in a minute waits for that clock, not the wall's.
    @Test func aRetryDueInAMinuteWaitsForTheDaemonsClock() async throws {
        let fake = try await RunningFake.start()
        defer { fake.stop() }
        let dir = TempDir()
        let time = ManualTime()
        let store = try SQLiteStore(path: dir.file("queue.sqlite3"), now: { time.date })
        let mapper = Mapper(config: try Config.parse(testConfig(fake: fake, dir: dir).canonicalData, environment: [:]))
        let order = sampleOrder(id: "later")
        _ = try await store.enqueue([.versioned(try mapper.mapOrder(order), input: order)])
        let claimed = try await store.claimBatch(limit: 1, leaseFor: 60)
        try await store.finish([
            (
                claimed[0], .retry(at: time.date.addingTimeInterval(60), refundAttempt: true),
                Attempt(at: time.date, durationMs: 0, outcome: .retry)
            )
        ])
        let daemon = try await RunningDaemon.start(fake: fake, dir: dir, options: { $0.clock = time })
        // Asleep on the daemon's clock: both lanes idle, and the worker's supervisor (nothing is
        // written back: no status_back writer, no event poll).
        await time.sleepers(3)
        #expect(await fake.state.requestStats().total == 0, "not due on the daemon's clock")
        time.advance(.seconds(61))
        try await daemon.waitIdle()
        #expect(try await daemon.store.job(claimed[0].id)?.state == .done)
        #expect((await fake.state.snapshot())["leads"]?.arrayValue?.count == 1)
        await daemon.stop()
    }
}
