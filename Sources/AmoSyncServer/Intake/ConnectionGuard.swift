import HTTPTypes
import NIOCore
import NIOHTTPTypes
import Synchronization
import AmoSyncCore

/// Per-connection limits for the public listener: a new connection's first request head
/// must arrive within `headerTimeout`, a request's body within `bodyTimeout` of its head, a
/// kept-alive connection's next head within `idleTimeout`; at most `maxConnections` are open
/// at once (one more is closed at once). Slow or idle clients cannot hold memory or sockets.
final class ConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    /// What all connections of one listener share.
    final class Limits: Sendable {
        let headerTimeout: TimeAmount
        let bodyTimeout: TimeAmount
        let idleTimeout: TimeAmount
        let maxConnections: Int
        let open = Atomic<Int>(0)

        init(headerTimeout: TimeAmount, bodyTimeout: TimeAmount, idleTimeout: TimeAmount, maxConnections: Int) {
            self.headerTimeout = headerTimeout
            self.bodyTimeout = bodyTimeout
            self.idleTimeout = idleTimeout
            self.maxConnections = maxConnections
        }
    }

    let limits: Limits
    private var timer: Scheduled<Void>?
    private var counted = false
    private var waitingForResponse = false

    init(limits: Limits) { self.limits = limits }

    func handlerAdded(context: ChannelHandlerContext) {
        let open = limits.open.wrappingAdd(1, ordering: .relaxed).newValue
        counted = true
        if open > limits.maxConnections {
            context.close(promise: nil)
            return
        }
        arm(limits.headerTimeout, context: context)
    }

    func handlerRemoved(context: ChannelHandlerContext) { forget() }

    func channelInactive(context: ChannelHandlerContext) {
        forget()
        context.fireChannelInactive()
    }

    /// The connection is gone (either event may come first, or both): stop its timer and
    /// stop counting it, once.
    private func forget() {
        timer?.cancel()
        if counted { limits.open.wrappingSubtract(1, ordering: .relaxed) }
        counted = false
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head: arm(limits.bodyTimeout, context: context)
        case .body: break
        case .end:
            // The request is in; the handler's time is not the client's fault.
            timer?.cancel()
            timer = nil
            waitingForResponse = true
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data), waitingForResponse {
            waitingForResponse = false
            arm(limits.idleTimeout, context: context)  // until the next request on this connection
        }
        context.write(data, promise: promise)
    }

    private func arm(_ timeout: TimeAmount, context: ChannelHandlerContext) {
        timer?.cancel()
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(in: timeout) { loopBound.value.close(promise: nil) }
    }
}
