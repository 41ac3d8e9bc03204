/// Sends a request only while `allows()` says so, asked as the request leaves (after the rate
/// limiter's wait, which a 429 pause can make minutes long): a node that stopped delivering
/// (the delivery lease moved to another node) never sends a request it queued before. The
/// request counts as not sent, so no write's outcome is left unknown.
struct GatedTransport: HTTPTransport {
    let inner: any HTTPTransport
    let allows: @Sendable () -> Bool

    func send(_ request: OutgoingRequest) async throws -> IncomingResponse {
        guard allows() else {
            throw TransportError(timedOut: false, message: "not sent: this node no longer delivers (the delivery lease moved)", sent: false)
        }
        return try await inner.send(request)
    }
}
