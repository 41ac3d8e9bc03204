import Foundation
import HTTPTypes
import NIOCore
import NIOHTTPTypes
import AmoSyncCore

/// Stamps each request's arrival on the event loop, as soon as its head is decoded, the way
/// amoCRM's front end counts it. Counting later, in the async handler, would add however long
/// the handler waited for a thread: in a busy test process that was hundreds of milliseconds,
/// enough to bunch arrivals that were well spaced on the wire.
final class ArrivalStamp: ChannelInboundHandler, RemovableChannelHandler, Sendable {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart

    static let header = HTTPField.Name("X-Fake-Arrival")!

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .head(var head) = unwrapInboundIn(data) else { return context.fireChannelRead(data) }
        head.headerFields[Self.header] = String(Date().timeIntervalSince1970)
        context.fireChannelRead(wrapInboundOut(.head(head)))
    }
}
