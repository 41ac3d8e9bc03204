import Synchronization

extension RateLimiter {
    /// One granted slot.
    public struct Ticket: Sendable {
        let id: Int
        public let stamp: SendStamp
    }
}

/// When a request left for the network. Set by the transport from whatever thread sends it,
/// without waiting for the limiter's actor, so scheduling delays after the grant do not count
/// as travel time.
public final class SendStamp: Sendable {
    private let value = Mutex<ContinuousClock.Instant?>(nil)

    public init() {}

    public func mark() { value.withLock { $0 = $0 ?? .now } }

    public var sent: ContinuousClock.Instant? { value.withLock { $0 } }
}
