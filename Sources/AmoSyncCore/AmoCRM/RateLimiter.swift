import Foundation

/// The one gate for every request to amoCRM: never more than `limit` requests in any
/// sliding window of `window` seconds, and a global pause after a 429 or an IP block.
public actor RateLimiter {
    public let limit: Int
    public let window: Duration
    private var sent: [ContinuousClock.Instant] = []
    private var pausedUntil: ContinuousClock.Instant?
    private var pauseStreak = 0
    private let clock = ContinuousClock()
    /// Seconds spent waiting for the window or a pause (for metrics and stats).
    public private(set) var waitedSeconds: Double = 0
    public private(set) var pauses = 0

    /// `requestsPerSecond` may be fractional (0.5 = one request every two seconds).
    /// `margin` widens the window so that network jitter cannot squeeze requests
    /// into one server-side second.
    public init(requestsPerSecond: Double, margin: Duration = .milliseconds(60)) {
        if requestsPerSecond >= 1 {
            limit = Int(requestsPerSecond.rounded(.down))
            window = .seconds(1) + margin
        } else {
            limit = 1
            window = .milliseconds(Int64(1000 / requestsPerSecond)) + margin
        }
    }

    /// Waits until one more request may be sent, then counts it as sent.
    public func acquire() async throws {
        let started = clock.now
        while true {
            try Task.checkCancellation()
            let now = clock.now
            if let pausedUntil, pausedUntil > now {
                try await clock.sleep(until: pausedUntil)
                continue
            }
            sent.removeAll { now - $0 >= window }
            if sent.count < limit {
                sent.append(now)
                break
            }
            try await clock.sleep(until: sent[0] + window)
        }
        let waited = clock.now - started
        waitedSeconds += Double(waited.components.seconds) + Double(waited.components.attoseconds) / 1e18
    }

    /// After a 429 or a 403 block: nothing is sent for a growing pause (1 s, 2 s, 4 s … 5 min).
    @discardableResult
    public func throttled() -> Duration {
        pauseStreak += 1
        pauses += 1
        let seconds = min(300, 1 << min(pauseStreak - 1, 9))
        let until = clock.now + .seconds(seconds)
        if pausedUntil.map({ $0 < until }) ?? true { pausedUntil = until }
        return .seconds(seconds)
    }

    /// A request went through: the next throttle starts from one second again.
    public func succeeded() { pauseStreak = 0 }

    /// True while a throttle pause is in force.
    public var isPaused: Bool { pausedUntil.map { $0 > clock.now } ?? false }
}
