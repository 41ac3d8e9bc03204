import Foundation

/// Where the rate limiter (its window, pauses and back-off) reads the time and waits: the
/// system's monotonic clock in the daemon, a clock the test moves by hand in tests.
protocol TimeSource: Sendable {
    var now: ContinuousClock.Instant { get }
    func sleep(until deadline: ContinuousClock.Instant) async throws
}

/// The system's monotonic clock.
struct SystemTime: TimeSource {
    var now: ContinuousClock.Instant { .now }
    func sleep(until deadline: ContinuousClock.Instant) async throws { try await ContinuousClock().sleep(until: deadline) }
}
