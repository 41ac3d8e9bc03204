import Hummingbird
import NIOCore
import AmoSyncCore

/// The request context of the daemon's router: Hummingbird's basics plus the peer
/// address (for the per-IP limit of public forms).
package struct IntakeContext: RequestContext, RemoteAddressRequestContext {
    package var coreContext: CoreRequestContextStorage
    package let remoteAddress: SocketAddress?

    package init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }
}
