import Foundation
import AmoSyncCore

/// The one gate for every request to amoCRM: never more than `limit` requests in any
/// sliding window, and a global pause after a 429 or an IP block.
///
/// amoCRM counts a request when it arrives, somewhere between our sending it and its answer.
/// A request holds its slot from the moment it is sent until one window after the earlier of
/// its answer and `sent + arrivalAllowance`:
/// - a request answered within the allowance is counted exactly as the server could have seen it;
/// - a slow request (amoCRM taking 300 ms to process a batch) frees its slot one window after it
///   must have arrived, so latency does not cap throughput: with enough requests in flight the
///   daemon sends `limit` requests every `window + arrivalAllowance`.
/// The allowance covers the difference between two requests' travel times to the server
/// (scheduling and network jitter, not latency). An allowance longer than the request timeout
/// holds every slot until its answer, which is exact whatever the network does.
/// A 429 means the assumption failed: the allowance doubles (up to one window) for the rest
/// of the process's life.
package actor RateLimiter {
    let limit: Int
    let window: Duration
    private(set) var arrivalAllowance: Duration
    /// Requests still waiting for their answer, with the moment each was handed to the network.
    private var inFlight: [Int: SendStamp] = [:]
    /// For answered requests: when each stopped being able to arrive later.
    private var finished: [ContinuousClock.Instant] = []
    private var nextTicket = 0
    private var pausedUntil: ContinuousClock.Instant?
    private var pauseStreak = 0
    private var outageStreak = 0
    /// The system clock in the daemon; a hand-moved one in tests.
    let clock: any TimeSource
    /// Seconds spent waiting for the window or a pause (for metrics and stats).
    private(set) var waitedSeconds: Double = 0
    private(set) var pauses = 0

    /// First pause after an outage-like failure; doubles up to 60 s.
    let outageBase: Double
    /// Other processes using the same account (admin commands and the daemon).
    let shared: SharedBudget?
    private var sharedRows: [Int: Int64] = [:]

    static let defaultArrivalAllowance = Duration.milliseconds(50)

    /// `requestsPerSecond` may be fractional (0.5 = one request every two seconds).
    init(
        requestsPerSecond: Double, margin: Duration = .milliseconds(10), arrivalAllowance: Duration = defaultArrivalAllowance,
        outageBase: Double = 1, shared: SharedBudget? = nil, clock: any TimeSource = SystemTime()
    ) {
        self.clock = clock
        self.outageBase = outageBase
        self.shared = shared
        self.arrivalAllowance = arrivalAllowance
        if requestsPerSecond >= 1 {
            limit = Int(requestsPerSecond.rounded(.down))
            window = .seconds(1) + margin
        } else {
            limit = 1
            window = .milliseconds(Int64(1000 / requestsPerSecond)) + margin
        }
    }

    /// Waits until one more request may be sent; returns the ticket to `release` when its
    /// answer (or failure) arrived. Mark `stamp` at the moment the request leaves (`perform`
    /// does both); an unmarked request is counted until one window after its answer.
    func acquire(stamp: SendStamp = SendStamp()) async throws -> Ticket {
        let started = clock.now
        while true {
            try Task.checkCancellation()
            if let pausedUntil, pausedUntil > clock.now {
                try await clock.sleep(until: pausedUntil)
                continue
            }
            // Other processes' requests first: the read suspends, and what follows must not.
            let others = await shared?.others(window: window.seconds, allowance: arrivalAllowance.seconds) ?? 0
            let now = clock.now
            if let pausedUntil, pausedUntil > now { continue }  // a 429 arrived meanwhile
            finished.removeAll { now - $0 >= window }
            // Not yet sent: holds its slot. Sent: until it must have arrived one window ago.
            let holding = inFlight.values.map { $0.sent.map { $0 + arrivalAllowance + window } }.filter { $0.map { $0 > now } ?? true }
            if holding.count + finished.count + others < limit { break }
            let frees = finished.map { $0 + window } + holding.compactMap { $0 }
            let wake = frees.min() ?? now + .milliseconds(5)
            try await clock.sleep(until: min(max(wake, now + .milliseconds(1)), now + .milliseconds(50)))
        }
        nextTicket += 1
        let ticket = Ticket(id: nextTicket, stamp: stamp)
        inFlight[ticket.id] = ticket.stamp  // the slot is taken before the next suspension
        waitedSeconds += (clock.now - started).seconds
        // Only the caller can release the ticket, and it has not got it yet: the row is still ours to note.
        if let row = await shared?.record() { sharedRows[ticket.id] = row }
        return ticket
    }

    /// The request's answer arrived (or it failed): its slot is held one more window from the
    /// earlier of now and the end of its arrival allowance.
    func release(_ ticket: Ticket) async {
        guard inFlight.removeValue(forKey: ticket.id) != nil else { return }
        let now = clock.now
        let arrivedBy = ticket.stamp.sent.map { min(now, $0 + arrivalAllowance) } ?? now
        finished.append(arrivedBy)
        if let row = sharedRows.removeValue(forKey: ticket.id) {
            await shared?.release(row, arrivedBy: clock.date.timeIntervalSince1970 - (now - arrivedBy).seconds)
        }
    }

    /// Sends `request` within one slot; the transport marks its `sendStamp` (the caller's, if it
    /// brought one to time the request) when it hands it to the network.
    nonisolated func perform(_ request: OutgoingRequest, on transport: any HTTPTransport) async throws -> IncomingResponse {
        var request = request
        let stamp = request.sendStamp ?? SendStamp()
        request.sendStamp = stamp
        let ticket = try await acquire(stamp: stamp)
        do {
            let response = try await transport.send(request)
            await release(ticket)
            return response
        } catch {
            await release(ticket)
            throw error
        }
    }

    /// After a 429 or a 403 block: nothing is sent for a growing pause (1 s, 2 s, 4 s … 5 min),
    /// and the arrival allowance doubles.
    @discardableResult
    func throttled() -> Duration {
        let now = clock.now
        // Throttles reported by requests that were already in flight count once.
        if let pausedUntil, pausedUntil > now { return pausedUntil - now }
        pauseStreak += 1
        pauses += 1
        arrivalAllowance = max(arrivalAllowance, min(window, max(arrivalAllowance * 2, .milliseconds(25))))
        let seconds = min(300, 1 << min(pauseStreak - 1, 9))
        pausedUntil = now + .seconds(seconds)
        return .seconds(seconds)
    }

    /// After a batch failed on a connection error, a timeout or a 5xx: amoCRM is probably
    /// down, so delivery pauses (1 s, 2 s … 60 s) instead of spinning through the backlog.
    @discardableResult
    func backOff() -> Duration {
        let now = clock.now
        if let pausedUntil, pausedUntil > now { return pausedUntil - now }
        outageStreak += 1
        let seconds = min(60, outageBase * Double(1 << min(outageStreak - 1, 10)))
        let pause = Duration.milliseconds(Int64(seconds * 1000))
        pausedUntil = now + pause
        return pause
    }

    /// A request went through: the next pause starts from one second again.
    func succeeded() {
        pauseStreak = 0
        outageStreak = 0
    }

    /// True while a pause is in force.
    var isPaused: Bool { pausedUntil.map { $0 > clock.now } ?? false }

    /// How long the current pause still lasts.
    var pauseRemaining: Duration? {
        guard let pausedUntil, pausedUntil > clock.now else { return nil }
        return pausedUntil - clock.now
    }
}
