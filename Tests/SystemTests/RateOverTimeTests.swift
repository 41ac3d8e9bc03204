import Foundation
import Testing
@testable import AmoSyncCore
@testable import AmoSyncServer
@testable import AmoCRMFake
@testable import TestSupport
@testable import TestFixtures

/// The rate amoCRM sees over seconds, counted by a fake in a process of its own.
@Suite struct RateOverTimeTests {
    /// At 300 ms per request the limiter lets slow requests overlap (their slots free after the
    /// arrival allowance), and the fake, counting arrivals, still never sees an 8th in a second.
    /// The fake runs as its own process, like amoCRM, so this test process's load does not delay its clock.
    @Test(arguments: [0, 300])
    func neverMoreThanSevenRequestsInAnySecond(latencyMs: Int) async throws {
        let dir = TempDir()
        let fake = try FakeAmoProcess.amosync(latencyMs: latencyMs, log: dir.file("fake.log"))
        defer { fake.stop() }
        let daemon = try await RunningDaemon.start(fake: fake, dir: dir) {
            $0.set("worker.batch_size", 1)
            $0.set("worker.concurrency", 4)
        }
        for index in 0..<20 {
            _ = try await daemon.send("/v1/orders", json: sampleOrder(id: "\(index)", phone: "+7 912 000 00 \(10 + index)", email: nil))
        }
        try await daemon.waitIdle(timeout: .seconds(60))
        let stats = try await fake.requestStats()
        #expect(stats.total >= 40)
        #expect(stats.throttled == 0)
        #expect(stats.maxPerSecond <= 7)
        await #expect(try daemon.store.stats().counts[.done] == 20)
        await daemon.stop()
    }
}
