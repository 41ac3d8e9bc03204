import Foundation

/// The one gate for every request to amoCRM: never more than `limit` requests in any
/// sliding window, and a global pause after a 429 or an IP block.
///
/// amoCRM counts a request when it arrives, which the client cannot see: it happens somewhere
/// between sending and receiving the answer. So a request holds its slot from the moment it
/// is sent until one window after its answer arrived. Then no window of the server's can
/// hold more than `limit` arrivals, whatever the network and the scheduler do in between.
public actor RateLimiter {
    public let limit: Int
    public let window: Duration
    private var inFlight: [Int: ContinuousClock.Instant] = [:]
    private var finished: [ContinuousClock.Instant] = []
    private var nextTicket = 0
    private var pausedUntil: ContinuousClock.Instant?
    private var pauseStreak = 0
    private var outageStreak = 0
    private let clock = ContinuousClock()
    /// Seconds spent waiting for the window or a pause (for metrics and stats).
    public private(set) var waitedSeconds: Double = 0
    public private(set) var pauses = 0

    /// `requestsPerSecond` may be fractional (0.5 = one request every two seconds).
    /// First pause after an outage-like failure; doubles up to 60 s.
    let outageBase: Double
    /// Other processes using the same account (admin commands and the daemon).
    let shared: SharedBudget?
    private var sharedRows: [Int: Int64] = [:]

    public init(requestsPerSecond: Double, margin: Duration = .milliseconds(10), outageBase: Double = 1, shared: SharedBudget? = nil) {
        self.outageBase = outageBase
        self.shared = shared
        if requestsPerSecond >= 1 {
            limit = Int(requestsPerSecond.rounded(.down))
            window = .seconds(1) + margin
        } else {
            limit = 1
            window = .milliseconds(Int64(1000 / requestsPerSecond)) + margin
        }
    }

    /// Waits until one more request may be sent; returns the ticket to `release` when its
    /// answer (or failure) arrived.
    public func acquire() async throws -> Int {
        let started = clock.now
        while true {
            try Task.checkCancellation()
            let now = clock.now
            if let pausedUntil, pausedUntil > now {
                try await clock.sleep(until: pausedUntil)
                continue
            }
            finished.removeAll { now - $0 >= window }
            let others = shared?.others(window: window.seconds) ?? 0
            if inFlight.count + finished.count + others < limit { break }
            let wake = finished.min().map { $0 + window } ?? now + .milliseconds(5)
            try await clock.sleep(until: min(wake, now + .milliseconds(50)))
        }
        nextTicket += 1
        inFlight[nextTicket] = clock.now
        if let row = shared?.record() { sharedRows[nextTicket] = row }
        waitedSeconds += (clock.now - started).seconds
        return nextTicket
    }

    /// The request's answer arrived (or it failed): its slot is held one more window.
    public func release(_ ticket: Int) {
        guard inFlight.removeValue(forKey: ticket) != nil else { return }
        finished.append(clock.now)
        if let row = sharedRows.removeValue(forKey: ticket) { shared?.release(row) }
    }

    /// After a 429 or a 403 block: nothing is sent for a growing pause (1 s, 2 s, 4 s … 5 min).
    @discardableResult
    public func throttled() -> Duration {
        let now = clock.now
        // Throttles reported by requests that were already in flight count once.
        if let pausedUntil, pausedUntil > now { return pausedUntil - now }
        pauseStreak += 1
        pauses += 1
        let seconds = min(300, 1 << min(pauseStreak - 1, 9))
        pausedUntil = now + .seconds(seconds)
        return .seconds(seconds)
    }

    /// After a batch failed on a connection error, a timeout or a 5xx: amoCRM is probably
    /// down, so delivery pauses (1 s, 2 s … 60 s) instead of spinning through the backlog.
    @discardableResult
    public func backOff() -> Duration {
        let now = clock.now
        if let pausedUntil, pausedUntil > now { return pausedUntil - now }
        outageStreak += 1
        let seconds = min(60, outageBase * Double(1 << min(outageStreak - 1, 10)))
        let pause = Duration.milliseconds(Int64(seconds * 1000))
        pausedUntil = now + pause
        return pause
    }

    /// A request went through: the next pause starts from one second again.
    public func succeeded() {
        pauseStreak = 0
        outageStreak = 0
    }

    /// True while a pause is in force.
    public var isPaused: Bool { pausedUntil.map { $0 > clock.now } ?? false }

    /// How long the current pause still lasts.
    public var pauseRemaining: Duration? {
        guard let pausedUntil, pausedUntil > clock.now else { return nil }
        return pausedUntil - clock.now
    }
}
