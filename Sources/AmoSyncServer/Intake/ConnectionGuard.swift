import HTTPTypes
import NIOCore
import NIOHTTPTypes
import Synchronization
import AmoSyncCore

/// Per-connection limits for the public listener: a new connection's first request head
/// must arrive within `headerTimeout`, a request's body within `bodyTimeout` of its head, a
/// kept-alive connection's next head within `idleTimeout` (each timer runs from the start of
/// its phase: bytes that trickle in do not reset it, only a whole head or body does); at most
/// `maxConnections` are open at once, and at most `maxPerAddress` from one client address (an
/// IPv6 client by its /64) unless it is a trusted proxy. One more is closed at once. Slow,
/// idle or greedy clients cannot hold memory or sockets that other shops need.
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
        let maxPerAddress: Int
        /// Peers the per-address cap does not apply to (`server.trusted_proxies` as now in
        /// force: all their clients arrive from one address; the proxy limits them).
        let exempt: @Sendable () -> [CIDR]
        let open = Atomic<Int>(0)
        /// Open connections per client address (only addresses with one open).
        private let byAddress = Mutex<[String: Int]>([:])

        init(
            headerTimeout: TimeAmount, bodyTimeout: TimeAmount, idleTimeout: TimeAmount, maxConnections: Int,
            maxPerAddress: Int = .max, exempt: @escaping @Sendable () -> [CIDR] = { [] }
        ) {
            self.headerTimeout = headerTimeout
            self.bodyTimeout = bodyTimeout
            self.idleTimeout = idleTimeout
            self.maxConnections = maxConnections
            self.maxPerAddress = maxPerAddress
            self.exempt = exempt
        }

        /// Counts a new connection from `address` (nil: no per-address count); false when
        /// that address already holds its share.
        func admit(_ address: String?) -> Bool {
            guard let address else { return true }
            return byAddress.withLock { counts in
                let open = counts[address, default: 0] + 1
                counts[address] = open
                return open <= maxPerAddress
            }
        }

        func release(_ address: String) {
            byAddress.withLock { counts in
                let left = (counts[address] ?? 1) - 1
                counts[address] = left > 0 ? left : nil
            }
        }

        /// The key a connection from `peer` counts under: the address, an IPv6 address's /64
        /// (one customer's network), nil for an exempt proxy or a non-IP peer.
        func key(_ peer: SocketAddress?) -> String? {
            guard let host = peer?.ipAddress, maxPerAddress < .max, !exempt().contains(where: { $0.contains(host) }) else { return nil }
            return CIDR.clientKey(host)
        }
    }

    let limits: Limits
    private var timer: Scheduled<Void>?
    private var counted = false
    private var address: String?
    private var waitingForResponse = false

    init(limits: Limits) { self.limits = limits }

    func handlerAdded(context: ChannelHandlerContext) {
        let open = limits.open.wrappingAdd(1, ordering: .relaxed).newValue
        counted = true
        address = limits.key(context.channel.remoteAddress)
        let admitted = limits.admit(address)  // counted either way: `forget` releases it
        if open > limits.maxConnections || !admitted {
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
        if counted {
            limits.open.wrappingSubtract(1, ordering: .relaxed)
            if let address { limits.release(address) }
        }
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
