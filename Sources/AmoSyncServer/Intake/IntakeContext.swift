import Hummingbird
import NIOCore
import AmoSyncCore

/// The request context of the daemon's router: Hummingbird's basics, the peer address (for
/// per-address limits), and the rules the request is answered by.
struct IntakeContext: RequestContext, RemoteAddressRequestContext {
    var coreContext: CoreRequestContextStorage
    let remoteAddress: SocketAddress?
    /// Taken once, when the request arrives (`RulesMiddleware`), and read by every middleware
    /// and the handler: a reload in the middle of a request cannot answer it by two configs.
    var snapshot: IntakeRoutes?

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }

    var rules: IntakeRoutes {
        guard let snapshot else { preconditionFailure("RulesMiddleware must be the intake router's first middleware") }
        return snapshot
    }
}
