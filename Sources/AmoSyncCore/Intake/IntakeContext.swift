import Hummingbird
import NIOCore

/// The request context of the daemon's router: Hummingbird's basics plus the peer
/// address (for the per-IP limit of public forms).
public struct IntakeContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }
}
