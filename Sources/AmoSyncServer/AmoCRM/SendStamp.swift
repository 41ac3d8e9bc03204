import Synchronization
import AmoSyncCore

extension RateLimiter {
    /// One granted slot.
    package struct Ticket: Sendable {
        let id: Int
        package let stamp: SendStamp
    }
}

/// When a request left for the network. Set by the transport from whatever thread sends it,
/// without waiting for the limiter's actor, so scheduling delays after the grant do not count
/// as travel time.
package final class SendStamp: Sendable {
    private let value = Mutex<ContinuousClock.Instant?>(nil)

    package init() {}

    package func mark() { value.withLock { $0 = $0 ?? .now } }

    package var sent: ContinuousClock.Instant? { value.withLock { $0 } }
}
