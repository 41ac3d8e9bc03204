import Hummingbird
import NIOCore
import AmoSyncCore

/// The request context of the daemon's router: Hummingbird's basics plus the peer
/// address (for the per-IP limit of public forms).
struct IntakeContext: RequestContext, RemoteAddressRequestContext {
    var coreContext: CoreRequestContextStorage
    let remoteAddress: SocketAddress?

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }
}
