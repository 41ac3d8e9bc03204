import Synchronization
import AmoSyncCore

extension RateLimiter {
    /// One granted slot.
    struct Ticket: Sendable {
        let id: Int
        let stamp: SendStamp
    }
}

/// When a request left for the network. Set by the transport from whatever thread sends it,
/// without waiting for the limiter's actor, so scheduling delays after the grant do not count
/// as travel time.
final class SendStamp: Sendable {
    private let value = Mutex<ContinuousClock.Instant?>(nil)

    init() {}

    func mark(at instant: ContinuousClock.Instant) { value.withLock { $0 = $0 ?? instant } }

    var sent: ContinuousClock.Instant? { value.withLock { $0 } }
}
