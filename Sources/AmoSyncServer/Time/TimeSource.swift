import Foundation

/// The daemon's one clock: everything in it that waits, expires or stamps time reads this —
/// the limiter and its pauses, leases, the worker's polls and back-offs, the contact index's
/// pace, the store's stamps, token expiry, retries of background work. The system's clocks in
/// `serve`; a clock the test moves by hand in tests.
package protocol TimeSource: Sendable {
    /// Monotonic now: windows, waits and durations.
    var now: ContinuousClock.Instant { get }
    /// Wall-clock now: times stored, shown to people and compared with amoCRM's.
    var date: Date { get }
    func sleep(until deadline: ContinuousClock.Instant) async throws
}

extension TimeSource {
    func sleep(for duration: Duration) async throws { try await sleep(until: now + duration) }
}

/// The system's clocks.
package struct SystemTime: TimeSource {
    package init() {}
    package var now: ContinuousClock.Instant { .now }
    package var date: Date { Date() }
    package func sleep(until deadline: ContinuousClock.Instant) async throws { try await ContinuousClock().sleep(until: deadline) }
}
